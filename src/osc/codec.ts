// The OSC 1.0/1.1 codec: packets to bytes and back, exact to the byte, strict about what it accepts.
//
// Speed matters here (every datagram of every flow passes through), so the code is written for V8 rather than
// for elegance: encoding plans the whole packet into flat, reused scratch arrays (tags, numbers, strings) in one
// pass that also validates, then writes it into a single Buffer of the exact size in a second pass that cannot
// fail; decoding reads bytes directly (no DataView, no intermediate objects) and builds objects of one shape.
// Both are synchronous and never re-entered, which is what makes module-level scratch state safe.

import { Buffer } from 'node:buffer';
import { OscError, isOscError } from './errors';
import type {
  NumberPolicy,
  OscArg,
  OscBundle,
  OscBundleInput,
  OscMessage,
  OscMessageInput,
  OscPacket,
  OscPacketInput,
  PlainArg,
  Rgba,
  Timetag,
} from './types';
import { isTimetag, toTimetag } from './timetag';
import { HAS_NUL, decodeUtf8, utf8Length } from './utf8';

export * from './types';
export { OscError, isOscError } from './errors';
export * from './timetag';

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

// Module-local copies: inside this module an exported const compiles to a property load on `exports`.
const MAX_DEPTH = 32;
const MAX_ARGS = 65536;
const MAX_PACKET_SIZE = 1048576;
export const DEFAULT_MAX_DEPTH = MAX_DEPTH;
export const DEFAULT_MAX_ARGS = MAX_ARGS;
export const DEFAULT_MAX_PACKET_SIZE = MAX_PACKET_SIZE;

// ---------------------------------------------------------------------------------------------------------------
// Shared byte-level scratch

// Float and int64 conversions go through one 8-byte scratch seen as several typed arrays; copying 4 or 8 bytes
// by hand is much cheaper than a DataView per call, and works for any Uint8Array, not only Buffers.
const scratch = new ArrayBuffer(8);
const scratchF32 = new Float32Array(scratch);
const scratchF64 = new Float64Array(scratch);
const scratchU32 = new Uint32Array(scratch);
const scratchI64 = new BigInt64Array(scratch);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// Which half of scratchU32 holds the high 32 bits of an 8-byte value.
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

const TWO_31 = 2147483648;
const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
const INT64_MIN = -(BigInt(1) << BigInt(63));
const INT64_MAX = (BigInt(1) << BigInt(63)) - BigInt(1);

// Type tag character codes.
const T_i = 105;
const T_f = 102;
const T_d = 100;
const T_h = 104;
const T_s = 115;
const T_S = 83;
const T_c = 99;
const T_b = 98;
const T_t = 116;
const T_r = 114;
const T_m = 109;
const T_T = 84;
const T_F = 70;
const T_N = 78;
const T_I = 73;
const T_OPEN = 91;
const T_CLOSE = 93;
const SLASH = 47;
const BUNDLE_HEADER = [35, 98, 117, 110, 100, 108, 101, 0]; // "#bundle\0"
const HASH = 35;
const COMMA = 44;

/** Known type tags: 1 for each tag this codec reads and writes, 0 otherwise. */
const KNOWN_TAG = new Uint8Array(128);
for (const c of 'ifdhsScbtrmTFNI[]') KNOWN_TAG[c.charCodeAt(0)] = 1;

// Local bindings: a call through an imported module object is a property load on every call.
const utf8LengthOf = utf8Length;
const decodeUtf8Strict = decodeUtf8;

/** UTF-8 length of s (negative: HAS_NUL or ILL_FORMED), with the ASCII loop here where V8 can inline it. */
function byteLength(s: string): number {
  const n = s.length;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 0 || c >= 0x80) return utf8LengthOf(s);
  }
  return n;
}

/**
 * A limit from the options: a non-negative integer up to max, else an OscError. A NaN or Infinity would
 * silently lift the limit; a huge depth would let nesting overflow the stack.
 */
function limit(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new OscError('BAD_ARGUMENT', `option ${name} must be an integer from 0 to ${max}, got ${describe(value)}`);
  }
  return value;
}

/** The deepest nesting the options may ask for: recursion this deep stays far from the stack's end. */
const DEPTH_CEILING = 1000;

// ---------------------------------------------------------------------------------------------------------------
// Type guards and plain values

export function isBundle<P extends OscPacket | OscPacketInput>(
  p: P,
): p is Extract<P, OscBundle | OscBundleInput> {
  return typeof p === 'object' && p !== null && Array.isArray((p as { packets?: unknown }).packets);
}

export function isMessage<P extends OscPacket | OscPacketInput>(
  p: P,
): p is Extract<P, OscMessage | OscMessageInput> {
  return typeof p === 'object' && p !== null && typeof (p as { address?: unknown }).address === 'string';
}

/**
 * A typed argument as the plain JS value a flow expects in msg.payload: i f d -> number; h -> number when it is
 * a safe integer, else bigint; s S c -> string; b m -> the bytes themselves (the same view, not a copy);
 * t -> { seconds, fraction }; r -> { r, g, b, a }; T -> true; F -> false; N -> null; I (impulse) -> true;
 * '[' -> an array of plain values.
 */
export function plainValue(arg: OscArg): unknown {
  switch (arg.type) {
    case 'h': {
      const n = Number(arg.value);
      return Number.isSafeInteger(n) ? n : arg.value;
    }
    case 't':
      return { seconds: arg.value.seconds, fraction: arg.value.fraction };
    case 'r':
      return { r: arg.value.r, g: arg.value.g, b: arg.value.b, a: arg.value.a };
    case 'I':
      return true;
    case '[':
      return plainValues(arg.value);
    default:
      return arg.value;
  }
}

