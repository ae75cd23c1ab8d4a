'use strict';
// The fuzzing loop (runs inside a worker thread, see worker.js) and the watchdog around it (main thread).
//
// Feedback is by outcome, not by instruction coverage: each target labels what an input did (which error code,
// which kind of packet), and an input with a label not seen before joins the corpus. Cheap enough to keep
// tens of thousands of executions a second, and it steers mutation towards every error path of the decoder.
//
// A call that never returns cannot be caught from inside its own thread, so the worker publishes each input to
// shared memory before running it; the main thread kills the worker when one call has run longer than hangMs
// and records that input as a hang.
const { Worker } = require('node:worker_threads');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { createRng } = require('./mutate');

const SHARED_INPUT_MAX = 1 << 20;
const CORPUS_MAX_ENTRIES = 3000;
const CORPUS_MAX_BYTES = 16 << 20;
const CORPUS_MAX_ENTRY = 64 << 10;

/** Runs one input; returns { outcome } or { error } without ever throwing. */
function execute(target, input, isOscError) {
  try {
    return { outcome: target.run(input) };
  } catch (e) {
    if (isOscError(e)) return { outcome: `thrown:${e.code}` }; // an OscError escaping run() is acceptable
    return { error: e };
  }
}

function describeError(e) {
  if (!(e instanceof Error)) return { name: typeof e, message: String(e), stack: String(e) };
  return { name: e.name, message: e.message, stack: e.stack || '' };
}

/** A stable signature so one bug found through a thousand inputs is reported once. */
function signatureOf(targetName, kind, err) {
  if (kind === 'slow' || kind === 'hang') return `${targetName}:${kind}`;
  if (err.name === 'InvariantError')
    return `${targetName}:invariant:${err.message.replace(/[0-9a-f"{[].*$/i, '').slice(0, 60)}`;
  const frame = (err.stack.split('\n').find((l) => /dist[\\/]/.test(l)) || err.stack.split('\n')[1] || '').trim();
  return `${targetName}:crash:${err.name}:${frame.replace(/^at /, '')}`;
}

/** Shortest input (by deleting ranges) that still shows the same signature: what a human wants to read. */
function minimize(target, input, signature, isOscError, budgetMs) {
  const until = performance.now() + budgetMs;
  let best = input;
  const same = (candidate) => {
    const r = execute(target, candidate, isOscError);
    return r.error !== undefined && signatureOf(target.name, 'crash', describeError(r.error)) === signature;
  };
  for (let size = best.length >> 1; size >= 1 && performance.now() < until; size >>= 1) {
    for (let at = 0; at + size <= best.length && performance.now() < until;) {
      const candidate = Buffer.concat([best.subarray(0, at), best.subarray(at + size)]);
      if (same(candidate)) best = candidate;
      else at += size;
    }
  }
  return best;
}

/**
 * The loop, for one target, until `until` (performance.now() ms) or `iterations` executions.
 * `state` persists between calls (corpus, seen outcomes), so a run can rotate between targets in slices.
 */
function fuzzSlice(target, state, opts) {
  const { rng, isOscError, slowMs, publish, report } = opts;
  const runOne = (input) => {
    publish(input);
    const t0 = performance.now();
    const r = execute(target, input, isOscError);
    let ms = performance.now() - t0;
    publish(null);
    state.execs++;
    const slowSig = `${target.name}:slow`;
    if (r.error === undefined && ms > slowMs && !state.signatures.has(slowSig)) {
      // Shared machines stall: a call is slow only if it is slow every time.
      for (let k = 0; k < 2 && ms > slowMs; k++) {
        publish(input);
        const t1 = performance.now();
        execute(target, input, isOscError);
        ms = Math.min(ms, performance.now() - t1);
        publish(null);
      }
      if (ms > slowMs) {
        state.signatures.add(slowSig);
        report({
          target: target.name,
          kind: 'slow',
          signature: slowSig,
          ms: Math.round(ms),
          input,
          error: {
            name: 'Slow',
            message: `one call took ${ms.toFixed(1)} ms (limit ${slowMs} ms) on a ${input.length}-byte input`,
            stack: '',
          },
        });
      }
    }
    if (r.error !== undefined) {
      const err = describeError(r.error);
      const kind = err.name === 'InvariantError' ? 'invariant' : 'crash';
      const signature = signatureOf(target.name, kind, err);
      if (!state.signatures.has(signature)) {
        state.signatures.add(signature);
        const small = kind === 'crash' ? minimize(target, input, signature, isOscError, 2000) : input;
        report({ target: target.name, kind, signature, input: small, error: err });
      }
      return;
    }
    if (!state.seen.has(r.outcome) && state.seen.size < 50000) {
      state.seen.add(r.outcome);
      addToCorpus(state, input, rng);
    }
  };

  if (!state.started) {
    state.started = true;
    for (const s of target.seeds(opts.seed)) {
      runOne(s);
      addToCorpus(state, s, rng);
    }
  }
  while (performance.now() < opts.until && (opts.iterations === undefined || state.execs < opts.iterations)) {
    let input;
    if (state.pending.length) {
      input = state.pending.pop();
    } else if (rng.chance(0.1) || state.corpus.length === 0) {
      state.pending = target.generate(rng, rng.int(0x7fffffff)).slice();
      continue;
    } else {
      const a = state.corpus[rng.int(state.corpus.length)];
      const b = state.corpus[rng.int(state.corpus.length)];
      input = target.mutate(rng, a, b);
    }
    runOne(input);
  }
}

