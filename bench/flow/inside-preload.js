'use strict';
// Loaded into the Node-RED under test by `npm run bench:flow -- --inside` (node -r): it times, inside the runtime,
// each datagram from its 'message' event to the send() of the reply, and each wait of a msg between two nodes
// (the runtime hands a msg on with setImmediate). That splits the latency the generator sees into the part spent
// in this process and the part spent in the kernel and the scheduler before and after. SIGWINCH starts a
// measurement; the next SIGWINCH writes it to $BENCH_INSIDE_DIR/inside-<pid>.json. Diagnostics only: it wraps
// dgram and setImmediate for the whole process, which a product would never do. (Not SIGUSR2: Node-RED exits on it.)
// It also counts the garbage collector's pauses meanwhile: at 1,000 msgs/s a scavenge of the young generation
// (every few hundred KB of allocation) is what most often lands inside a message's latency.
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const { performance, PerformanceObserver, constants } = require('node:perf_hooks');
const v8 = require('node:v8');

const dir = process.env.BENCH_INSIDE_DIR;
const received = [];
const sent = [];
const hops = [];
const scavenges = [];
const otherGcs = [];
let on = false;

new PerformanceObserver((list) => {
  if (!on) return;
  for (const e of list.getEntries()) {
    const detail = /** @type {{ detail?: { kind: number } }} */ (e).detail;
    if (detail && detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges.push([e.startTime, e.duration]);
    else otherGcs.push(e.duration);
  }
}).observe({ entryTypes: ['gc'] });

const emit = dgram.Socket.prototype.emit;
dgram.Socket.prototype.emit = function (event, ...args) {
  if (on && event === 'message') received.push(performance.now());
  return emit.apply(this, /** @type {any} */ ([event, ...args]));
};
const send = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function (...args) {
  if (on) sent.push(performance.now());
  return send.apply(this, /** @type {any} */ (args));
};
const setImmediateOriginal = global.setImmediate;
/** @type {any} */ (global).setImmediate = function (fn, ...args) {
  const queued = performance.now();
  return setImmediateOriginal(
    /** @this {unknown} */ function () {
      if (on) hops.push(performance.now() - queued);
      fn.apply(this, args);
    },
  );
};

function percentiles(values) {
  const v = Float64Array.from(values).sort();
  const at = (q) => (v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : NaN);
  return {
    n: v.length,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    maxMs: v.length ? v[v.length - 1] : NaN,
  };
}

process.on('SIGWINCH', () => {
  if (!on) {
    received.length = 0;
    sent.length = 0;
    hops.length = 0;
    scavenges.length = 0;
    otherGcs.length = 0;
    on = true;
    return;
  }
  on = false;
  // Every datagram in makes `per` out, in order (1 for messages, 16 for bundles that a chain splits): pair them by
  // position. A datagram is hit by a scavenge that starts between its arrival and its last reply; every message of
  // it waits for that pause, so the share of messages in hit datagrams says whether scavenges reach the p99.
  const per = Math.max(1, Math.round(sent.length / Math.max(1, received.length)));
  const n = Math.min(received.length * per, sent.length - (sent.length % per));
  const inside = new Float64Array(n);
  const clean = [];
  let hit = 0;
  let k = 0;
  for (let d = 0; d * per < n; d++) {
    const from = received[d];
    const to = sent[d * per + per - 1];
    while (k < scavenges.length && scavenges[k][0] < from) k++;
    const isHit = k < scavenges.length && scavenges[k][0] <= to;
    if (isHit) hit += per;
    for (let i = d * per; i < d * per + per; i++) {
      inside[i] = sent[i] - from;
      if (!isHit) clean.push(inside[i]);
    }
  }
  const newSpace = v8.getHeapSpaceStatistics().find((sp) => sp.space_name === 'new_space');
  const gc = {
    scavenges: percentiles(scavenges.map((e) => e[1])),
    perDatagram: per,
    hitShare: n ? hit / n : NaN,
    insideWithoutHits: percentiles(clean),
    other: { n: otherGcs.length, totalMs: otherGcs.reduce((a, b) => a + b, 0) },
    // V8 sizes the young generation by what survives: it shrinks while the process is idle and grows back slowly.
    newSpaceBytes: newSpace ? newSpace.space_size : NaN,
  };
  const result = {
    received: received.length,
    sent: sent.length,
    inside: percentiles(inside),
    hops: percentiles(hops),
    gc,
  };
  fs.writeFileSync(path.join(dir, `inside-${process.pid}.json`), JSON.stringify(result));
});