export function plainValues(args: OscArg[]): unknown[] {
  const out = new Array<unknown>(args.length);
  for (let k = 0; k < args.length; k++) out[k] = plainValue(args[k]);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding, pass 1: plan and validate
//
// Every argument becomes one entry in flat scratch arrays: its tag, a number (the numeric value, a string's
// UTF-8 length, a packed rgba/midi) and an object (string, blob, bigint, timetag). Array brackets are entries
// too, so pass 2 never looks at the caller's objects again. Packets are nodes in pre-order with their sizes.

let cap = 64;
let planTags = new Uint8Array(cap);
let planNum = new Float64Array(cap);
let planNum2 = new Float64Array(cap);
let planObj: unknown[] = new Array<unknown>(cap).fill(undefined);
let nPlan = 0;
/** Whether planObj holds references that releasePlan must drop. */
let heldObj = false;
/** Bytes of argument data planned so far for the current message. */
let dataSize = 0;

// Nodes: one per message or bundle, in the order they are written.
let nodeCap = 16;
let nodeKind = new Uint8Array(nodeCap); // 0 message, 1 bundle
let nodeSize = new Int32Array(nodeCap);
let nodeStart = new Int32Array(nodeCap); // message: first plan entry; bundle: timetag seconds
let nodeEnd = new Float64Array(nodeCap); // message: one past the last plan entry; bundle: timetag fraction
let nodeStr: unknown[] = new Array<unknown>(nodeCap).fill(undefined); // message: address
let nodeStrLen = new Int32Array(nodeCap); // message: address UTF-8 length
let nNodes = 0;

let policy = 0; // 0 int, 1 float, 2 double

/** Strings shorter than this are written by a JS loop, longer ones by Buffer#write. */
const SHORT = 64;
/**
 * When true, pass 1 takes a short string's UTF-8 length to be its length, as for ASCII, and pass 2 checks each
 * character as it writes it, redoing the packet with exact lengths if one was not ASCII (or was NUL). This
 * saves a whole scan of every string in the usual, all-ASCII case.
 */
let speculative = true;
/** After a miss, how many packets to encode with exact lengths before guessing again. */
const EXACT_RUNS = 64;
let exactRuns = 0;
let encMaxDepth = MAX_DEPTH;

// Where in the message an argument error is: top-level index, then indexes inside nested arrays.
const path: number[] = [0];
let pathLen = 0;

/** A copy of a table with room for `size` entries: the plan and node tables double when a packet outgrows them. */
function widened<T extends Uint8Array | Int32Array | Float64Array>(a: T, size: number, Table: new (n: number) => T): T {
  const b = new Table(size);
  b.set(a);
  return b;
}

function widenedList(a: unknown[], size: number): unknown[] {
  const b = new Array<unknown>(size).fill(undefined);
  for (let k = 0; k < a.length; k++) b[k] = a[k];
  return b;
}

function growPlan(): void {
  cap *= 2;
  planTags = widened(planTags, cap, Uint8Array);
  planNum = widened(planNum, cap, Float64Array);
  planNum2 = widened(planNum2, cap, Float64Array);
  planObj = widenedList(planObj, cap);
}

function growNodes(): void {
  nodeCap *= 2;
  nodeKind = widened(nodeKind, nodeCap, Uint8Array);
  nodeSize = widened(nodeSize, nodeCap, Int32Array);
  nodeStart = widened(nodeStart, nodeCap, Int32Array);
  nodeEnd = widened(nodeEnd, nodeCap, Float64Array);
  nodeStrLen = widened(nodeStrLen, nodeCap, Int32Array);
  nodeStr = widenedList(nodeStr, nodeCap);
}

function where(): string {
  let s = 'argument ' + path[0];
  for (let k = 1; k < pathLen; k++) s += '[' + path[k] + ']';
  return s;
}

function argError(code: 'BAD_ARGUMENT' | 'BAD_TYPE_TAGS', why: string): OscError {
  return new OscError(code, `${where()}: ${why}`, -1, path[0]);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof Date) return 'a Date';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return v.toString() + 'n';
  return typeof v;
}

function add(tag: number, num: number): void {
  if (nPlan === cap) growPlan();
  planTags[nPlan] = tag;
  planNum[nPlan] = num;
  nPlan++;
}

function addObj(tag: number, num: number, obj: unknown): void {
  if (nPlan === cap) growPlan();
  heldObj = true;
  planTags[nPlan] = tag;
  planNum[nPlan] = num;
  planObj[nPlan] = obj;
  nPlan++;
}

function planInt32(v: unknown): void {
  if (typeof v !== 'number' || (v | 0) !== v) {
    if (typeof v === 'bigint' && v >= -TWO_31 && v < TWO_31) {
      add(T_i, Number(v));
      dataSize += 4;
      return;
    }
    throw argError(
      'BAD_ARGUMENT',
      typeof v === 'number'
        ? Number.isInteger(v)
          ? `${v} is outside int32 (-2147483648..2147483647) and cannot be sent as 'i'`
          : `${v} is not an integer and cannot be sent as 'i'`
        : `'i' needs a number, got ${describe(v)}`,
    );
  }
  add(T_i, v);
  dataSize += 4;
}

function planFloat32(v: unknown): void {
  if (typeof v !== 'number') throw argError('BAD_ARGUMENT', `'f' needs a number, got ${describe(v)}`);
  if (!Number.isFinite(Math.fround(v)) && Number.isFinite(v)) {
    throw argError('BAD_ARGUMENT', `${v} is beyond float32's range and cannot be sent as 'f' (use 'd')`);
  }
  add(T_f, v);
  dataSize += 4;
}

function planFloat64(v: unknown): void {
  if (typeof v !== 'number') throw argError('BAD_ARGUMENT', `'d' needs a number, got ${describe(v)}`);
  add(T_d, v);
  dataSize += 8;
}

function planInt64(v: unknown): void {
  let b: bigint;
  if (typeof v === 'bigint') {
    b = v;
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= -TWO_63 && v < TWO_63) {
    b = BigInt(v);
  } else {
    throw argError(
      'BAD_ARGUMENT',
      typeof v === 'number' ? `${v} is not an integer within int64 and cannot be sent as 'h'` : `'h' needs a bigint or an integral number, got ${describe(v)}`,
    );
  }
  if (b < INT64_MIN || b > INT64_MAX) {
    throw argError('BAD_ARGUMENT', `${b} is outside int64 and cannot be sent as 'h'`);
  }
  addObj(T_h, 0, b);
  dataSize += 8;
}

function planString(tag: number, v: unknown): void {
  if (typeof v !== 'string') {
    throw argError('BAD_ARGUMENT', `'${String.fromCharCode(tag)}' needs a string, got ${describe(v)}`);
  }
  const len = speculative && v.length < SHORT ? v.length : byteLength(v);
  if (len < 0) {
    throw argError(
      'BAD_ARGUMENT',
      len === HAS_NUL ? 'a string cannot contain NUL (U+0000): OSC-strings end at the first NUL' : 'the string holds a lone surrogate, which has no UTF-8 form',
    );
  }
  addObj(tag, len, v);
  dataSize += (len + 4) & ~3;
}

function planChar(v: unknown): void {
  let cp = -1;
  if (typeof v === 'string') {
    const c = v.codePointAt(0);
    if (c !== undefined && v.length === (c > 0xffff ? 2 : 1) && !(c >= 0xd800 && c <= 0xdfff)) cp = c;
  }
  if (cp < 0) throw argError('BAD_ARGUMENT', `'c' needs a string of exactly one character, got ${describe(v)}`);
  add(T_c, cp);
  dataSize += 4;
}

function planBlob(v: unknown): void {
  if (!(v instanceof Uint8Array)) throw argError('BAD_ARGUMENT', `'b' needs a Uint8Array or Buffer, got ${describe(v)}`);
  if (v.length > 0x7ffffff0) throw new OscError('LIMIT_EXCEEDED', `${where()}: a blob of ${v.length} bytes is too large`, -1, path[0]);
  addObj(T_b, v.length, v);
  dataSize += 4 + ((v.length + 3) & ~3);
}

