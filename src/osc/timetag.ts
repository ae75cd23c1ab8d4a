// NTP timetags as OSC carries them, and their conversion to and from JS time.
//
// The wire format is two uint32 fields: seconds since 1900-01-01 and a binary fraction of a second. A uint32 of
// seconds wraps on 2036-02-07; following RFC 4330 (section 3) a seconds field with its top bit clear is read as
// era 1 (2036-2104), one with its top bit set as era 0 (1968-2036). So every helper here covers 1968-01-20 to
// 2104-02-26 and refuses times outside that window instead of wrapping them silently.
//
// The one exception is {seconds: 0, fraction: 1}, which OSC reserves for "immediately" and which is never read
// as a point in 2036.

import { OscError } from './errors';
import type { Timetag } from './types';

/** "Run now": the timetag OSC reserves for immediate dispatch. Frozen so nobody can turn it into a time. */
export const IMMEDIATELY: Timetag = Object.freeze({ seconds: 0, fraction: 1 }) as Timetag;

const TWO_32 = 4294967296;
/** Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
const NTP_UNIX_OFFSET = 2208988800;
/** NTP era-0 seconds at which era 0 stops being used (top bit set = era 0). */
const ERA_SPLIT = 2147483648;
/** Unix seconds of the first representable instant (NTP 0x80000000 in era 0): 1968-01-20T03:14:08Z. */
const MIN_UNIX_SECONDS = ERA_SPLIT - NTP_UNIX_OFFSET;
/** Unix seconds one past the last representable instant (NTP 0x80000000 in era 1): 2104-02-26T09:42:24Z. */
const MAX_UNIX_SECONDS = TWO_32 + ERA_SPLIT - NTP_UNIX_OFFSET;

function isUint32(n: unknown): n is number {
  return typeof n === 'number' && n >= 0 && n < TWO_32 && Math.floor(n) === n;
}

/** True for {seconds, fraction} holding two uint32 values. */
export function isTimetag(v: unknown): v is Timetag {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Timetag;
  return isUint32(t.seconds) && isUint32(t.fraction);
}

export function isImmediately(t: Timetag): boolean {
  return t.seconds === 0 && t.fraction === 1;
}

/** Unix seconds of the timetag's whole second, era-aware. */
function unixWholeSeconds(t: Timetag): number {
  // Top bit clear: era 1, i.e. after the 2036 rollover.
  return (t.seconds >= ERA_SPLIT ? t.seconds : t.seconds + TWO_32) - NTP_UNIX_OFFSET;
}

function fromUnixParts(wholeSeconds: number, fraction: number, what: string, shown: unknown): Timetag {
  if (fraction >= TWO_32) {
    // Rounding the fraction up reached the next second.
    wholeSeconds += 1;
    fraction -= TWO_32;
  }
  if (!(wholeSeconds >= MIN_UNIX_SECONDS && wholeSeconds < MAX_UNIX_SECONDS)) {
    throw new OscError(
      'BAD_TIMETAG',
      `${what} ${String(shown)} is outside the range an NTP timetag can express (1968-01-20 to 2104-02-26)`,
    );
  }
  const ntp = wholeSeconds + NTP_UNIX_OFFSET;
  return { seconds: ntp >= TWO_32 ? ntp - TWO_32 : ntp, fraction };
}

/**
 * Epoch milliseconds to a timetag. Integral milliseconds survive the round trip through timetagToMillis exactly;
 * sub-millisecond parts are kept to the fraction's resolution (about 0.23 ns).
 */
export function timetagFromMillis(ms: number): Timetag {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new OscError('BAD_TIMETAG', `epoch milliseconds must be a finite number, got ${String(ms)}`);
  }
  const whole = Math.floor(ms / 1000);
  const remMs = ms - whole * 1000;
  return fromUnixParts(whole, Math.round((remMs * TWO_32) / 1000), 'epoch milliseconds', ms);
}

/**
 * Timetag to epoch milliseconds. A fraction that some integral millisecond produces gives that integer back
 * (so Date and Date.now() values round-trip exactly); any other fraction gives fractional milliseconds.
 * IMMEDIATELY gives 0, the Unix epoch: a time in the past, which OSC dispatches at once, as it should.
 */
export function timetagToMillis(t: Timetag): number {
  checkTimetag(t);
  if (isImmediately(t)) return 0;
  const wholeMs = unixWholeSeconds(t) * 1000;
  const fracMs = (t.fraction * 1000) / TWO_32;
  const nearest = Math.round(fracMs);
  if (Math.round((nearest * TWO_32) / 1000) === t.fraction) return wholeMs + nearest;
  return wholeMs + fracMs;
}

export function timetagFromDate(d: Date): Timetag {
  const ms = d instanceof Date ? d.getTime() : NaN;
  if (Number.isNaN(ms)) throw new OscError('BAD_TIMETAG', 'expected a valid Date');
  return timetagFromMillis(ms);
}

/** IMMEDIATELY gives new Date(0) (see timetagToMillis). */
export function timetagToDate(t: Timetag): Date {
  return new Date(timetagToMillis(t));
}

/** Unix seconds (possibly fractional) to a timetag. */
export function timetagFromUnixSeconds(s: number): Timetag {
  if (typeof s !== 'number' || !Number.isFinite(s)) {
    throw new OscError('BAD_TIMETAG', `Unix seconds must be a finite number, got ${String(s)}`);
  }
  const whole = Math.floor(s);
  return fromUnixParts(whole, Math.round((s - whole) * TWO_32), 'Unix seconds', s);
}

/** Timetag to Unix seconds (fractional). IMMEDIATELY gives 0. */
export function timetagToUnixSeconds(t: Timetag): number {
  checkTimetag(t);
  if (isImmediately(t)) return 0;
  return unixWholeSeconds(t) + t.fraction / TWO_32;
}

/**
 * Orders two timetags in time, across the 2036 rollover. IMMEDIATELY sorts before every other timetag.
 * Returns a negative number, 0 or a positive number, as Array.prototype.sort expects.
 */
export function compareTimetags(a: Timetag, b: Timetag): number {
  checkTimetag(a);
  checkTimetag(b);
  const ai = isImmediately(a);
  const bi = isImmediately(b);
  if (ai || bi) return ai === bi ? 0 : ai ? -1 : 1;
  const d = unixWholeSeconds(a) - unixWholeSeconds(b);
  if (d !== 0) return d;
  return a.fraction - b.fraction;
}

/** A Timetag as given (validated), a Date, or epoch milliseconds, as a Timetag. */
export function toTimetag(v: Timetag | Date | number): Timetag {
  if (typeof v === 'number') return timetagFromMillis(v);
  if (v instanceof Date) return timetagFromDate(v);
  checkTimetag(v);
  return v;
}

function checkTimetag(t: unknown): asserts t is Timetag {
  if (!isTimetag(t)) {
    throw new OscError('BAD_TIMETAG', 'a timetag needs uint32 fields { seconds, fraction }');
  }
}