function addToCorpus(state, input, rng) {
  if (input.length > CORPUS_MAX_ENTRY) return;
  const copy = Buffer.from(input);
  if (state.corpus.length < CORPUS_MAX_ENTRIES && state.corpusBytes + copy.length <= CORPUS_MAX_BYTES) {
    state.corpus.push(copy);
    state.corpusBytes += copy.length;
    return;
  }
  const at = rng.int(state.corpus.length);
  state.corpusBytes += copy.length - state.corpus[at].length;
  state.corpus[at] = copy;
}

function newState() {
  return { started: false, execs: 0, corpus: [], corpusBytes: 0, seen: new Set(), signatures: new Set(), pending: [] };
}

/**
 * Runs the fuzzer in a worker under a watchdog. Resolves with { findings, stats, skipped }.
 * options: { targets?: string[], seconds?, iterations?, seed, slowMs = 100, hangMs = 2000, memLimitMb = 64,
 *            targetsModule? (path of a module exporting allTargets(), for tests of the harness itself),
 *            replay? ([{ target, hex }]: run exactly these inputs instead of fuzzing; findings carry caseIndex) }
 */
function runFuzz(options) {
  const opts = { slowMs: 100, hangMs: 2000, memLimitMb: 64, ...options };
  const deadline = Date.now() + (opts.seconds ?? 3600) * 1000;
  const findings = [];
  const stats = {};
  let skipped = {};
  let restarts = 0;
  const control = new SharedArrayBuffer(32);
  const data = new SharedArrayBuffer(SHARED_INPUT_MAX);
  const ctrl = new Int32Array(control, 0, 4); // [running, targetIndex, length, replayed case index]
  const started = new Float64Array(control, 16, 1);
  const bytes = new Uint8Array(data);

  return new Promise((resolve, reject) => {
    const launch = (doneTargets, replayFrom = 0) => {
      Atomics.store(ctrl, 0, 0); // a killed worker leaves its last call marked as running
      const remaining = Math.max(0, (deadline - Date.now()) / 1000);
      const worker = new Worker(path.join(__dirname, 'worker.js'), {
        workerData: {
          ...opts,
          seconds: opts.seconds === undefined ? undefined : remaining,
          seed: opts.seed + restarts * 7919,
          control,
          data,
          doneTargets,
          replayFrom,
        },
        resourceLimits: { maxOldGenerationSizeMb: 512 },
      });
      let names = [];
      let finished = false;
      const timer = setInterval(() => {
        if (Atomics.load(ctrl, 0) !== 1) return;
        const ms = Date.now() - started[0];
        if (ms <= opts.hangMs) return;
        const len = Atomics.load(ctrl, 2);
        const target = names[Atomics.load(ctrl, 1)] ?? '?';
        const caseIndex = Atomics.load(ctrl, 3);
        findings.push({
          target,
          kind: 'hang',
          signature: `${target}:hang`,
          input: Buffer.from(bytes.subarray(0, len)),
          error: { name: 'Hang', message: `one call ran over ${opts.hangMs} ms and was killed`, stack: '' },
          ...(opts.replay ? { caseIndex } : {}),
        });
        finished = true;
        clearInterval(timer);
        void worker.terminate();
        restarts++;
        if (opts.replay) {
          // Replaying: carry on with the case after the one that hung.
          if (caseIndex + 1 < opts.replay.length) launch(doneTargets, caseIndex + 1);
          else resolve({ findings, stats, skipped });
        } else if (Date.now() < deadline && restarts < 5) {
          // A hung target is not run again: its worker would hang again and the others deserve the time.
          launch([...doneTargets, target]);
        } else resolve({ findings, stats, skipped });
      }, 50);
      timer.unref?.();
      worker.on('message', (m) => {
        if (m.type === 'targets') names = m.names;
        else if (m.type === 'finding') findings.push({ ...m.finding, input: Buffer.from(m.finding.input) });
        else if (m.type === 'stats') Object.assign(stats, m.stats);
        else if (m.type === 'skipped') skipped = { ...skipped, ...m.skipped };
        else if (m.type === 'done') {
          finished = true;
          clearInterval(timer);
          resolve({ findings, stats, skipped });
        }
      });
      worker.on('error', (/** @type {NodeJS.ErrnoException} */ e) => {
        clearInterval(timer);
        if (finished) return;
        finished = true;
        // The worker itself died (out of memory, a stack overflow outside a call): that is a finding too.
        const len = Atomics.load(ctrl, 0) === 1 ? Atomics.load(ctrl, 2) : 0;
        const target = names[Atomics.load(ctrl, 1)] ?? '?';
        const caseIndex = Atomics.load(ctrl, 3);
        findings.push({
          target,
          kind: 'worker-died',
          signature: `${target}:worker-died:${e && e.code}`,
          input: Buffer.from(bytes.subarray(0, len)),
          error: describeError(e),
          ...(opts.replay ? { caseIndex } : {}),
        });
        if (opts.replay && caseIndex + 1 < opts.replay.length) launch(doneTargets, caseIndex + 1);
        else resolve({ findings, stats, skipped });
      });
      worker.on('exit', () => {
        clearInterval(timer);
        if (!finished) {
          finished = true;
          reject(new Error('fuzz worker exited without reporting'));
        }
      });
    };
    launch(opts.doneTargets ?? []);
  });
}

module.exports = {
  runFuzz,
  fuzzSlice,
  newState,
  execute,
  signatureOf,
  describeError,
  minimize,
  createRng,
  SHARED_INPUT_MAX,
};
