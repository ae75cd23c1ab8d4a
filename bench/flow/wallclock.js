'use strict';
// The benchmarks' own wall clock with sub-millisecond resolution, independent of src/ (a bug in the code being
// measured must not hide in the measurement): epoch milliseconds from performance.now(), anchored to Date.now()
// at every reading. Date.now() is the wall time rounded down to the millisecond, so each reading bounds the offset
// between the two clocks; the largest lower bound is kept, exact to a microsecond once Date.now() has been seen
// to tick, and never ahead of the wall clock. The same method as src/osc/clock.ts, written again on purpose.
const { performance } = require('node:perf_hooks');

let offset = NaN;
let lastAfter = NaN;

function read() {
  const m1 = performance.now();
  const d = Date.now();
  const m2 = performance.now();
  lastAfter = m2;
  if (!(offset >= d - m2) || d + 1 - m1 <= offset) offset = d - m2;
  return m2 + offset;
}

// Calibrate once at load: read both clocks for 20 ms (twenty ticks of Date.now()), keeping the best bound. A
// benchmark can afford it, and its clock should be at least as exact as the one it checks.
{
  const until = performance.now() + 20;
  do read();
  while (lastAfter < until);
}

/** Epoch milliseconds, fractional, on the wall clock. */
function wallNow() {
  return read();
}

/** How far the wall clock is from performance.timeOrigin + performance.now() in this process, in ms. */
function originSkew() {
  const origin = performance.timeOrigin;
  return read() - (origin + lastAfter);
}

module.exports = { wallNow, originSkew };
