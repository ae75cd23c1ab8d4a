'use strict';
// The regression file: every input the fuzzer ever flagged, kept forever so test/fuzz.test.js replays it.
const fs = require('node:fs');
const path = require('node:path');

const FILE = path.resolve(__dirname, '..', 'test', 'fixtures', 'fuzz-regressions.json');
const ABOUT =
  'Inputs the fuzzer (npm run fuzz) flagged: each must now be refused with an OscError or handled, quickly. ' +
  "'target' names the fuzz target (fuzz/targets.js), 'hex' the input as the target sees it (stream targets: the " +
  'first byte chooses the chunking; pattern: UTF-8 JSON [pattern, address, expect?]).';

function load() {
  try {
    return JSON.parse(fs.readFileSync(FILE, 'utf8'));
  } catch (e) {
    if (e.code === 'ENOENT') return { about: ABOUT, cases: [] };
    throw e;
  }
}

/** Appends findings not already in the file; returns how many were new. */
function add(findings, { seed }) {
  const file = load();
  const have = new Set(file.cases.map((c) => `${c.target}:${c.hex}`));
  let added = 0;
  for (const f of findings) {
    const hex = f.input.toString('hex');
    if (have.has(`${f.target}:${hex}`)) continue;
    have.add(`${f.target}:${hex}`);
    file.cases.push({
      target: f.target,
      kind: f.kind,
      hex,
      error: `${f.error.name}: ${f.error.message}`.slice(0, 300),
      found: new Date().toISOString().slice(0, 10),
      seed,
    });
    added++;
  }
  if (added) fs.writeFileSync(FILE, JSON.stringify(file, null, 1) + '\n');
  return added;
}

module.exports = { FILE, load, add };
