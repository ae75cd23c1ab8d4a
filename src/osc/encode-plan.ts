// Encoding, pass 1: plan and validate.
//
// Every argument becomes one entry in flat scratch tables: its tag, a number (the numeric value, a string's
// UTF-8 length, a packed rgba/midi) and an object (string, blob, bigint, timetag). Array brackets are entries
// too, so pass 2 (encoder.ts) never looks at the caller's objects again. Packets are nodes in pre-order with
// their sizes. Planning is where every refusal happens: what it accepts, pass 2 can always write.

import { DEFAULT_MAX_DEPTH, describe } from './codec-options';
import { OscError, isOscError } from './errors';
import { Char, KNOWN_TAG, Tag } from './tags';
import { isTimetag, toTimetag } from './timetag';
import type { OscArg, OscBundleInput, OscMessageInput, OscPacketInput, PlainArg, Rgba, Timetag } from './types';
import { HAS_NUL, utf8Length } from './utf8';

/**
 * The plan of the packet being encoded, for pass 2 to write. The tables are replaced by larger ones when a packet
 * outgrows them: read them from here for each packet, never keep them.
 */
const plan = {
  tags: new Uint8Array(64),
  num: new Float64Array(64),
  num2: new Float64Array(64),
  obj: new Array<unknown>(64).fill(undefined),
  /** Entries in use. */
  n: 0,
  // Nodes: one per message or bundle, in the order they are written.
  nodeKind: new Uint8Array(16), // 0 message, 1 bundle
  nodeSize: new Int32Array(16),
  nodeStart: new Int32Array(16), // message: first plan entry; bundle: timetag seconds
  nodeEnd: new Float64Array(16), // message: one past the last plan entry; bundle: timetag fraction
  nodeStr: new Array<unknown>(16).fill(undefined), // message: address
  nodeStrLen: new Int32Array(16), // message: address UTF-8 length
  /** Nodes in use. */
  nodes: 0,
};
let cap = 64;
let nodeCap = 16;

/** Largest blob: its size word, bytes and padding must keep positions within int32. */
const MAX_BLOB = 0x7ffffff0;
const TWO_31 = 2147483648;
const TWO_63 = 9223372036854775808;
const INT64_MIN = -(BigInt(1) << BigInt(63));
const INT64_MAX = (BigInt(1) << BigInt(63)) - BigInt(1);

/** Whether plan.obj holds references that releasePlan must drop. */
let heldObj = false;
/** Bytes of argument data planned so far for the current message. */
let dataSize = 0;

let policy = 0; // 0 int, 1 float, 2 double

export const enum Speculation {
  /** Strings shorter than this are written by a JS loop (which checks what pass 1 guessed), longer ones by Buffer#write. */
  SHORT = 64,
}
/**
 * When true, pass 1 takes a short string's UTF-8 length to be its length, as for ASCII, and pass 2 checks each
 * character as it writes it; the encoder redoes the packet with exact lengths if one was not ASCII (or was NUL).
 * This saves a whole scan of every string in the usual, all-ASCII case.
 */
let speculative = true;
let encMaxDepth = DEFAULT_MAX_DEPTH;

// Where in the message an argument error is: top-level index, then indexes inside nested arrays.
const path: number[] = [0];
let pathLen = 0;

// Local bindings: a call through an imported module object is a property load on every call.
const utf8LengthOf = utf8Length;

/** UTF-8 length of s (negative: HAS_NUL or ILL_FORMED), with the ASCII loop here where V8 can inline it. */
function byteLength(s: string): number {
  const n = s.length;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 0 || c >= 0x80) return utf8LengthOf(s);
  }
  return n;
}

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
  plan.tags = widened(plan.tags, cap, Uint8Array);
  plan.num = widened(plan.num, cap, Float64Array);
  plan.num2 = widened(plan.num2, cap, Float64Array);
  plan.obj = widenedList(plan.obj, cap);
}

