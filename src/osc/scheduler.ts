// Holds OSC bundles until their timetags are due, then hands their messages over in order. Pure: the clock and
// the timer are injectable, so tests (and simulations) run on a fake clock.
//
// On time to a fraction of a millisecond by default: the clock is the wall clock with sub-millisecond resolution
// (clock.ts), and since setTimeout counts whole milliseconds of a loop time cached at the start of each event loop
// turn (so it fires up to a millisecond early or late), it is armed to fire about LEAD_MS early, and the rest of
// the wait is finished on setImmediate turns, each of which sleeps (Atomics.wait, which does take fractions of a
// millisecond) for at most MAX_BLOCK_MS, so the event loop keeps serving I/O during the wait and no core spins.
// One such loop serves every scheduler in the process.
//
// Bounded by design: python-osc and others hold every future bundle (a flood of far-future timetags is an OOM),
// so here the queue has a size limit and a horizon, and both refuse the whole bundle with an error instead.

import { wallClockNow } from './clock';
import { OscError } from './errors';
import { IMMEDIATELY, isImmediately, timetagToMillis } from './timetag';
import type { OscBundle, OscMessage, OscPacket, Timetag } from './types';

/** What to do with messages found late (see SchedulerOptions.lateToleranceMs): hand them over anyway, or drop them. */
export type LatePolicy = 'emit' | 'drop';

/** The clock and timer the scheduler uses; epoch milliseconds, like the timetags it compares against. */
export interface SchedulerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Describes one group of messages as it is emitted or dropped. */
export interface DueInfo {
  /** Epoch ms at which the group was due; for IMMEDIATELY and bare messages, the time it arrived. */
  due: number;
  /** The timetag that set `due` (a nested bundle's own, or its parent's when the parent's is later), or IMMEDIATELY. */
  timetag: Timetag;
  /** Due more than lateToleranceMs before the moment it was handled. Never true for IMMEDIATELY. */
  late: boolean;
  /**
   * Milliseconds between due and the moment it was handled (0 or more), rounded to a whole millisecond, as
   * messages show it; `late` is decided on the exact time.
   */
  lateBy: number;
}

export interface SchedulerOptions {
  /**
   * Receives each group of messages when due: all the messages of one bundle (and of nested bundles due at the
   * same moment) in the order they appear, depth first, in a single call, so a group is applied atomically.
   */
  onDue: (messages: OscMessage[], info: DueInfo) => void;
  /** Receives the groups the 'drop' late policy discarded, so the caller can warn; they are counted either way. */
  onDrop?: (messages: OscMessage[], info: DueInfo) => void;
  /**
   * Receives an exception thrown by onDue/onDrop; the scheduler goes on with the next group either way. Without
   * it the first such exception is rethrown once the due groups are handled and the timer re-armed.
   */
  onError?: (error: unknown) => void;
  /** Most groups waiting at once (default 1000); a bundle that would pass it is refused whole. */
  maxQueue?: number;
  /** How far ahead a timetag may be, in ms (default 3 600 000, one hour); further is refused whole. */
  maxHorizonMs?: number;
  /** Default 'emit': late messages are handed over with info.late = true and counted. */
  latePolicy?: LatePolicy;
  /**
   * How long after its due time a group still counts as on time, in ms (default 20): a group is late when
   * handled more than this after it was due, whether it arrived already that old or the timer (or a busy event
   * loop) delivered it that late. Timers routinely fire a millisecond or two late, hence a tolerance.
   */
  lateToleranceMs?: number;
  /**
   * Replaces parts of the real clock, e.g. with a fake clock in tests. By default now() is the wall clock with
   * sub-millisecond resolution (wallClockNow); a setTimeout given here is taken as exact: it is armed for the due
   * time itself (fractions of a millisecond included) and the scheduler adds no final wait of its own.
   */
  clock?: Partial<SchedulerClock>;
}

export interface SchedulerStats {
  /** Groups waiting (a bundle, or a nested bundle with a later timetag of its own). */
  waiting: number;
  /** Messages in the waiting groups. */
  waitingMessages: number;
  /** Epoch ms at which the earliest waiting group is due, or null when none waits. */
  nextDue: number | null;
  /** Groups handed to onDue. */
  emitted: number;
  /** Groups found late (emitted or dropped, per the late policy). */
  late: number;
  /** Groups dropped by the 'drop' late policy. */
  dropped: number;
  /** Packets refused by schedule() (queue full, beyond the horizon, bad timetag). */
  rejected: number;
}