function planTimetag(v: unknown): void {
  let t: Timetag;
  if (isTimetag(v)) {
    t = v;
  } else if (v instanceof Date || typeof v === 'number') {
    try {
      t = toTimetag(v);
    } catch (e) {
      throw argError('BAD_ARGUMENT', isOscError(e) ? e.message : 'not a valid time');
    }
  } else {
    throw argError('BAD_ARGUMENT', `'t' needs { seconds, fraction } (uint32 each), a Date or epoch milliseconds, got ${describe(v)}`);
  }
  add(T_t, t.seconds);
  planNum2[nPlan - 1] = t.fraction;
  dataSize += 8;
}

function isByte(n: unknown): boolean {
  return typeof n === 'number' && (n & 255) === n;
}

function planRgba(v: unknown): void {
  const c = v as Rgba;
  if (typeof v !== 'object' || v === null || !isByte(c.r) || !isByte(c.g) || !isByte(c.b) || !isByte(c.a)) {
    throw argError('BAD_ARGUMENT', `'r' needs { r, g, b, a }, each an integer 0..255, got ${describe(v)}`);
  }
  add(T_r, ((c.r << 24) | (c.g << 16) | (c.b << 8) | c.a) >>> 0);
  dataSize += 4;
}

function planMidi(v: unknown): void {
  const a = v as ArrayLike<number>;
  if (
    !(v instanceof Uint8Array || Array.isArray(v)) ||
    a.length !== 4 ||
    !isByte(a[0]) ||
    !isByte(a[1]) ||
    !isByte(a[2]) ||
    !isByte(a[3])
  ) {
    throw argError('BAD_ARGUMENT', `'m' needs exactly 4 bytes (port, status, data1, data2), got ${describe(v)}${a && typeof a.length === 'number' ? ` of length ${a.length}` : ''}`);
  }
  add(T_m, ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0);
  dataSize += 4;
}

function isTyped(v: object): v is OscArg {
  return typeof (v as { type?: unknown }).type === 'string' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** An argument in the typed form {type, value}. */
function planTyped(a: OscArg, depth: number): void {
  const v = a.value;
  const type: string = a.type;
  switch (type.length === 1 ? type.charCodeAt(0) : 0) {
    case T_i:
      return planInt32(v);
    case T_f:
      return planFloat32(v);
    case T_s:
      return planString(T_s, v);
    case T_d:
      return planFloat64(v);
    case T_h:
      return planInt64(v);
    case T_S:
      return planString(T_S, v);
    case T_c:
      return planChar(v);
    case T_b:
      return planBlob(v);
    case T_t:
      return planTimetag(v);
    case T_r:
      return planRgba(v);
    case T_m:
      return planMidi(v);
    case T_T:
      if (v !== true && v !== undefined) throw argError('BAD_ARGUMENT', `'T' has the value true (or none), got ${describe(v)}`);
      return add(T_T, 0);
    case T_F:
      if (v !== false && v !== undefined) throw argError('BAD_ARGUMENT', `'F' has the value false (or none), got ${describe(v)}`);
      return add(T_F, 0);
    case T_N:
      if (v !== null && v !== undefined) throw argError('BAD_ARGUMENT', `'N' has the value null (or none), got ${describe(v)}`);
      return add(T_N, 0);
    case T_I:
      if (v !== undefined && v !== null && v !== true) {
        throw argError('BAD_ARGUMENT', `'I' (impulse) carries no value, got ${describe(v)}`);
      }
      return add(T_I, 0);
    case T_OPEN:
      if (!Array.isArray(v)) throw argError('BAD_ARGUMENT', `'[' needs an array of arguments, got ${describe(v)}`);
      return planArray(v, depth);
    default:
      throw argError('BAD_ARGUMENT', `unknown type tag ${JSON.stringify((a as { type: unknown }).type)}`);
  }
}

function planArray(items: unknown[], depth: number): void {
  if (depth >= encMaxDepth) {
    throw new OscError('LIMIT_EXCEEDED', `${where()}: arrays nested deeper than ${encMaxDepth}`, -1, path[0]);
  }
  add(T_OPEN, 0);
  const level = pathLen++;
  for (let k = 0; k < items.length; k++) {
    path[level] = k;
    planPlain(items[k], depth + 1);
  }
  pathLen = level;
  add(T_CLOSE, 0);
}

/** Any argument: plain JS value (its tag inferred) or typed. */
function planPlain(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'number':
      if (policy === 0) {
        if ((v | 0) === v) return planInt32(v);
        if (Number.isInteger(v)) return v >= -TWO_63 && v < TWO_63 ? planInt64(v) : planFloat64(v);
        return planFloat32(v);
      }
      return policy === 1 ? planFloat32(v) : planFloat64(v);
    case 'string':
      return planString(T_s, v);
    case 'boolean':
      return add(v ? T_T : T_F, 0);
    case 'bigint':
      return planInt64(v);
    case 'object':
      if (v === null) return add(T_N, 0);
      if (Array.isArray(v)) return planArray(v, depth);
      // Typed arguments first: the usual case, and a property load is cheaper than instanceof. (Byte arrays and
      // Dates have no `type`.)
      if (typeof (v as { type?: unknown }).type === 'string') return planTyped(v as OscArg, depth);
      if (v instanceof Uint8Array) return planBlob(v);
      if (v instanceof Date) return planTimetag(v);
      throw argError(
        'BAD_ARGUMENT',
        'cannot infer an OSC type for an object; give it as { type, value } (e.g. { type: "r", value: { r, g, b, a } })',
      );
    default:
      throw argError('BAD_ARGUMENT', `cannot send ${describe(v)}`);
  }
}

function badTypes(types: string, why: string, argIndex?: number): OscError {
  return new OscError('BAD_TYPE_TAGS', `type tags ${JSON.stringify(types)}: ${why}`, -1, argIndex);
}

/**
 * Arguments under a forced type-tag string. Rule, per array level: when there are as many arguments as tags,
 * each tag takes one argument (T, F, N, I then check it: true, false, null, and true/null for I); when there
 * are as many arguments as tags that carry data, T, F, N and I take none. Anything else is BAD_TYPE_TAGS.
 */