function growNodes(): void {
  nodeCap *= 2;
  plan.nodeKind = widened(plan.nodeKind, nodeCap, Uint8Array);
  plan.nodeSize = widened(plan.nodeSize, nodeCap, Int32Array);
  plan.nodeStart = widened(plan.nodeStart, nodeCap, Int32Array);
  plan.nodeEnd = widened(plan.nodeEnd, nodeCap, Float64Array);
  plan.nodeStrLen = widened(plan.nodeStrLen, nodeCap, Int32Array);
  plan.nodeStr = widenedList(plan.nodeStr, nodeCap);
}

function where(): string {
  let s = 'argument ' + path[0];
  for (let k = 1; k < pathLen; k++) s += '[' + path[k] + ']';
  return s;
}

function argError(code: 'BAD_ARGUMENT' | 'BAD_TYPE_TAGS', why: string): OscError {
  return new OscError(code, `${where()}: ${why}`, -1, path[0]);
}

function add(tag: number, num: number): void {
  if (plan.n === cap) growPlan();
  plan.tags[plan.n] = tag;
  plan.num[plan.n] = num;
  plan.n++;
}

function addObj(tag: number, num: number, obj: unknown): void {
  if (plan.n === cap) growPlan();
  heldObj = true;
  plan.tags[plan.n] = tag;
  plan.num[plan.n] = num;
  plan.obj[plan.n] = obj;
  plan.n++;
}

function planInt32(v: unknown): void {
  if (typeof v !== 'number' || (v | 0) !== v) {
    if (typeof v === 'bigint' && v >= -TWO_31 && v < TWO_31) {
      add(Tag.i, Number(v));
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
  add(Tag.i, v);
  dataSize += 4;
}

function planFloat32(v: unknown): void {
  if (typeof v !== 'number') throw argError('BAD_ARGUMENT', `'f' needs a number, got ${describe(v)}`);
  if (!Number.isFinite(Math.fround(v)) && Number.isFinite(v)) {
    throw argError('BAD_ARGUMENT', `${v} is beyond float32's range and cannot be sent as 'f' (use 'd')`);
  }
  add(Tag.f, v);
  dataSize += 4;
}

function planFloat64(v: unknown): void {
  if (typeof v !== 'number') throw argError('BAD_ARGUMENT', `'d' needs a number, got ${describe(v)}`);
  add(Tag.d, v);
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
      typeof v === 'number'
        ? `${v} is not an integer within int64 and cannot be sent as 'h'`
        : `'h' needs a bigint or an integral number, got ${describe(v)}`,
    );
  }
  if (b < INT64_MIN || b > INT64_MAX) {
    throw argError('BAD_ARGUMENT', `${b} is outside int64 and cannot be sent as 'h'`);
  }
  addObj(Tag.h, 0, b);
  dataSize += 8;
}