export const DEFAULT_MAX_QUEUE = 1000;
export const DEFAULT_MAX_HORIZON_MS = 3_600_000;
export const DEFAULT_LATE_TOLERANCE_MS = 20;
/** setTimeout's largest delay; a later wake-up just re-arms. */
const MAX_TIMER_MS = 0x7fffffff;
/**
 * How early setTimeout is aimed. It fires a tenth of a millisecond after its time on an idle event loop, and up
 * to a millisecond before it when I/O wakes the loop meanwhile (it compares whole milliseconds of the loop's cached
 * time); aimed this early, it almost always fires before the due time, and the final wait does the rest.
 */
const LEAD_MS = 1;
/** Longest sleep of one turn of the final wait: what it may delay other I/O on the event loop by. */
const MAX_BLOCK_MS = 0.5;
/** A final wait shorter than this beyond the expected oversleep is polled (setImmediate turns) instead. */
const MIN_SLEEP_MS = 0.01;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Where the thread may not block (a browser's main thread), the final wait polls. */
const canSleep = ((): boolean => {
  try {
    Atomics.wait(sleeper, 0, 0, 0);
    return true;
  } catch {
    return false;
  }
})();
/**
 * How much Atomics.wait oversleeps, in ms: the kernel's timer slack (50 us by default on Linux) and a wake-up.
 * Sleeps are cut short by it. Tracked as its 10th percentile (a tenth of a microsecond up for each sleep that
 * overslept more, nine tenths down for each that did not: one preempted sleep cannot throw it off), shared by
 * every scheduler in the process: nine sleeps in ten then end just after the due time, by a few microseconds,
 * and need no polling turn after them; the tenth polls its last few microseconds.
 */
let oversleepMs = 0.06;

/** Blocks the thread for about ms (fractional) without spinning, and learns how much more it took. */
function sleep(ms: number, now: () => number): void {
  const t0 = now();
  Atomics.wait(sleeper, 0, 0, ms);
  const over = now() - t0 - ms;
  oversleepMs = Math.min(MAX_BLOCK_MS, Math.max(0, oversleepMs + (over > oversleepMs ? 0.0001 : -0.0009)));
}

/** A scheduler in its final wait, as the shared loop sees it. */
interface FinalWaiter {
  /** Milliseconds until its earliest group is due, on its clock. */
  remaining(): number;
  /** Hands over what is due; joins the wait again if the next group is near. */
  fire(): void;
  /** Its clock, passed around on its own. */
  readonly now: () => number;
}

// The final waits of all the schedulers in the process share one loop of setImmediate turns, which sleeps
// towards the earliest due time among them: a sleep for one scheduler must not make another's release late.
const finalWaiters = new Set<FinalWaiter>();
let finalTurn: ReturnType<typeof setImmediate> | null = null;

function joinFinalWait(w: FinalWaiter): void {
  finalWaiters.add(w);
  if (finalTurn === null) finalTurn = setImmediate(runFinalTurn);
}

function leaveFinalWait(w: FinalWaiter): void {
  if (!finalWaiters.delete(w)) return;
  if (finalWaiters.size === 0 && finalTurn !== null) {
    clearImmediate(finalTurn);
    finalTurn = null;
  }
}

/**
 * One turn of the final wait: sleeps towards the earliest due time (MAX_BLOCK_MS at most, so that I/O waiting on
 * the event loop is served between turns), then hands over what is due, the most overdue first.
 */
function runFinalTurn(): void {
  finalTurn = null;
  let soonest: FinalWaiter | undefined;
  let soonestMs = Infinity;
  for (const w of finalWaiters) {
    const r = w.remaining();
    if (r < soonestMs) {
      soonestMs = r;
      soonest = w;
    }
  }
  // In equal sleeps of MAX_BLOCK_MS at most, so that none leaves a remainder too short to sleep, to be polled.
  const sleeps = Math.ceil(soonestMs / (MAX_BLOCK_MS + oversleepMs));
  const sleepMs = sleeps > 0 ? soonestMs / sleeps - oversleepMs : 0;
  if (canSleep && soonest !== undefined && sleepMs >= MIN_SLEEP_MS) sleep(sleepMs, soonest.now);
  const due: Array<[number, FinalWaiter]> = [];
  for (const w of finalWaiters) {
    const r = w.remaining();
    if (r <= 0) due.push([r, w]);
  }
  due.sort((a, b) => a[0] - b[0]);
  let failure: { error: unknown } | null = null;
  for (const [, w] of due) {
    finalWaiters.delete(w);
    try {
      w.fire();
    } catch (error) {
      if (failure === null) failure = { error };
    }
  }
  if (finalWaiters.size > 0 && finalTurn === null) finalTurn = setImmediate(runFinalTurn);
  if (failure !== null) throw failure.error;
}

interface Group {
  due: number;
  seq: number;
  timetag: Timetag;
  immediate: boolean;
  messages: OscMessage[];
}

function earlier(a: Group, b: Group): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

function isBundlePacket(p: OscPacket): p is OscBundle {
  return (p as OscBundle).packets !== undefined;
}

function checkCount(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= min) || (name === 'maxQueue' && !Number.isInteger(v)) || !Number.isFinite(v)) {
    throw new RangeError(
      `${name} must be a finite number >= ${min}${name === 'maxQueue' ? ' (an integer)' : ''}, got ${String(v)}`,
    );
  }
  return v;
}

