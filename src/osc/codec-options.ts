// What encodePacket and decodePacket can be asked, the limits that apply when they are not, and how a refused
// value is named in an error message.

import { OscError } from './errors';
import type { NumberPolicy } from './types';

export interface EncodeOptions {
  /**
   * How plain JS numbers are typed (typed args and forced type tags are never re-typed):
   * - 'int' (default): int32 'i' when the number is an integer that fits; an integer outside int32 but inside
   *   int64 becomes 'h' (sending it as 'f' would silently lose digits); a larger integer becomes 'd';
   *   anything else (fractions, NaN, Infinity) becomes float32 'f'.
   * - 'float': always 'f' (a finite number beyond float32's range is refused).
   * - 'double': always 'd'.
   */
  numbers?: NumberPolicy;
  /** Deepest nesting of bundles, and separately of arrays, that is encoded (default 32, at most 1000). */
  maxDepth?: number;
}

export interface DecodeOptions {
  /**
   * Accept a message without a type-tag string, as sent by some old senders (default false, which refuses it
   * with MISSING_TYPE_TAGS). The message then has no arguments, except that bytes after the address are kept as
   * one 'b' (blob) argument so that nothing is silently lost.
   */
  lenient?: boolean;
  /** Deepest nesting of bundles, and separately of arrays, that is accepted (default 32, at most 1000). */
  maxDepth?: number;
  /** Most arguments in one message, array elements included (default 65536). */
  maxArgs?: number;
  /** Largest packet accepted, in bytes (default 1 MiB, at most 2 GiB - 4; UDP datagrams are at most 64 KiB anyway). */
  maxPacketSize?: number;
}

export const DEFAULT_MAX_DEPTH = 32;
export const DEFAULT_MAX_ARGS = 65536;
export const DEFAULT_MAX_PACKET_SIZE = 1048576;

/** The deepest nesting the options may ask for: recursion this deep stays far from the stack's end. */
export const DEPTH_CEILING = 1000;

/**
 * A limit from the options: a non-negative integer up to max, else an OscError. A NaN or Infinity would
 * silently lift the limit; a huge depth would let nesting overflow the stack.
 */
export function limit(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new OscError('BAD_ARGUMENT', `option ${name} must be an integer from 0 to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** A value as an error message names it: short, and never the whole of a long string. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'a Date';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString() + 'n';
  return typeof v;
}