function planString(tag: number, v: unknown): void {
  if (typeof v !== 'string') {
    throw argError('BAD_ARGUMENT', `'${String.fromCharCode(tag)}' needs a string, got ${describe(v)}`);
  }
  const len = speculative && v.length < Speculation.SHORT ? v.length : byteLength(v);
  if (len < 0) {
    throw argError(
      'BAD_ARGUMENT',
      len === HAS_NUL
        ? 'a string cannot contain NUL (U+0000): OSC-strings end at the first NUL'
        : 'the string holds a lone surrogate, which has no UTF-8 form',
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
  add(Tag.c, cp);
  dataSize += 4;
}

function planBlob(v: unknown): void {
  if (!(v instanceof Uint8Array))
    throw argError('BAD_ARGUMENT', `'b' needs a Uint8Array or Buffer, got ${describe(v)}`);
  if (v.length > MAX_BLOB)
    throw new OscError('LIMIT_EXCEEDED', `${where()}: a blob of ${v.length} bytes is too large`, -1, path[0]);
  addObj(Tag.b, v.length, v);
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
    throw argError(
      'BAD_ARGUMENT',
      `'t' needs { seconds, fraction } (uint32 each), a Date or epoch milliseconds, got ${describe(v)}`,
    );
  }
  add(Tag.t, t.seconds);
  plan.num2[plan.n - 1] = t.fraction;
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
  add(Tag.r, ((c.r << 24) | (c.g << 16) | (c.b << 8) | c.a) >>> 0);
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
    throw argError(
      'BAD_ARGUMENT',
      `'m' needs exactly 4 bytes (port, status, data1, data2), got ${describe(v)}${a && typeof a.length === 'number' ? ` of length ${a.length}` : ''}`,
    );
  }
  add(Tag.m, ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0);
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
    case Tag.i:
      return planInt32(v);
    case Tag.f:
      return planFloat32(v);
    case Tag.s:
      return planString(Tag.s, v);
    case Tag.d:
      return planFloat64(v);
    case Tag.h:
      return planInt64(v);
    case Tag.S:
      return planString(Tag.S, v);
    case Tag.c:
      return planChar(v);
    case Tag.b:
      return planBlob(v);
    case Tag.t:
      return planTimetag(v);
    case Tag.r:
      return planRgba(v);
    case Tag.m:
      return planMidi(v);
    case Tag.T:
      if (v !== true && v !== undefined)
        throw argError('BAD_ARGUMENT', `'T' has the value true (or none), got ${describe(v)}`);
      return add(Tag.T, 0);
    case Tag.F:
      if (v !== false && v !== undefined)
        throw argError('BAD_ARGUMENT', `'F' has the value false (or none), got ${describe(v)}`);
      return add(Tag.F, 0);
    case Tag.N:
      if (v !== null && v !== undefined)
        throw argError('BAD_ARGUMENT', `'N' has the value null (or none), got ${describe(v)}`);
      return add(Tag.N, 0);
    case Tag.I:
      if (v !== undefined && v !== null && v !== true) {
        throw argError('BAD_ARGUMENT', `'I' (impulse) carries no value, got ${describe(v)}`);
      }
      return add(Tag.I, 0);
    case Tag.OPEN:
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
  add(Tag.OPEN, 0);
  const level = pathLen++;
  for (let k = 0; k < items.length; k++) {
    path[level] = k;
    planPlain(items[k], depth + 1);
  }
  pathLen = level;
  add(Tag.CLOSE, 0);
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
      return planString(Tag.s, v);
    case 'boolean':
      return add(v ? Tag.T : Tag.F, 0);
    case 'bigint':
      return planInt64(v);
    case 'object':
      if (v === null) return add(Tag.N, 0);
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
    if (c === Tag.CLOSE) {
      if (nest === 0) break;
      nest--;
    } else if (c === Tag.OPEN) {
      if (nest === 0) {
        total++;
        withData++;
      }
      nest++;
    } else if (nest === 0) {
      total++;
      if (c !== Tag.T && c !== Tag.F && c !== Tag.N && c !== Tag.I) withData++;
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
    if (c === Tag.CLOSE) break;
    const noData = c === Tag.T || c === Tag.F || c === Tag.N || c === Tag.I;
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
      if (c !== Tag.OPEN) {
        planTyped(v, depth);
        continue;
      }
    }
    if (c === Tag.OPEN) {
      const inner = typeof v === 'object' && v !== null && isTyped(v) ? v.value : v;
      if (!Array.isArray(inner)) throw argError('BAD_TYPE_TAGS', `'[' needs an array, got ${describe(v)}`);
      if (depth + 1 > encMaxDepth) {
        throw new OscError('LIMIT_EXCEEDED', `${where()}: arrays nested deeper than ${encMaxDepth}`, -1, path[0]);
      }
      add(Tag.OPEN, 0);
      k = planForced(types, k + 1, inner, depth + 1);
      add(Tag.CLOSE, 0);
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
    case Tag.i:
      if (typeof v !== 'number' && typeof v !== 'bigint') throw mismatch();
      return planInt32(v);
    case Tag.f:
      if (typeof v !== 'number') throw mismatch();
      return planFloat32(v);
    case Tag.d:
      if (typeof v !== 'number') throw mismatch();
      return planFloat64(v);
    case Tag.h:
      if (typeof v !== 'number' && typeof v !== 'bigint') throw mismatch();
      return planInt64(v);
    case Tag.s:
    case Tag.S:
      if (typeof v !== 'string') throw mismatch();
      return planString(c, v);
    case Tag.c:
      if (typeof v !== 'string') throw mismatch();
      return planChar(v);
    case Tag.b:
      if (!(v instanceof Uint8Array)) throw mismatch();
      return planBlob(v);
    case Tag.t:
      if (!(v instanceof Date) && typeof v !== 'number' && !(typeof v === 'object' && v !== null)) throw mismatch();
      return planTimetag(v);
    case Tag.r:
      if (typeof v !== 'object' || v === null) throw mismatch();
      return planRgba(v);
    case Tag.m:
      if (!(v instanceof Uint8Array) && !Array.isArray(v)) throw mismatch();
      return planMidi(v);
    case Tag.T:
      if (v !== true) throw mismatch();
      return add(Tag.T, 0);
    case Tag.F:
      if (v !== false) throw mismatch();
      return add(Tag.F, 0);
    case Tag.N:
      if (v !== null) throw mismatch();
      return add(Tag.N, 0);
    default: // Tag.I
      if (v !== true && v !== null && v !== undefined) throw mismatch();
      return add(Tag.I, 0);
  }
}

