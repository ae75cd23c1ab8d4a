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

let sites = 0;
/**
 * `(i) => { body }` with `params` bound to `args`, compiled afresh. V8 keeps type feedback per place in the source,
 * shared by every closure made there: contenders built by one closure would each see the others' objects and
 * functions, and all run slower than alone. Compiled separately, each gets its own.
 */
function compiled(params, body, ...args) {
  // The comment makes every source distinct, so that no compilation cache hands back a shared function.
  return new Function(...params, `/* contender ${++sites} */ return (i) => { ${body} };`)(...args);
}

/**
 * Ops per second of each function, measured in interleaved rounds (each round runs every contender once, starting
 * with a different one each round) and taking each one's best round: on a shared, busy machine a burst of load
 * then hits all contenders alike instead of whichever happened to be running, so the ratios stay meaningful.
 * Time is the process's CPU time, not the clock's: on a machine shared with other work, time spent waiting for a
 * core is not ours. Returns { best: ops/s per function, median(a, b): the median over rounds of a's ops/s over b's
 * in the same round }, the second being the steadier way to compare two versions of the same code. Each function
 * runs in a loop of its own (see `compiled`), and what it returns is kept so that its work cannot be optimised away.
 */
function interleavedOps(fns, { rounds = 7, roundMs = 60 } = {}) {
  const loops = fns.map((fn) =>
    compiled(['fn'], 'let s = 0; for (let k = 0; k < i; k++) s += fn(k) ? 1 : 0; return s;', fn),
  );
  let kept = 0;
  const iterations = loops.map((loop) => {
    let n = 256;
    for (;;) {
      const t0 = process.hrtime.bigint();
      kept += loop(n);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ms >= roundMs / 4) return Math.max(1, Math.round((n * roundMs) / ms));
      n *= 4;
    }
  });
  const best = fns.map(() => 0);
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const ops = fns.map(() => 0);
    for (let j = 0; j < fns.length; j++) {
      const k = (j + r) % fns.length;
      const n = iterations[k];
      const c0 = process.cpuUsage();
      kept += loops[k](n);
      const c = process.cpuUsage(c0);
      ops[k] = n / ((c.user + c.system) / 1e6);
      best[k] = Math.max(best[k], ops[k]);
    }
    perRound.push(ops);
  }
  if (kept === 0.5) console.log(kept);
  const median = (a, b) => {
    const ratios = perRound.map((ops) => ops[a] / ops[b]).sort((x, y) => x - y);
    const m = ratios.length >> 1;
    return ratios.length % 2 ? ratios[m] : (ratios[m - 1] + ratios[m]) / 2;
  };
  return { best, median };
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

module.exports = { opsPerSecond, interleavedOps, compiled, formatOps, printTable, loadEntry };
