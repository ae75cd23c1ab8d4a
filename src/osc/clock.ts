// Wall-clock time in epoch milliseconds with sub-millisecond resolution, for comparing against OSC timetags.
//
// Timetags are NTP times: the sender's wall clock. Date.now() is on that clock but counts whole milliseconds;
// performance.now() counts fractions but on a monotonic clock, and performance.timeOrigin + performance.now()
// is the wall clock only as it was when the process started: it does not follow the wall clock when that is set
// (a Raspberry Pi without a real-time clock starts in the past and is set by NTP later; an ntpdate, a resumed
// laptop or VM), so a long-running Node-RED can be off by any amount. So this clock reads both: the fraction from
// performance.now(), the time from Date.now(), re-anchored at every reading.
//
// Date.now() is the wall time rounded down to the millisecond, so each reading bounds the offset between the two
// clocks: wall >= Date.now(), and wall < Date.now() + 1. The clock keeps the largest lower bound seen, which a
// reading taken just after Date.now() ticks makes exact to a microsecond or so, and so never runs ahead of the wall
// clock: a scheduler on it may release late by that error, never early. A reading whose upper bound falls below
// the kept offset proves the wall clock went back; the clock then starts over from that reading (and still never
// runs backwards by less than a millisecond, which is the two clocks wobbling, not the wall clock being set).

import { performance } from 'node:perf_hooks';

/** Two readings spanning this little bracket a tick of Date.now() well enough to calibrate on. */
const CLOSE_MS = 0.01;

/** A correction backwards this large or larger is the wall clock being set back, and is followed at once. */
const STEP_MS = 1;

/** A clock reading epoch milliseconds, fractional. */
export type NowFn = () => number;

/**
 * Makes a wall clock from a millisecond wall clock and a fractional monotonic one (Date.now and
 * performance.now by default; injectable to test how it follows a wall clock that is set).
 */
export function createWallClock(dateNow: NowFn = Date.now, monotonicNow: NowFn = () => performance.now()): NowFn {
  /** Wall ms minus monotonic ms: the largest lower bound seen. NaN until the first reading. */
  let offset = NaN;
  let lastDate = NaN;
  let lastBefore = NaN;
  let lastAfter = NaN;
  let last = -Infinity;
  const read = (): number => {
    const m1 = monotonicNow();
    const d = dateNow();
    const m2 = monotonicNow();
    lastDate = d;
    lastBefore = m1;
    lastAfter = m2;
    const lower = d - m2;
    // Between m1 and m2 the wall clock read d, so offset >= d - m2 and offset < d + 1 - m1.
    if (!(offset >= lower)) offset = lower;
    else if (d + 1 - m1 <= offset) offset = lower; // the wall clock was set back
    // The two clocks also wobble against each other by a few microseconds: such a correction does not make time
    // run backwards (a reading taken after a release must not come out before the due time); a setting back does.
    const t = m2 + offset;
    if (t < last && t > last - STEP_MS) return last;
    last = t;
    return t;
  };
  let calibrated = false;
  return () => {
    if (!calibrated) {
      calibrated = true;
      // Once: read until Date.now() ticks between two readings close together (the first reading after the tick
      // is then exact), for at most 3 ms, rather than start up to a millisecond behind.
      read();
      const until = lastAfter + 3;
      for (let i = 0; i < 1e5 && lastAfter < until; i++) {
        const date = lastDate;
        const before = lastBefore;
        read();
        // The tick fell between the two readings: the offset is now exact to within their span.
        if (lastDate !== date && lastAfter - before < CLOSE_MS) break;
      }
    }
    return read();
  };
}

/** Epoch milliseconds with sub-millisecond resolution, on the wall clock (see above); never ahead of it. */
export const wallClockNow: NowFn = createWallClock();