/**
 * The bundle scheduler. One timer, for the earliest waiting group; groups due at the same moment come out in
 * arrival order. Usage (what osc-in's scheduling option does):
 *
 *   const s = new BundleScheduler({ onDue: (msgs) => msgs.forEach(send), latePolicy: 'emit' });
 *   try { s.schedule(decodedPacket); } catch (e) { report(e); }   // OscError: LIMIT_EXCEEDED or BAD_TIMETAG
 *   status(s.stats()); ... s.close();                             // on node close
 */
export class BundleScheduler {
  private readonly onDue: SchedulerOptions['onDue'];
  private readonly onDrop: SchedulerOptions['onDrop'];
  private readonly onError: SchedulerOptions['onError'];
  private readonly maxQueue: number;
  private readonly maxHorizonMs: number;
  private readonly latePolicy: LatePolicy;
  private readonly toleranceMs: number;
  private readonly clock: SchedulerClock;
  /** Binary min-heap on (due, seq). */
  private readonly heap: Group[] = [];
  private seq = 0;
  private waitingMessages = 0;
  /** Default timers: setTimeout aimed LEAD_MS early, then the final wait. Else the injected setTimeout, exact. */
  private readonly precise: boolean;
  private timer: unknown = null;
  private readonly waiter: FinalWaiter = {
    remaining: () => (this.heap.length > 0 ? this.heap[0].due - this.clock.now() : Infinity),
    fire: () => {
      if (!this.isClosed) this.drain();
    },
    now: () => this.clock.now(),
  };
  private timerAt = 0;
  private draining = false;
  private isClosed = false;
  private counts = { emitted: 0, late: 0, dropped: 0, rejected: 0 };

