'use strict';
// Ops per second of fn, best of several rounds so a noisy neighbour on a shared machine skews less.
function opsPerSecond(fn, { rounds = 5, minMs = 200 } = {}) {
  let iterations = 1000;
  // Calibrate so that each round lasts about minMs.
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms >= minMs / 4) {
      iterations = Math.max(1, Math.round((iterations * minMs) / ms));
      break;
    }
    iterations *= 4;
  }
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    best = Math.max(best, iterations / s);
  }
  return best;
}

function formatOps(n) {
  if (n >= 1e6) return (n / 1e6).toFixed(2) + ' M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + ' k';
  return n.toFixed(0);
}

/** Prints rows of { name, cells: {column: ops} } as a table. */
function printTable(title, columns, rows) {
  console.log('\n' + title);
  const header = ['workload', ...columns];
  const lines = rows.map((r) => [r.name, ...columns.map((c) => r.cells[c] ?? '')]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cols) => cols.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
}

/**
 * Ops per second of each function, measured in interleaved rounds (each round runs every contender once) and
 * taking each one's best round: on a shared, busy machine a burst of load then hits all contenders alike
 * instead of whichever happened to be running, so the ratios stay meaningful.
 */
function interleavedOps(fns, { rounds = 7, roundMs = 60 } = {}) {
  const iterations = fns.map((fn) => {
    let n = 256;
    for (;;) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(i);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ms >= roundMs / 4) return Math.max(1, Math.round((n * roundMs) / ms));
      n *= 4;
    }
  });
  const best = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const n = iterations[k];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(i);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      best[k] = Math.max(best[k], n / s);
    });
  }
  return best;
}

/**
 * What the package in `dir` exports at `subpath` ('./codec', './pattern'), found through its package.json as a
 * user's require() would find it: the same code path whatever file layout that checkout has.
 */
function loadEntry(dir, subpath) {
  const path = require('node:path');
  const pkg = require(path.join(dir, 'package.json'));
  const target = pkg.exports[subpath];
  return require(path.join(dir, typeof target === 'string' ? target : target.default));
}

module.exports = { opsPerSecond, interleavedOps, formatOps, printTable, loadEntry };
