'use strict';
// The fuzzing thread: rotates between targets in short slices (so a long run spreads its time evenly and a
// short one still touches every target), and checks after each slice that memory has not grown.
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { fuzzSlice, newState, createRng, SHARED_INPUT_MAX } = require('./engine');

const opts = workerData;
const ctrl = new Int32Array(opts.control, 0, 4);
const started = new Float64Array(opts.control, 16, 1);
const bytes = new Uint8Array(opts.data);

const targetsModule = require(opts.targetsModule || './targets');
const { isOscError } = targetsModule;

let targets = targetsModule.allTargets();
if (opts.targets && opts.targets.length) targets = targets.filter((t) => opts.targets.includes(t.name));
targets = targets.filter((t) => !(opts.doneTargets || []).includes(t.name));
const skipped = {};
targets = targets.filter((t) => {
  const why = t.load();
  if (why) skipped[t.name] = why;
  return !why;
});
parentPort.postMessage({ type: 'skipped', skipped });
parentPort.postMessage({ type: 'targets', names: targets.map((t) => t.name) });

let currentIndex = 0;
function publish(input) {
  if (input === null) {
    Atomics.store(ctrl, 0, 0);
    return;
  }
  const n = Math.min(input.length, SHARED_INPUT_MAX);
  bytes.set(input.subarray(0, n));
  Atomics.store(ctrl, 2, n);
  Atomics.store(ctrl, 1, currentIndex);
  started[0] = Date.now();
  Atomics.store(ctrl, 0, 1);
}

const rng = createRng(opts.seed);
const states = targets.map(() => newState());
const reported = new Set();
const report = (finding) => {
  if (reported.has(finding.signature)) return;
  reported.add(finding.signature);
  parentPort.postMessage({ type: 'finding', finding });
};

// Workers refuse --expose-gc in execArgv; the flag can still be set from inside, and a fresh context sees gc().
require('node:v8').setFlagsFromString('--expose-gc');
const gc = require('node:vm').runInNewContext('gc');

// Live memory beyond what the corpora hold on purpose; measured after a full GC so garbage does not count.
function liveBytes() {
  gc();
  const m = process.memoryUsage();
  const corpora = states.reduce((n, s) => n + s.corpusBytes, 0);
  return m.heapUsed + m.arrayBuffers - corpora;
}

if (opts.replay) {
  // Regression replay: each recorded input once, under the same watchdog, slow-call and error rules.
  const byName = new Map(targets.map((t, i) => [t.name, i]));
  const { execute, signatureOf, describeError } = require('./engine');
  for (let k = opts.replayFrom || 0; k < opts.replay.length; k++) {
    const c = opts.replay[k];
    const i = byName.get(c.target);
    if (i === undefined) continue; // target not built: reported in `skipped`
    currentIndex = i;
    Atomics.store(ctrl, 3, k);
    const input = Buffer.from(c.hex, 'hex');
    let best = Infinity;
    let r;
    for (let n = 0; n < 3 && best > opts.slowMs; n++) {
      publish(input);
      const t1 = performance.now();
      r = execute(targets[i], input, isOscError);
      best = Math.min(best, performance.now() - t1);
      publish(null);
      if (r.error) break;
    }
    if (r.error) {
      const err = describeError(r.error);
      const kind = err.name === 'InvariantError' ? 'invariant' : 'crash';
      parentPort.postMessage({
        type: 'finding',
        finding: {
          target: c.target,
          kind,
          signature: signatureOf(c.target, kind, err),
          input,
          error: err,
          caseIndex: k,
        },
      });
    } else if (best > opts.slowMs) {
      parentPort.postMessage({
        type: 'finding',
        finding: {
          target: c.target,
          kind: 'slow',
          signature: `${c.target}:slow`,
          input,
          ms: Math.round(best),
          caseIndex: k,
          error: { name: 'Slow', message: `took ${best.toFixed(1)} ms (limit ${opts.slowMs} ms)`, stack: '' },
        },
      });
    }
  }
  parentPort.postMessage({ type: 'done' });
} else {
  fuzzAll();
}

function fuzzAll() {
  const t0 = performance.now();
  const endAt = opts.seconds === undefined ? Infinity : t0 + opts.seconds * 1000;
  const SLICE_MS = 250;
  const baseline = new Map();
  const peakGrowth = {};
  let round = 0;

  while (targets.length) {
    let anyLeft = false;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i];
      const state = states[i];
      if (opts.iterations !== undefined && state.execs >= opts.iterations) continue;
      if (performance.now() >= endAt) break;
      anyLeft = true;
      currentIndex = i;
      fuzzSlice(target, state, {
        rng,
        isOscError,
        slowMs: opts.slowMs,
        publish,
        report,
        seed: opts.seed,
        until: Math.min(endAt, performance.now() + SLICE_MS),
        iterations: opts.iterations,
      });
      const live = liveBytes();
      if (!baseline.has(target.name)) {
        baseline.set(target.name, live);
      } else {
        const growth = live - baseline.get(target.name);
        peakGrowth[target.name] = Math.max(peakGrowth[target.name] || 0, growth);
        if (growth > opts.memLimitMb * 1048576) {
          report({
            target: target.name,
            kind: 'memory',
            signature: `${target.name}:memory`,
            input: Buffer.alloc(0),
            error: {
              name: 'MemoryGrowth',
              message: `live memory grew ${(growth / 1048576).toFixed(1)} MB while fuzzing ${target.name} (limit ${opts.memLimitMb} MB)`,
              stack: '',
            },
          });
        }
      }
    }
    round++;
    if (!anyLeft || performance.now() >= endAt) break;
  }

  const stats = {};
  targets.forEach((t, i) => {
    stats[t.name] = {
      execs: states[i].execs,
      corpus: states[i].corpus.length,
      outcomes: states[i].seen.size,
      peakMemoryGrowthMb: Number(((peakGrowth[t.name] || 0) / 1048576).toFixed(2)),
    };
  });
  stats._seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
  stats._rounds = round;
  parentPort.postMessage({ type: 'stats', stats });
  parentPort.postMessage({ type: 'done' });
}
