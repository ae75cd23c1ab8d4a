// Decoding: bytes to the typed form, read directly (no DataView, no intermediate objects) into objects of one
// shape, refusing anything malformed with an OscError that gives a code and the offset.
//
// Positions are indexes into the caller's Uint8Array (so any byteOffset is handled by the view itself).
// `end` is the bound of the item being read: the packet's end, or the enclosing bundle element's end.

import { HI, LO, nanFromFloatBits, scratchF32, scratchF64, scratchI64, scratchU32 } from './bits';
import {
  DEFAULT_MAX_ARGS,
  DEFAULT_MAX_DEPTH,
  DEFAULT_MAX_PACKET_SIZE,
  DEPTH_CEILING,
  describe,
  limit,
  type DecodeOptions,
} from './codec-options';
import { OscError } from './errors';
import { cachedString, decodeString, wordsRead as words } from './string-cache';
import { Char, KNOWN_TAG as KNOWN, Tag } from './tags';
import type { OscArg, OscBundle, OscMessage, OscPacket, Timetag } from './types';

// Local bindings: a use through an imported module object is a property load every time.
const cachedStringOf = cachedString;
const decodeStringOf = decodeString;
const wordsRead = words;
const KNOWN_TAG = KNOWN;

let lenient = false;
let decMaxDepth = DEFAULT_MAX_DEPTH;
let maxArgs = DEFAULT_MAX_ARGS;
/** How many bundle elements enclose the current position: overruns inside one mean its size is wrong. */
let inElement = 0;
/** Where the last readString/readArgs stopped (their second return value). */
let pos = 0;
let tagPos = 0;

/** Something runs past `end`: a truncated packet, or (inside a bundle) an element whose size is too small. */
function overrun(what: string, offset: number, stringCode = false): OscError {
  if (inElement > 0) {
    return new OscError(
      'BAD_BUNDLE_ELEMENT',
      `${what} runs past the end of its bundle element (offset ${offset}): the element size is too small`,
      offset,
    );
  }
  return new OscError(
    stringCode ? 'BAD_STRING' : 'TRUNCATED',
    `${what} runs past the end of the packet (offset ${offset})`,
    offset,
  );
}

/**
 * Reads an OSC-string at p (4-aligned, as every item is) and sets `pos` past its padding. Scans a word at a
 * time: the string ends in the first word holding a zero byte, and the rest of that word is its padding.
 */