function planForced(types: string, ti: number, items: unknown[], depth: number): number {
  // Count this level's tags (a bracketed array counts as one) and those carrying data.
  let total = 0;
  let withData = 0;
  let nest = 0;
  let k = ti;
  for (; k < types.length; k++) {
    const c = types.charCodeAt(k);
    if (c === T_CLOSE) {
      if (nest === 0) break;
      nest--;
    } else if (c === T_OPEN) {
      if (nest === 0) {
        total++;
        withData++;
      }
      nest++;
    } else if (nest === 0) {
      total++;
      if (c !== T_T && c !== T_F && c !== T_N && c !== T_I) withData++;
    }
  }
  let consumeAll: boolean;
  if (items.length === total) consumeAll = true;
  else if (items.length === withData) consumeAll = false;
  else {
    const what = depth === 0 ? 'the message' : `${where()}`;
    throw badTypes(
      types,
      `${total} tag(s)${withData !== total ? ` (${withData} carrying data)` : ''} but ${items.length} argument(s) in ${what}`,
      depth === 0 ? undefined : path[0],
    );
  }
  const level = pathLen++;
  let a = 0;
  for (k = ti; k < types.length; k++) {
    const c = types.charCodeAt(k);
    if (c === T_CLOSE) break;
    const noData = c === T_T || c === T_F || c === T_N || c === T_I;
    if (noData && !consumeAll) {
      add(c, 0);
      continue;
    }
    path[level] = a;
    const v = items[a++];
    if (typeof v === 'object' && v !== null && !(v instanceof Date) && isTyped(v)) {
      if (v.type.charCodeAt(0) !== c || v.type.length !== 1) {
        throw argError('BAD_TYPE_TAGS', `typed '${v.type}' but the type tags say '${String.fromCharCode(c)}'`);
      }
      if (c !== T_OPEN) {
        planTyped(v, depth);
        continue;
      }
    }
    if (c === T_OPEN) {
      const inner = typeof v === 'object' && v !== null && isTyped(v) ? v.value : v;
      if (!Array.isArray(inner)) throw argError('BAD_TYPE_TAGS', `'[' needs an array, got ${describe(v)}`);
      if (depth + 1 > encMaxDepth) {
        throw new OscError('LIMIT_EXCEEDED', `${where()}: arrays nested deeper than ${encMaxDepth}`, -1, path[0]);
      }
      add(T_OPEN, 0);
      k = planForced(types, k + 1, inner, depth + 1);
      add(T_CLOSE, 0);
      continue;
    }
    planForcedPlain(c, v);
  }
  pathLen = level;
  return k;
}

function planForcedPlain(c: number, v: unknown): void {
  const tag = String.fromCharCode(c);
  const mismatch = (): OscError => argError('BAD_TYPE_TAGS', `the type tag '${tag}' does not fit ${describe(v)}`);
  switch (c) {
    case T_i:
      if (typeof v !== 'number' && typeof v !== 'bigint') throw mismatch();
      return planInt32(v);
    case T_f:
      if (typeof v !== 'number') throw mismatch();
      return planFloat32(v);
    case T_d:
      if (typeof v !== 'number') throw mismatch();
      return planFloat64(v);
    case T_h:
      if (typeof v !== 'number' && typeof v !== 'bigint') throw mismatch();
      return planInt64(v);
    case T_s:
    case T_S:
      if (typeof v !== 'string') throw mismatch();
      return planString(c, v);
    case T_c:
      if (typeof v !== 'string') throw mismatch();
      return planChar(v);
    case T_b:
      if (!(v instanceof Uint8Array)) throw mismatch();
      return planBlob(v);
    case T_t:
      if (!(v instanceof Date) && typeof v !== 'number' && !(typeof v === 'object' && v !== null)) throw mismatch();
      return planTimetag(v);
    case T_r:
      if (typeof v !== 'object' || v === null) throw mismatch();
      return planRgba(v);
    case T_m:
      if (!(v instanceof Uint8Array) && !Array.isArray(v)) throw mismatch();
      return planMidi(v);
    case T_T:
      if (v !== true) throw mismatch();
      return add(T_T, 0);
    case T_F:
      if (v !== false) throw mismatch();
      return add(T_F, 0);
    case T_N:
      if (v !== null) throw mismatch();
      return add(T_N, 0);
    default: // T_I
      if (v !== true && v !== null && v !== undefined) throw mismatch();
      return add(T_I, 0);
  }
}

function checkTypesString(types: unknown): string {
  if (typeof types !== 'string') throw badTypes(String(types), 'a type-tag string must be a string such as ",ifs"');
  const from = types.charCodeAt(0) === COMMA ? 1 : 0;
  let nest = 0;
  for (let k = from; k < types.length; k++) {
    const c = types.charCodeAt(k);
    if (c >= 128 || KNOWN_TAG[c] === 0) {
      throw badTypes(types, `unknown type tag ${JSON.stringify(types[k])} at position ${k}`);
    }
    if (c === T_OPEN) {
      nest++;
    } else if (c === T_CLOSE && --nest < 0) {
      throw badTypes(types, `']' at position ${k} closes no array`);
    }
  }
  if (nest !== 0) throw badTypes(types, "an array '[' is never closed");
  return types;
}

/** Plans one message; returns its size in bytes. */
function planMessage(m: OscMessageInput): number {
  const address = m.address;
  if (typeof address !== 'string' || address.charCodeAt(0) !== SLASH) {
    throw new OscError('BAD_ADDRESS', `an OSC address must be a string starting with '/', got ${describe(address)}`);
  }
  const addrLen = speculative && address.length < SHORT ? address.length : byteLength(address);
  if (addrLen < 0) {
    throw new OscError(
      'BAD_ADDRESS',
      addrLen === HAS_NUL ? 'an OSC address cannot contain NUL (U+0000)' : 'the OSC address holds a lone surrogate, which has no UTF-8 form',
    );
  }
  if (nNodes === nodeCap) growNodes();
  const node = nNodes++;
  const first = nPlan;
  dataSize = 0;
  const args = m.args;
  const types = m.types;
  pathLen = 0;
  if (types !== undefined && types !== null) {
    const t = checkTypesString(types);
    const list = args === undefined ? [] : Array.isArray(args) ? args : [args];
    planForced(t, t.charCodeAt(0) === COMMA ? 1 : 0, list, 0);
  } else if (Array.isArray(args)) {
    pathLen = 1;
    for (let k = 0; k < args.length; k++) {
      const a = args[k] as PlainArg;
      // Inline fast path for the commonest arguments, typed 'f', 'i' and short 's' whose values plainly fit;
      // everything else, refusals included, takes the general path.
      if (typeof a === 'object' && a !== null && nPlan < cap) {
        const type = (a as { type?: unknown }).type;
        const v = (a as { value?: unknown }).value;
        if (type === 'f' && typeof v === 'number' && (Number.isFinite(Math.fround(v)) || !Number.isFinite(v))) {
          planTags[nPlan] = T_f;
          planNum[nPlan++] = v;
          dataSize += 4;
          continue;
        }
        if (type === 'i' && typeof v === 'number' && (v | 0) === v) {
          planTags[nPlan] = T_i;
          planNum[nPlan++] = v;
          dataSize += 4;
          continue;
        }
        if (type === 's' && typeof v === 'string' && speculative && v.length < SHORT) {
          planTags[nPlan] = T_s;
          planNum[nPlan] = v.length;
          planObj[nPlan++] = v;
          heldObj = true;
          dataSize += (v.length + 4) & ~3;
          continue;
        }
      }
      path[0] = k;
      planPlain(a, 0);
    }
  } else if (args !== undefined) {
    pathLen = 1;
    path[0] = 0;
    planPlain(args, 0);
  }
  const size = ((addrLen + 4) & ~3) + ((nPlan - first + 5) & ~3) + dataSize;
  if (size > 0x7fffffff) throw new OscError('LIMIT_EXCEEDED', 'the message would be larger than 2 GiB');
  nodeKind[node] = 0;
  nodeSize[node] = size;
  nodeStart[node] = first;
  nodeEnd[node] = nPlan;
  nodeStr[node] = address;
  nodeStrLen[node] = addrLen;
  return size;
}