function checkTypesString(types: unknown): string {
  if (typeof types !== 'string') throw badTypes(String(types), 'a type-tag string must be a string such as ",ifs"');
  const from = types.charCodeAt(0) === Char.COMMA ? 1 : 0;
  let nest = 0;
  for (let k = from; k < types.length; k++) {
    const c = types.charCodeAt(k);
    if (c >= 128 || KNOWN_TAG[c] === 0) {
      throw badTypes(types, `unknown type tag ${JSON.stringify(types[k])} at position ${k}`);
    }
    if (c === Tag.OPEN) {
      nest++;
    } else if (c === Tag.CLOSE && --nest < 0) {
      throw badTypes(types, `']' at position ${k} closes no array`);
    }
  }
  if (nest !== 0) throw badTypes(types, "an array '[' is never closed");
  return types;
}

/** Plans one message; returns its size in bytes. */
function planMessage(m: OscMessageInput): number {
  const address = m.address;
  if (typeof address !== 'string' || address.charCodeAt(0) !== Char.SLASH) {
    throw new OscError('BAD_ADDRESS', `an OSC address must be a string starting with '/', got ${describe(address)}`);
  }
  const addrLen = speculative && address.length < Speculation.SHORT ? address.length : byteLength(address);
  if (addrLen < 0) {
    throw new OscError(
      'BAD_ADDRESS',
      addrLen === HAS_NUL
        ? 'an OSC address cannot contain NUL (U+0000)'
        : 'the OSC address holds a lone surrogate, which has no UTF-8 form',
    );
  }
  if (plan.nodes === nodeCap) growNodes();
  const node = plan.nodes++;
  const first = plan.n;
  dataSize = 0;
  const args = m.args;
  const types = m.types;
  pathLen = 0;
  if (types !== undefined && types !== null) {
    const t = checkTypesString(types);
    const list = args === undefined ? [] : Array.isArray(args) ? args : [args];
    planForced(t, t.charCodeAt(0) === Char.COMMA ? 1 : 0, list, 0);
  } else if (Array.isArray(args)) {
    pathLen = 1;
    for (let k = 0; k < args.length; k++) {
      const a = args[k] as PlainArg;
      // Inline fast path for the commonest arguments, typed 'f', 'i', short 's' and 'b', whose values plainly
      // fit; everything else, refusals included, takes the general path.
      if (typeof a === 'object' && a !== null && plan.n < cap) {
        const type = (a as { type?: unknown }).type;
        const v = (a as { value?: unknown }).value;
        if (type === 'f' && typeof v === 'number' && (Number.isFinite(Math.fround(v)) || !Number.isFinite(v))) {
          plan.tags[plan.n] = Tag.f;
          plan.num[plan.n++] = v;
          dataSize += 4;
          continue;
        }
        if (type === 'i' && typeof v === 'number' && (v | 0) === v) {
          plan.tags[plan.n] = Tag.i;
          plan.num[plan.n++] = v;
          dataSize += 4;
          continue;
        }
        if (type === 's' && typeof v === 'string' && speculative && v.length < Speculation.SHORT) {
          plan.tags[plan.n] = Tag.s;
          plan.num[plan.n] = v.length;
          plan.obj[plan.n++] = v;
          heldObj = true;
          dataSize += (v.length + 4) & ~3;
          continue;
        }
        if (type === 'b' && v instanceof Uint8Array && v.length <= MAX_BLOB) {
          plan.tags[plan.n] = Tag.b;
          plan.num[plan.n] = v.length;
          plan.obj[plan.n++] = v;
          heldObj = true;
          dataSize += 4 + ((v.length + 3) & ~3);
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
  const size = ((addrLen + 4) & ~3) + ((plan.n - first + 5) & ~3) + dataSize;
  if (size > 0x7fffffff) throw new OscError('LIMIT_EXCEEDED', 'the message would be larger than 2 GiB');
  plan.nodeKind[node] = 0;
  plan.nodeSize[node] = size;
  plan.nodeStart[node] = first;
  plan.nodeEnd[node] = plan.n;
  plan.nodeStr[node] = address;
  plan.nodeStrLen[node] = addrLen;
  return size;
}

function planBundle(b: OscBundleInput, depth: number): number {
  if (depth >= encMaxDepth) throw new OscError('LIMIT_EXCEEDED', `bundles nested deeper than ${encMaxDepth}`);
  const t = toTimetag(b.timetag);
  if (plan.nodes === nodeCap) growNodes();
  const node = plan.nodes++;
  const packets = b.packets;
  let size = 16;
  for (let k = 0; k < packets.length; k++) size += 4 + planPacket(packets[k], depth + 1);
  if (size > 0x7fffffff) throw new OscError('LIMIT_EXCEEDED', 'the packet would be larger than 2 GiB');
  plan.nodeKind[node] = 1;
  plan.nodeSize[node] = size;
  plan.nodeStart[node] = t.seconds | 0;
  plan.nodeEnd[node] = t.fraction;
  return size;
}

function planPacket(p: OscPacketInput, depth: number): number {
  if (typeof p === 'object' && p !== null) {
    if ((p as OscMessageInput).address !== undefined) return planMessage(p as OscMessageInput);
    if (Array.isArray((p as OscBundleInput).packets)) return planBundle(p as OscBundleInput, depth);
  }
  throw new OscError('BAD_PACKET', 'a packet is a message { address, args } or a bundle { timetag, packets }');
}

/**
 * Plans a whole packet, replacing the previous plan; returns its size in bytes. `numbers` is the number policy
 * (0 int, 1 float, 2 double); `guessAscii` turns on the speculation described at `speculative`.
 */
function makePlan(packet: OscPacketInput, numbers: number, maxDepth: number, guessAscii: boolean): number {
  policy = numbers;
  encMaxDepth = maxDepth;
  speculative = guessAscii;
  plan.n = 0;
  plan.nodes = 0;
  return planPacket(packet, 0);
}

/** Drops the references the plan holds so that encoded blobs and strings can be garbage-collected. */
function releasePlan(): void {
  if (heldObj) {
    for (let k = 0; k < plan.n; k++) plan.obj[k] = undefined;
    heldObj = false;
  }
  for (let k = 0; k < plan.nodes; k++) plan.nodeStr[k] = undefined;
  // One huge packet must not keep megabytes of scratch alive for the life of the process.
  if (cap > 4096) {
    cap = 64;
    plan.tags = new Uint8Array(cap);
    plan.num = new Float64Array(cap);
    plan.num2 = new Float64Array(cap);
    plan.obj = new Array<unknown>(cap).fill(undefined);
  }
  if (nodeCap > 1024) {
    nodeCap = 16;
    plan.nodeKind = new Uint8Array(nodeCap);
    plan.nodeSize = new Int32Array(nodeCap);
    plan.nodeStart = new Int32Array(nodeCap);
    plan.nodeEnd = new Float64Array(nodeCap);
    plan.nodeStr = new Array<unknown>(nodeCap).fill(undefined);
    plan.nodeStrLen = new Int32Array(nodeCap);
  }
}

// Exported here rather than at their declarations: inside this module an exported binding compiles to a property
// load on `exports` at every use.
export { makePlan, plan, releasePlan };