function readString(buf: Uint8Array, p: number, end: number, what: string): string {
  const words = wordsRead;
  const room = words.length;
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
    if (n < room) words[n] = w;
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
  if (n >= room) return decodeStringOf(buf, p, nul, hi, what);
  words[n] = w;
  return cachedStringOf(buf, p, nul, n, (Math.imul(h, 31) + w) | 0, hi, what);
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
      case Tag.i:
        if (p + 4 > end) throw overrun("an 'i' argument", p);
        args[na++] = { type: 'i', value: (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3] };
        p += 4;
        break;
      case Tag.f: {
        if (p + 4 > end) throw overrun("an 'f' argument", p);
        u32[0] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        const x = f32[0];
        args[na++] = { type: 'f', value: x === x ? x : nanFromFloatBits(u32[0]) };
        p += 4;
        break;
      }
      case Tag.s:
      case Tag.S: {
        if (p >= end) throw overrun("an 's' argument", p);
        const v = readString(buf, p, end, c === Tag.s ? "an 's' argument" : "an 'S' argument");
        p = pos;
        args[na++] = c === Tag.s ? { type: 's', value: v } : { type: 'S', value: v };
        break;
      }
      case Tag.d:
        if (p + 8 > end) throw overrun("a 'd' argument", p);
        u32[HI] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        u32[LO] = (buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7];
        args[na++] = { type: 'd', value: scratchF64[0] };
        p += 8;
        break;
      case Tag.h:
        if (p + 8 > end) throw overrun("an 'h' argument", p);
        u32[HI] = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
        u32[LO] = (buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7];
        args[na++] = { type: 'h', value: scratchI64[0] };
        p += 8;
        break;
      case Tag.b: {
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
      case Tag.T:
        args[na++] = { type: 'T', value: true };
        break;
      case Tag.F:
        args[na++] = { type: 'F', value: false };
        break;
      case Tag.N:
        args[na++] = { type: 'N', value: null };
        break;
      case Tag.I:
        args[na++] = { type: 'I' };
        break;
      case Tag.t:
        if (p + 8 > end) throw overrun("a 't' argument", p);
        args[na++] = { type: 't', value: { seconds: readU32(buf, p), fraction: readU32(buf, p + 4) } };
        p += 8;
        break;
      case Tag.c: {
        if (p + 4 > end) throw overrun("a 'c' argument", p);
        const cp = readU32(buf, p);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          throw new OscError('BAD_STRING', `'c' argument at offset ${p} is not a Unicode character (${cp})`, p);
        }
        args[na++] = { type: 'c', value: String.fromCodePoint(cp) };
        p += 4;
        break;
      }
      case Tag.r:
        if (p + 4 > end) throw overrun("an 'r' argument", p);
        args[na++] = { type: 'r', value: { r: buf[p], g: buf[p + 1], b: buf[p + 2], a: buf[p + 3] } };
        p += 4;
        break;
      case Tag.m:
        if (p + 4 > end) throw overrun("an 'm' argument", p);
        args[na++] = { type: 'm', value: buf.subarray(p, p + 4) };
        p += 4;
        break;
      case Tag.OPEN: {
        const inner: OscArg[] = [];
        p = readArgs(buf, ti, tagEnd, p, end, inner);
        ti = tagPos;
        args[na++] = { type: '[', value: inner };
        break;
      }
      default: // Tag.CLOSE: the type tags were checked to balance
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
  if (p >= end || buf[p] !== Char.COMMA) {
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
      throw new OscError(
        'UNKNOWN_TYPE_TAG',
        `unknown type tag ${JSON.stringify(String.fromCharCode(c))} at offset ${q} in message ${address}`,
        q,
      );
    }
    if (c === Tag.OPEN) {
      hasArray = true;
      if (++depth > decMaxDepth)
        throw new OscError('LIMIT_EXCEEDED', `arrays nested deeper than ${decMaxDepth} at offset ${q}`, q);
    } else if (c === Tag.CLOSE) {
      if (--depth < 0) throw new OscError('BAD_ARRAY', `']' at offset ${q} closes no array`, q);
    }
    count++;
    q++;
  }
  if (q >= end) throw overrun('the type-tag string (no terminating NUL)', p, true);
  if (depth !== 0) throw new OscError('BAD_ARRAY', `an array '[' in message ${address} is never closed`, p);
  if (count > maxArgs)
    throw new OscError('LIMIT_EXCEEDED', `message ${address} has ${count} arguments, more than ${maxArgs}`, p);
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
  if (depth > decMaxDepth)
    throw new OscError('LIMIT_EXCEEDED', `bundles nested deeper than ${decMaxDepth} at offset ${p}`, p);
  const timetag: Timetag = { seconds: readU32(buf, p + 8), fraction: readU32(buf, p + 12) };
  const packets: OscPacket[] = [];
  p += 16;
  while (p < end) {
    if (p + 4 > end) throw overrun('a bundle element size', p);
    const size = (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
    if (size <= 0 || (size & 3) !== 0) {
      throw new OscError(
        'BAD_BUNDLE_ELEMENT',
        `bundle element size ${size} at offset ${p} is not a positive multiple of 4`,
        p,
      );
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
    if (first === Char.SLASH) {
      packets.push(decodeMessage(buf, start, elementEnd));
      if (pos !== elementEnd) {
        throw new OscError(
          'BAD_BUNDLE_ELEMENT',
          `bundle element at offset ${p} claims ${size} bytes but its message takes ${pos - start}`,
          pos,
        );
      }
    } else if (first === Char.HASH) {
      packets.push(decodeBundle(buf, start, elementEnd, depth + 1));
    } else {
      throw new OscError(
        'BAD_PACKET',
        `bundle element at offset ${start} is neither a message ('/') nor a bundle ('#')`,
        start,
      );
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
  decMaxDepth = DEFAULT_MAX_DEPTH;
  maxArgs = DEFAULT_MAX_ARGS;
  let maxSize = DEFAULT_MAX_PACKET_SIZE;
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
  if (first === Char.SLASH) {
    const m = decodeMessage(buf, 0, n);
    if (pos !== n) {
      throw new OscError(
        'TRAILING_BYTES',
        `${n - pos} byte(s) after the arguments of ${m.address}, at offset ${pos}`,
        pos,
      );
    }
    return m;
  }
  if (first === Char.HASH) return decodeBundle(buf, 0, n, 1);
  throw new OscError(
    'BAD_PACKET',
    `a packet must start with '/' (message) or '#' (bundle), got byte 0x${first.toString(16).padStart(2, '0')}`,
    0,
  );
}