function planBundle(b: OscBundleInput, depth: number): number {
  if (depth >= encMaxDepth) throw new OscError('LIMIT_EXCEEDED', `bundles nested deeper than ${encMaxDepth}`);
  const t = toTimetag(b.timetag);
  if (nNodes === nodeCap) growNodes();
  const node = nNodes++;
  const packets = b.packets;
  let size = 16;
  for (let k = 0; k < packets.length; k++) size += 4 + planPacket(packets[k], depth + 1);
  if (size > 0x7fffffff) throw new OscError('LIMIT_EXCEEDED', 'the packet would be larger than 2 GiB');
  nodeKind[node] = 1;
  nodeSize[node] = size;
  nodeStart[node] = t.seconds | 0;
  nodeEnd[node] = t.fraction;
  return size;
}

function planPacket(p: OscPacketInput, depth: number): number {
  if (typeof p === 'object' && p !== null) {
    if ((p as OscMessageInput).address !== undefined) return planMessage(p as OscMessageInput);
    if (Array.isArray((p as OscBundleInput).packets)) return planBundle(p as OscBundleInput, depth);
  }
  throw new OscError('BAD_PACKET', 'a packet is a message { address, args } or a bundle { timetag, packets }');
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding, pass 2: write (cannot fail: everything was checked in pass 1)

/** Returns the position after the string's padding, or -1 when a short string guessed ASCII was not. */
function writeString(buf: Buffer, p: number, s: string, len: number): number {
  const end = p + ((len + 4) & ~3);
  // Zero the last word first: the characters then overwrite what is not padding, with no loop.
  buf[end - 4] = 0;
  buf[end - 3] = 0;
  buf[end - 2] = 0;
  buf[end - 1] = 0;
  if (len === s.length) {
    if (len < SHORT) {
      // Also checks what pass 1 took on trust (see `speculative`); a loop beats a native call this short.
      for (let k = 0; k < len; k++) {
        const c = s.charCodeAt(k);
        if (c === 0 || c >= 0x80) return -1;
        buf[p + k] = c;
      }
    } else {
      buf.write(s, p, len, 'latin1');
    }
  } else {
    buf.write(s, p, len, 'utf8');
  }
  return end;
}

function writeMessage(buf: Buffer, p: number, node: number): number {
  // Locals, not module bindings, in the loop: V8 then keeps the typed arrays' maps and bounds in registers.
  const tags = planTags;
  const nums = planNum;
  const u32 = scratchU32;
  p = writeString(buf, p, nodeStr[node] as string, nodeStrLen[node]);
  if (p < 0) return -1;
  const first = nodeStart[node];
  const last = nodeEnd[node];
  buf[p++] = COMMA;
  for (let k = first; k < last; k++) buf[p++] = tags[k];
  const tagEnd = (p + 4) & ~3;
  while (p < tagEnd) buf[p++] = 0;
  for (let k = first; k < last; k++) {
    let v: number;
    switch (tags[k]) {
      case T_i:
      case T_r:
      case T_m:
      case T_c:
        v = nums[k];
        break;
      case T_f: {
        const x = nums[k];
        if (x === x) {
          scratchF32[0] = x;
          v = u32[0];
        } else {
          v = nanToFloatBits(x);
        }
        break;
      }
      case T_s:
      case T_S:
        p = writeString(buf, p, planObj[k] as string, nums[k]);
        if (p < 0) return -1;
        continue;
      case T_d:
        scratchF64[0] = nums[k];
        v = u32[HI];
        buf[p] = v >>> 24;
        buf[p + 1] = v >>> 16;
        buf[p + 2] = v >>> 8;
        buf[p + 3] = v;
        p += 4;
        v = u32[LO];
        break;
      case T_h:
        scratchI64[0] = planObj[k] as bigint;
        v = u32[HI];
        buf[p] = v >>> 24;
        buf[p + 1] = v >>> 16;
        buf[p + 2] = v >>> 8;
        buf[p + 3] = v;
        p += 4;
        v = u32[LO];
        break;
      case T_t:
        v = nums[k];
        buf[p] = v >>> 24;
        buf[p + 1] = v >>> 16;
        buf[p + 2] = v >>> 8;
        buf[p + 3] = v;
        p += 4;
        v = planNum2[k];
        break;
      case T_b: {
        const bytes = planObj[k] as Uint8Array;
        const n = bytes.length;
        buf[p] = n >>> 24;
        buf[p + 1] = n >>> 16;
        buf[p + 2] = n >>> 8;
        buf[p + 3] = n;
        p += 4;
        if (n < 32) {
          for (let j = 0; j < n; j++) buf[p + j] = bytes[j];
        } else {
          buf.set(bytes, p);
        }
        const end = p + ((n + 3) & ~3);
        for (p += n; p < end; p++) buf[p] = 0;
        continue;
      }
      default:
        continue; // T F N I [ ] carry no bytes
    }
    buf[p] = v >>> 24;
    buf[p + 1] = v >>> 16;
    buf[p + 2] = v >>> 8;
    buf[p + 3] = v;
    p += 4;
  }
  return p;
}

function writeNodes(buf: Buffer): number {
  let p = 0;
  for (let n = 0; n < nNodes; n++) {
    if (n > 0) {
      const size = nodeSize[n];
      buf[p] = size >>> 24;
      buf[p + 1] = size >>> 16;
      buf[p + 2] = size >>> 8;
      buf[p + 3] = size;
      p += 4;
    }
    if (nodeKind[n] === 0) {
      p = writeMessage(buf, p, n);
      if (p < 0) return -1;
    } else {
      for (let j = 0; j < 8; j++) buf[p + j] = BUNDLE_HEADER[j];
      const s = nodeStart[n] >>> 0;
      const f = nodeEnd[n];
      buf[p + 8] = s >>> 24;
      buf[p + 9] = s >>> 16;
      buf[p + 10] = s >>> 8;
      buf[p + 11] = s;
      buf[p + 12] = f >>> 24;
      buf[p + 13] = f >>> 16;
      buf[p + 14] = f >>> 8;
      buf[p + 15] = f;
      p += 16;
    }
  }
  return p;
}

/** Drops the references the plan holds so that encoded blobs and strings can be garbage-collected. */
function releasePlan(): void {
  if (heldObj) {
    for (let k = 0; k < nPlan; k++) planObj[k] = undefined;
    heldObj = false;
  }
  for (let k = 0; k < nNodes; k++) nodeStr[k] = undefined;
  // One huge packet must not keep megabytes of scratch alive for the life of the process.
  if (cap > 4096) {
    cap = 64;
    planTags = new Uint8Array(cap);
    planNum = new Float64Array(cap);
    planNum2 = new Float64Array(cap);
    planObj = new Array<unknown>(cap).fill(undefined);
  }
  if (nodeCap > 1024) {
    nodeCap = 16;
    nodeKind = new Uint8Array(nodeCap);
    nodeSize = new Int32Array(nodeCap);
    nodeStart = new Int32Array(nodeCap);
    nodeEnd = new Float64Array(nodeCap);
    nodeStr = new Array<unknown>(nodeCap).fill(undefined);
    nodeStrLen = new Int32Array(nodeCap);
  }
}

/**
 * Encodes a message or bundle into a new Buffer of exactly its size.
 *
 * Arguments may be typed ({ type, value }), plain JS values, or a mix. Plain values are typed as: number by
 * options.numbers (see EncodeOptions), string 's', boolean 'T'/'F', null 'N', bigint 'h', Uint8Array/Buffer
 * 'b', Date 't', JS array an OSC array. A single non-array `args` is one argument; no `args`, none.
 *
 * A message's `types` (",ifs"; the comma is optional) forces the tags. Numbers then fit 'i' (int32 only),
 * 'h', 'f', 'd'; strings 's', 'S', 'c' (exactly one character); 't' takes a Timetag, Date or epoch ms; 'r'
 * { r, g, b, a }; 'm' 4 bytes; '[' ... ']' a JS array, with the same rule inside. T, F, N and I, per array
 * level: when there are as many arguments as tags, each takes one argument and checks it (T true, F false,
 * N null, I true/null); when there are only as many arguments as data-carrying tags, they take none. A typed
 * argument must have the forced tag. Anything else is BAD_TYPE_TAGS.
 *
 * A bundle's timetag may be a Timetag, a Date or epoch milliseconds (BAD_TIMETAG if none of these).
 *
 * Refuses, with an OscError whose argIndex names the (top-level) argument and whose message gives the path
 * into nested arrays and the reason: an address not starting with '/' or holding NUL (BAD_ADDRESS); an
 * integer outside its tag's range, a fraction or NaN for 'i'/'h', a finite number beyond float32 for 'f',
 * NUL or a lone surrogate in a string, a 'c' that is not one character, an 'r'/'m' of the wrong shape or
 * with components outside 0..255, undefined, functions and untyped objects (BAD_ARGUMENT). Nesting deeper
 * than options.maxDepth (a cyclic array, say) is LIMIT_EXCEEDED.
 */
export function encodePacket(packet: OscPacketInput | OscPacket, options?: EncodeOptions): Buffer {
  policy = 0;
  encMaxDepth = MAX_DEPTH;
  if (options !== undefined) {
    const n = options.numbers;
    if (n !== undefined && n !== 'int') {
      if (n === 'float') policy = 1;
      else if (n === 'double') policy = 2;
      else throw new OscError('BAD_ARGUMENT', `unknown number policy ${describe(n)}: use 'int', 'float' or 'double'`);
    }
    if (options.maxDepth !== undefined) encMaxDepth = limit(options.maxDepth, 'maxDepth', DEPTH_CEILING);
  }
  speculative = exactRuns === 0;
  if (!speculative) exactRuns--;
  let buf = encodeOnce(packet as OscPacketInput);
  if (buf === undefined) {
    // A short string was not ASCII after all: measure every string exactly, now and for the next packets.
    exactRuns = EXACT_RUNS;
    speculative = false;
    buf = encodeOnce(packet as OscPacketInput) as Buffer;
  }
  return buf;
}

function encodeOnce(packet: OscPacketInput): Buffer | undefined {
  nPlan = 0;
  nNodes = 0;
  const size = planPacket(packet, 0);
  const buf = Buffer.allocUnsafe(size);
  const written = nNodes === 1 && nodeKind[0] === 0 ? writeMessage(buf, 0, 0) : writeNodes(buf);
  releasePlan();
  return written < 0 ? undefined : buf;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding
//
// Positions are indexes into the caller's Uint8Array (so any byteOffset is handled by the view itself).
// `end` is the bound of the item being read: the packet's end, or the enclosing bundle element's end.

let lenient = false;
let decMaxDepth = MAX_DEPTH;
let maxArgs = MAX_ARGS;
/** How many bundle elements enclose the current position: overruns inside one mean its size is wrong. */
let inElement = 0;
/** Where the last readString/readArgs stopped (their second return value). */
let pos = 0;
let tagPos = 0;

/** Something runs past `end`: a truncated packet, or (inside a bundle) an element whose size is too small. */
function overrun(what: string, offset: number, stringCode = false): OscError {
  if (inElement > 0) {
    return new OscError('BAD_BUNDLE_ELEMENT', `${what} runs past the end of its bundle element (offset ${offset}): the element size is too small`, offset);
  }
  return new OscError(stringCode ? 'BAD_STRING' : 'TRUNCATED', `${what} runs past the end of the packet (offset ${offset})`, offset);
}

// Recently decoded short ASCII strings, by a hash of their bytes: OSC traffic repeats the same addresses and
// symbols endlessly, and comparing a dozen bytes is cheaper than building a new string each time.
const CACHE_BITS = 9;
const CACHE_MASK = (1 << CACHE_BITS) - 1;
/** Longest string cached, in 4-byte words including its NUL: 47 characters. */
const CACHE_WORDS = 12;
const cache: string[] = new Array<string>(1 << CACHE_BITS).fill('');
// Each cached string's bytes as big-endian words, compared a word at a time against the words just read.
const cacheWords = new Int32Array((1 << CACHE_BITS) * CACHE_WORDS);
const cacheLen = new Int32Array(1 << CACHE_BITS).fill(-1);
const wordsRead = new Int32Array(CACHE_WORDS);

/**
 * Reads an OSC-string at p (4-aligned, as every item is) and sets `pos` past its padding. Scans a word at a
 * time: the string ends in the first word holding a zero byte, and the rest of that word is its padding.
 */
function readString(buf: Uint8Array, p: number, end: number, what: string): string {
  const words = wordsRead;
  let q = p;
  let h = 0;
  let hi = 0;
  let w = 0;
  let n = 0;
  while (q < end) {
    w = (buf[q] << 24) | (buf[q + 1] << 16) | (buf[q + 2] << 8) | buf[q + 3];
    // Non-zero exactly when some byte of w is zero (the classic "has zero byte" bit trick).
    if (((w - 0x01010101) & ~w & 0x80808080) !== 0) break;
    hi |= w;
    h = (Math.imul(h, 31) + w) | 0;
    if (n < CACHE_WORDS) words[n] = w;
    n++;
    q += 4;
  }
  if (q >= end) throw overrun(`${what} (no terminating NUL)`, p, true);
  let nul = q;
  while (nul < q + 3 && buf[nul] !== 0) nul++; // bounded, though the bit trick guarantees a zero here
  for (let k = nul + 1; k < q + 4; k++) {
    if (buf[k] !== 0) throw new OscError('BAD_PADDING', `${what}: padding byte at offset ${k} is not zero`, k);
  }
  pos = q + 4;
  hi |= w;
  const len = nul - p;
  if (n >= CACHE_WORDS) return decodeString(buf, p, nul, hi, what);
  // Same bytes, same string: the cache holds only strings that decoded (so non-ASCII ones were valid UTF-8).
  words[n] = w;
  h = (Math.imul(h, 31) + w) | 0;
  const slot = (h ^ (h >>> CACHE_BITS) ^ len) & CACHE_MASK;
  const cached = cacheWords;
  const base = slot * CACHE_WORDS;
  if (cacheLen[slot] === len) {
    let k = 0;
    while (k <= n && cached[base + k] === words[k]) k++;
    if (k > n) return cache[slot];
  }
  const s = decodeString(buf, p, nul, hi, what);
  for (let k = 0; k <= n; k++) cached[base + k] = words[k];
  cache[slot] = s;
  cacheLen[slot] = len;
  return s;
}

/** The string in buf[p, nul); `hi` has a byte's top bit set if any byte has. Invalid UTF-8 is BAD_STRING. */
function decodeString(buf: Uint8Array, p: number, nul: number, hi: number, what: string): string {
  if ((hi & 0x80808080) === 0 && nul - p < 64) {
    let s = '';
    for (let k = p; k < nul; k++) s += String.fromCharCode(buf[k]);
    return s;
  }
  const s = decodeUtf8Strict(buf, p, nul);
  if (s === undefined) throw new OscError('BAD_STRING', `${what} at offset ${p} is not valid UTF-8`, p);
  return s;
}

// A float32 NaN widened to a double by the CPU loses its payload's signalling bit, so re-encoding would change
// the bytes. These two carry the float's sign and payload bits in a double NaN's top bits, and back, exactly.
function nanFromFloatBits(bits: number): number {
  scratchU32[HI] = (bits & 0x80000000) | 0x7ff00000 | ((bits & 0x7fffff) >>> 3);
  scratchU32[LO] = (bits & 7) << 29;
  return scratchF64[0];
}

function nanToFloatBits(x: number): number {
  scratchF64[0] = x;
  const hi = scratchU32[HI];
  const mantissa = ((hi & 0xfffff) << 3) | (scratchU32[LO] >>> 29);
  // A payload that does not fit in 23 bits (a NaN made in JS) becomes the canonical quiet NaN.
  return ((hi & 0x80000000) | 0x7f800000 | (mantissa === 0 ? 0x400000 : mantissa)) >>> 0;
}

function readU32(buf: Uint8Array, p: number): number {
  return ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
}

/** Reads the arguments for tags [tagPos, tagEnd) from data at p; stops after a ']' when nested. */
function readArgs(buf: Uint8Array, ti: number, tagEnd: number, p: number, end: number, args: OscArg[]): number {
  let na = 0;
  const u32 = scratchU32;
  const f32 = scratchF32;
  while (ti < tagEnd) {
    const c = buf[ti++];
    switch (c) {
      case T_i:
        if (p + 4 > end) throw overrun("an 'i' argument", p);
        args[na++] = { type: 'i', value: (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3] };
        p += 4;
        break;
      case T_f:
        if (p + 4 > end) throw overrun("an 'f' argument", p);
        u32[0] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        const x = f32[0];
        args[na++] = { type: 'f', value: x === x ? x : nanFromFloatBits(u32[0]) };
        p += 4;
        break;
      case T_s:
      case T_S: {
        if (p >= end) throw overrun("an 's' argument", p);
        const v = readString(buf, p, end, c === T_s ? "an 's' argument" : "an 'S' argument");
        p = pos;
        args[na++] = c === T_s ? { type: 's', value: v } : { type: 'S', value: v };
        break;
      }
      case T_d:
        if (p + 8 > end) throw overrun("a 'd' argument", p);
        scratchU32[HI] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        scratchU32[LO] = (buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7];
        args[na++] = { type: 'd', value: scratchF64[0] };
        p += 8;
        break;
      case T_h:
        if (p + 8 > end) throw overrun("an 'h' argument", p);
        scratchU32[HI] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        scratchU32[LO] = (buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7];
        args[na++] = { type: 'h', value: scratchI64[0] };
        p += 8;
        break;
      case T_b: {
        if (p + 4 > end) throw overrun("a 'b' argument's size", p);
        const n = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        if (n < 0) throw new OscError('BAD_BLOB', `blob size ${n} at offset ${p} is negative`, p);
        const start = p + 4;
        // Compare before padding: (n + 3) & ~3 overflows int32 for sizes near 2^31 and would move p backwards.
        if (n > end - start) throw overrun(`a blob of ${n} bytes`, p);
        const next = start + ((n + 3) & ~3);
        if (next > end) throw overrun(`a blob of ${n} bytes`, p);
        for (let k = start + n; k < next; k++) {
          if (buf[k] !== 0) throw new OscError('BAD_PADDING', `blob padding byte at offset ${k} is not zero`, k);
        }
        args[na++] = { type: 'b', value: buf.subarray(start, start + n) };
        p = next;
        break;
      }
      case T_T:
        args[na++] = { type: 'T', value: true };
        break;
      case T_F:
        args[na++] = { type: 'F', value: false };
        break;
      case T_N:
        args[na++] = { type: 'N', value: null };
        break;
      case T_I:
        args[na++] = { type: 'I' };
        break;
      case T_t:
        if (p + 8 > end) throw overrun("a 't' argument", p);
        args[na++] = { type: 't', value: { seconds: readU32(buf, p), fraction: readU32(buf, p + 4) } };
        p += 8;
        break;
      case T_c: {
        if (p + 4 > end) throw overrun("a 'c' argument", p);
        const cp = readU32(buf, p);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new OscError('BAD_STRING', `'c' argument at offset ${p} is not a Unicode character (${cp})`, p);
        }
        args[na++] = { type: 'c', value: String.fromCodePoint(cp) };
        p += 4;
        break;
      }
      case T_r:
        if (p + 4 > end) throw overrun("an 'r' argument", p);
        args[na++] = { type: 'r', value: { r: buf[p], g: buf[p + 1], b: buf[p + 2], a: buf[p + 3] } };
        p += 4;
        break;
      case T_m:
        if (p + 4 > end) throw overrun("an 'm' argument", p);
        args[na++] = { type: 'm', value: buf.subarray(p, p + 4) };
        p += 4;
        break;
      case T_OPEN: {
        const inner: OscArg[] = [];
        p = readArgs(buf, ti, tagEnd, p, end, inner);
        ti = tagPos;
        args[na++] = { type: '[', value: inner };
        break;
      }
      default: // T_CLOSE: the type tags were checked to balance
        tagPos = ti;
        return p;
    }
  }
  tagPos = ti;
  return p;
}

function decodeMessage(buf: Uint8Array, p: number, end: number): OscMessage {
  const address = readString(buf, p, end, 'the address');
  p = pos;
  if (p >= end || buf[p] !== COMMA) {
    if (!lenient) {
      throw new OscError(
        'MISSING_TYPE_TAGS',
        `message ${address} has no type-tag string at offset ${p} (decode with lenient: true to accept it)`,
        p,
      );
    }
    pos = end;
    if (p === end) return { address, args: [] };
    return { address, args: [{ type: 'b', value: buf.subarray(p, end) }] };
  }
  // Check the whole type-tag string before reading any argument, so an unknown tag or unbalanced array
  // rejects the message instead of being misread.
  const tagStart = p + 1;
  const known = KNOWN_TAG;
  let q = tagStart;
  let depth = 0;
  let count = 0;
  let hasArray = false;
  while (q < end) {
    const c = buf[q];
    if (c === 0) break;
    if (c >= 128 || known[c] === 0) {
      throw new OscError('UNKNOWN_TYPE_TAG', `unknown type tag ${JSON.stringify(String.fromCharCode(c))} at offset ${q} in message ${address}`, q);
    }
    if (c === T_OPEN) {
      hasArray = true;
      if (++depth > decMaxDepth) throw new OscError('LIMIT_EXCEEDED', `arrays nested deeper than ${decMaxDepth} at offset ${q}`, q);
    } else if (c === T_CLOSE) {
      if (--depth < 0) throw new OscError('BAD_ARRAY', `']' at offset ${q} closes no array`, q);
    }
    count++;
    q++;
  }
  if (q >= end) throw overrun('the type-tag string (no terminating NUL)', p, true);
  if (depth !== 0) throw new OscError('BAD_ARRAY', `an array '[' in message ${address} is never closed`, p);
  if (count > maxArgs) throw new OscError('LIMIT_EXCEEDED', `message ${address} has ${count} arguments, more than ${maxArgs}`, p);
  const next = (q + 4) & ~3;
  if (next > end) throw overrun("the type-tag string's padding", q);
  for (let k = q + 1; k < next; k++) {
    if (buf[k] !== 0) throw new OscError('BAD_PADDING', `type-tag string padding byte at offset ${k} is not zero`, k);
  }
  // A flat message's argument count is known: allocate the array once, at its final size.
  const args: OscArg[] = hasArray ? [] : new Array<OscArg>(count);
  pos = readArgs(buf, tagStart, q, next, end, args);
  return { address, args };
}

function decodeBundle(buf: Uint8Array, p: number, end: number, depth: number): OscBundle {
  if (p + 16 > end) throw overrun('the bundle header', p);
  if (
    buf[p + 1] !== 98 || // b
    buf[p + 2] !== 117 || // u
    buf[p + 3] !== 110 || // n
    buf[p + 4] !== 100 || // d
    buf[p + 5] !== 108 || // l
    buf[p + 6] !== 101 || // e
    buf[p + 7] !== 0
  ) {
    throw new OscError('BAD_PACKET', `a packet starting with '#' at offset ${p} must be a "#bundle"`, p);
  }
  if (depth > decMaxDepth) throw new OscError('LIMIT_EXCEEDED', `bundles nested deeper than ${decMaxDepth} at offset ${p}`, p);
  const timetag: Timetag = { seconds: readU32(buf, p + 8), fraction: readU32(buf, p + 12) };
  const packets: OscPacket[] = [];
  p += 16;
  while (p < end) {
    if (p + 4 > end) throw overrun('a bundle element size', p);
    const size = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    if (size <= 0 || (size & 3) !== 0) {
      throw new OscError('BAD_BUNDLE_ELEMENT', `bundle element size ${size} at offset ${p} is not a positive multiple of 4`, p);
    }
    const start = p + 4;
    const elementEnd = start + size;
    if (elementEnd > end) {
      throw new OscError(
        'BAD_BUNDLE_ELEMENT',
        `bundle element at offset ${p} claims ${size} bytes but only ${end - start} remain`,
        p,
      );
    }
    inElement++;
    const first = buf[start];
    if (first === SLASH) {
      packets.push(decodeMessage(buf, start, elementEnd));
      if (pos !== elementEnd) {
        throw new OscError(
          'BAD_BUNDLE_ELEMENT',
          `bundle element at offset ${p} claims ${size} bytes but its message takes ${pos - start}`,
          pos,
        );
      }
    } else if (first === HASH) {
      packets.push(decodeBundle(buf, start, elementEnd, depth + 1));
    } else {
      throw new OscError('BAD_PACKET', `bundle element at offset ${start} is neither a message ('/') nor a bundle ('#')`, start);
    }
    inElement--;
    p = elementEnd;
  }
  return { timetag, packets };
}

/**
 * Decodes one OSC packet (a UDP datagram's payload, or one stream frame) into its typed form.
 *
 * Any Uint8Array works, including Node's pooled Buffers and subarrays at any byteOffset. Blob ('b') and MIDI
 * ('m') values are views into `bytes` (zero-copy: a Buffer in gives Buffers out), so copy them before reusing
 * the input's memory. 'h' values are bigints. Every malformed packet raises an OscError with a stable code and
 * the byte offset; nothing else is ever thrown, and nothing is skipped or guessed.
 */
export function decodePacket(bytes: Uint8Array, options?: DecodeOptions): OscPacket {
  let buf = bytes;
  if (!(buf instanceof Uint8Array)) {
    const b = bytes as unknown;
    if (b instanceof ArrayBuffer) buf = new Uint8Array(b);
    else if (ArrayBuffer.isView(b)) buf = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    else throw new OscError('BAD_PACKET', `expected the packet as a Uint8Array or Buffer, got ${describe(b)}`);
  }
  lenient = false;
  decMaxDepth = MAX_DEPTH;
  maxArgs = MAX_ARGS;
  let maxSize = MAX_PACKET_SIZE;
  if (options !== undefined) {
    lenient = options.lenient === true;
    if (options.maxDepth !== undefined) decMaxDepth = limit(options.maxDepth, 'maxDepth', DEPTH_CEILING);
    if (options.maxArgs !== undefined) maxArgs = limit(options.maxArgs, 'maxArgs', 0x7fffffff);
    // Positions are kept in int32 arithmetic, so no packet may reach 2 GiB whatever the option says.
    if (options.maxPacketSize !== undefined) maxSize = limit(options.maxPacketSize, 'maxPacketSize', 0x7ffffffc);
  }
  const n = buf.length;
  if (n === 0) throw new OscError('EMPTY_PACKET', 'the packet is empty', 0);
  if (n > maxSize) throw new OscError('LIMIT_EXCEEDED', `the packet has ${n} bytes, more than ${maxSize}`, 0);
  if ((n & 3) !== 0) throw new OscError('BAD_SIZE', `the packet has ${n} bytes, not a multiple of 4`, n);
  inElement = 0;
  const first = buf[0];
  if (first === SLASH) {
    const m = decodeMessage(buf, 0, n);
    if (pos !== n) {
      throw new OscError('TRAILING_BYTES', `${n - pos} byte(s) after the arguments of ${m.address}, at offset ${pos}`, pos);
    }
    return m;
  }
  if (first === HASH) return decodeBundle(buf, 0, n, 1);
  throw new OscError('BAD_PACKET', `a packet must start with '/' (message) or '#' (bundle), got byte 0x${first.toString(16).padStart(2, '0')}`, 0);
}
