'use strict';
// Summarizes a V8 .cpuprofile: self time per function and per owner (our code, the Node-RED runtime, core
// nodes, the incumbent's OSC library, Node.js itself, GC), so the question "what is ours" has a number.
const path = require('node:path');

function owner(url, fn, roots) {
  if (fn === '(garbage collector)') return 'gc';
  if (fn === '(idle)') return 'idle';
  if (fn === '(program)' || fn === '(root)') return 'v8/native';
  if (!url) return 'v8/native';
  const p = url.replace(/^file:\/\//, '');
  if (roots.some((root) => p.startsWith(path.join(root, 'dist') + path.sep))) return 'ours';
  if (p.includes('/@node-red/nodes/')) return 'node-red core nodes';
  if (p.includes('/@node-red/')) return 'node-red runtime';
  if (p.includes('/node-red-contrib-osc/') || p.includes('/node_modules/osc/')) return 'incumbent (osc.js)';
  if (p.startsWith('node:')) return 'node.js';
  if (p.includes('/node_modules/')) return 'other modules';
  return 'other';
}

/**
 * window: [fromMs, toMs] after the profile started; samples outside it (startup: module loading, JIT warm-up;
 * shutdown) are left out so the summary is about the per-message path.
 * @param {any} prof
 * @param {string} root
 * @param {{ top?: number, window?: number[], alt?: string }} [options]
 */
function summarizeProfile(prof, root, { top = 30, window, alt } = {}) {
  const roots = alt ? [root, alt] : [root];
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const from = window ? window[0] * 1000 : -Infinity;
  const to = window ? window[1] * 1000 : Infinity;
  let t = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i] || 0;
    if (t < from || t > to) continue;
    const id = prof.samples[i];
    self.set(id, (self.get(id) || 0) + (prof.timeDeltas[i] || 0));
  }
  const fns = new Map();
  const owners = new Map();
  let total = 0;
  let busy = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const who = owner(cf.url, name, roots);
    total += us;
    if (who !== 'idle') busy += us;
    let file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '') : '';
    for (const r of roots) file = file.replace(r + '/', '');
    const key = `${name} ${file}:${cf.lineNumber + 1}`;
    const f = fns.get(key) || { name, file, line: cf.lineNumber + 1, owner: who, us: 0 };
    f.us += us;
    fns.set(key, f);
    owners.set(who, (owners.get(who) || 0) + us);
  }
  const pct = (us) => (100 * us) / busy;
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    owners: [...owners]
      .filter(([w]) => w !== 'idle')
      .map(([w, us]) => ({ owner: w, ms: us / 1000, pctBusy: pct(us) }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...fns.values()]
      .filter((f) => f.owner !== 'idle')
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ ...f, ms: f.us / 1000, pctBusy: pct(f.us) })),
  };
}

function printProfile(s) {
  console.log(`\nbusy ${s.busyMs.toFixed(0)} ms of ${s.totalMs.toFixed(0)} ms sampled; self time by owner:`);
  for (const o of s.owners) console.log(`  ${o.pctBusy.toFixed(1).padStart(5)}%  ${o.owner}`);
  console.log('\ntop functions by self time (% of busy):');
  for (const f of s.functions) {
    console.log(
      `  ${f.pctBusy.toFixed(1).padStart(5)}%  ${f.name.padEnd(34)} ${f.owner.padEnd(20)} ${f.file}:${f.line}`,
    );
  }
}

module.exports = { summarizeProfile, printProfile };

// `node bench/flow/profile.js <file.cpuprofile>`: summarize a saved profile again (whole profile, no window).
if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/flow/profile.js <file.cpuprofile>');
    process.exit(2);
  }
  const prof = JSON.parse(require('node:fs').readFileSync(file, 'utf8'));
  printProfile(summarizeProfile(prof, path.resolve(__dirname, '..', '..')));
}