  constructor(options: SchedulerOptions) {
    if (typeof options?.onDue !== 'function') throw new TypeError('BundleScheduler needs an onDue callback');
    this.onDue = options.onDue;
    this.onDrop = options.onDrop;
    this.onError = options.onError;
    this.maxQueue = checkCount('maxQueue', options.maxQueue, DEFAULT_MAX_QUEUE, 0);
    this.maxHorizonMs = checkCount('maxHorizonMs', options.maxHorizonMs, DEFAULT_MAX_HORIZON_MS, 0);
    this.toleranceMs = checkCount('lateToleranceMs', options.lateToleranceMs, DEFAULT_LATE_TOLERANCE_MS, 0);
    const policy = options.latePolicy ?? 'emit';
    if (policy !== 'emit' && policy !== 'drop') {
      throw new RangeError(`latePolicy must be 'emit' or 'drop', got ${String(policy)}`);
    }
    this.latePolicy = policy;
    const c = options.clock ?? {};
    this.precise = c.setTimeout === undefined;
    this.clock = {
      now: c.now ?? wallClockNow,
      setTimeout: c.setTimeout ?? ((fn, ms) => setTimeout(fn, ms)),
      clearTimeout: c.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>)),
    };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Takes a decoded packet. A message, an IMMEDIATELY bundle and a bundle whose time has come are handed to
   * onDue before this returns (after any waiting group that is due earlier); later ones wait. Each nested
   * bundle is due at max(parent's time, its own), as OSC says a nested timetag should not be earlier.
   * Throws OscError when the packet is refused, and then keeps nothing of it: 'LIMIT_EXCEEDED' when the queue
   * would pass maxQueue, 'BAD_TIMETAG' when a timetag is invalid or beyond maxHorizonMs.
   */
  schedule(packet: OscPacket): void {
    if (this.isClosed) throw new Error('BundleScheduler: schedule() after close()');
    const now = this.clock.now();
    let groups: Group[];
    try {
      groups = this.collect(packet, now);
    } catch (e) {
      this.counts.rejected++;
      throw e;
    }
    let future = 0;
    for (const g of groups) {
      if (g.due > now) {
        if (g.due - now > this.maxHorizonMs) {
          this.counts.rejected++;
          throw new OscError(
            'BAD_TIMETAG',
            `bundle due in ${Math.round(g.due - now)} ms, beyond the scheduling horizon of ${this.maxHorizonMs} ms`,
          );
        }
        future++;
      }
    }
    if (future > 0 && this.heap.length + future > this.maxQueue) {
      this.counts.rejected++;
      throw new OscError(
        'LIMIT_EXCEEDED',
        `scheduler queue full (${this.heap.length} of ${this.maxQueue} waiting); bundle refused`,
      );
    }
    for (const g of groups) this.insert(g);
    this.drain();
  }

  stats(): SchedulerStats {
    return {
      waiting: this.heap.length,
      waitingMessages: this.waitingMessages,
      nextDue: this.heap.length > 0 ? this.heap[0].due : null,
      ...this.counts,
    };
  }

  /** Clears the timer and discards what waits (nothing is emitted afterwards); returns how many groups waited. */
  close(): number {
    const discarded = this.heap.length;
    this.isClosed = true;
    this.disarm();
    this.heap.length = 0;
    this.waitingMessages = 0;
    return discarded;
  }

  /** Splits a packet into groups by due time, in document order, depth first. */
  private collect(packet: OscPacket, now: number): Group[] {
    const byDue = new Map<number, Group>();
    const out: Group[] = [];
    const add = (due: number, timetag: Timetag, immediate: boolean, m: OscMessage): void => {
      let g = byDue.get(due);
      if (g === undefined) {
        g = { due, seq: 0, timetag, immediate, messages: [] };
        byDue.set(due, g);
        out.push(g);
      }
      g.messages.push(m);
    };
    interface Timing {
      due: number;
      tag: Timetag;
      immediate: boolean;
    }
    const walk = (b: OscBundle, parent: Timing | null, depth: number): void => {
      // Decoded packets are depth-limited by the codec; this guards hand-built ones from blowing the stack.
      if (depth > 64) throw new OscError('LIMIT_EXCEEDED', 'bundles nested more than 64 deep');
      let t: Timing;
      if (isImmediately(b.timetag)) {
        t = parent ?? { due: now, tag: IMMEDIATELY, immediate: true };
      } else {
        const own = timetagToMillis(b.timetag);
        t = parent !== null && parent.due >= own ? parent : { due: own, tag: b.timetag, immediate: false };
      }
      for (const p of b.packets) {
        if (isBundlePacket(p)) walk(p, t, depth + 1);
        else add(t.due, t.tag, t.immediate, p);
      }
    };
    if (isBundlePacket(packet)) walk(packet, null, 0);
    else add(now, IMMEDIATELY, true, packet);
    return out;
  }

  private insert(g: Group): void {
    g.seq = this.seq++;
    this.waitingMessages += g.messages.length;
    const h = this.heap;
    let i = h.push(g) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Group {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as Group;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && earlier(h[l], h[m])) m = l;
        if (r < h.length && earlier(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    this.waitingMessages -= top.messages.length;
    return top;
  }

  /** Hands over every group that is due, then arms the timer for the next one. */
  private drain(): void {
    if (this.draining) return; // a callback scheduled or fired us again; the outer loop carries on
    this.draining = true;
    let failure: { error: unknown } | null = null;
    try {
      for (;;) {
        const now = this.clock.now();
        if (this.heap.length === 0 || this.heap[0].due > now) break;
        const g = this.pop();
        const exactlyLateBy = Math.max(0, now - g.due);
        const late = !g.immediate && exactlyLateBy > this.toleranceMs;
        const info: DueInfo = { due: g.due, timetag: g.timetag, late, lateBy: Math.round(exactlyLateBy) };
        if (late) this.counts.late++;
        const drop = late && this.latePolicy === 'drop';
        if (drop) this.counts.dropped++;
        else this.counts.emitted++;
        try {
          if (drop) this.onDrop?.(g.messages, info);
          else this.onDue(g.messages, info);
        } catch (error) {
          if (this.onError) this.onError(error);
          else if (failure === null) failure = { error };
        }
      }
    } finally {
      this.draining = false;
    }
    this.arm();
    if (failure !== null) throw failure.error;
  }

  /** Arranges to be woken for the earliest waiting group (once: a wake-up for the same due time stays). */
  private arm(): void {
    if (this.isClosed || this.heap.length === 0) {
      this.disarm();
      return;
    }
    const due = this.heap[0].due;
    if ((this.timer !== null || finalWaiters.has(this.waiter)) && this.timerAt === due) return;
    this.disarm();
    this.timerAt = due;
    const remaining = due - this.clock.now();
    if (!this.precise) {
      this.timer = this.clock.setTimeout(this.wake, Math.min(MAX_TIMER_MS, Math.max(0, remaining)));
    } else if (remaining >= LEAD_MS + 1) {
      // Whole milliseconds: Node's timers count in them.
      this.timer = this.clock.setTimeout(this.wake, Math.min(MAX_TIMER_MS, Math.floor(remaining - LEAD_MS)));
    } else {
      joinFinalWait(this.waiter);
    }
  }

  private readonly wake = (): void => {
    this.timer = null;
    if (!this.isClosed) this.drain();
  };

  private disarm(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    leaveFinalWait(this.waiter);
  }
}
