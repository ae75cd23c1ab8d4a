// Encoding, pass 2: write the plan (encode-plan.ts) into one Buffer of the exact size. This cannot fail:
// everything was checked in pass 1, except that a short string pass 1 took for ASCII may not be, which sends the
// packet round again with exact lengths.

import { Buffer } from 'node:buffer';
import { HI, LO, nanToFloatBits, scratchF32, scratchF64, scratchI64, scratchU32 } from './bits';
import { DEFAULT_MAX_DEPTH, DEPTH_CEILING, describe, limit, type EncodeOptions } from './codec-options';
import { Speculation, makePlan, plan as thePlan, releasePlan } from './encode-plan';
import { OscError } from './errors';
import { BUNDLE_HEADER as HEADER, Char, Tag } from './tags';
import type { OscPacket, OscPacketInput } from './types';

// Local bindings: a use through an imported module object is a property load every time.
const plan = thePlan;
const makePlanOf = makePlan;
const releasePlanOf = releasePlan;
const BUNDLE_HEADER = HEADER;

/** After a miss, how many packets to encode with exact lengths before guessing again. */
const EXACT_RUNS = 64;
let exactRuns = 0;

/** Returns the position after the string's padding, or -1 when a short string guessed ASCII was not. */
function writeString(buf: Buffer, p: number, s: string, len: number): number {
  const end = p + ((len + 4) & ~3);
  // Zero the last word first: the characters then overwrite what is not padding, with no loop.
  buf[end - 4] = 0;
  buf[end - 3] = 0;
  buf[end - 2] = 0;
  buf[end - 1] = 0;
  if (len === s.length) {
    if (len < Speculation.SHORT) {
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
  const tags = plan.tags;
  const nums = plan.num;
  const objs = plan.obj;
  const u32 = scratchU32;
  const f32 = scratchF32;
  p = writeString(buf, p, plan.nodeStr[node] as string, plan.nodeStrLen[node]);
  if (p < 0) return -1;
  const first = plan.nodeStart[node];
  const last = plan.nodeEnd[node];
  buf[p++] = Char.COMMA;
  for (let k = first; k < last; k++) buf[p++] = tags[k];
  const tagEnd = (p + 4) & ~3;
  while (p < tagEnd) buf[p++] = 0;
  for (let k = first; k < last; k++) {
    let v: number;
    switch (tags[k]) {
      case Tag.i:
      case Tag.r:
      case Tag.m:
      case Tag.c:
        v = nums[k];
        break;
      case Tag.f: {
        const x = nums[k];
        if (x === x) {
          f32[0] = x;
          v = u32[0];
        } else {
          v = nanToFloatBits(x);
        }
        break;
      }
      case Tag.s:
      case Tag.S:
        p = writeString(buf, p, objs[k] as string, nums[k]);
        if (p < 0) return -1;
        continue;
      case Tag.d:
        scratchF64[0] = nums[k];
        v = u32[HI];
        buf[p] = v >>> 24;
        buf[p + 1] = v >>> 16;
        buf[p + 2] = v >>> 8;
        buf[p + 3] = v;
        p += 4;
        v = u32[LO];
        break;
      case Tag.h:
        scratchI64[0] = objs[k] as bigint;
        v = u32[HI];
        buf[p] = v >>> 24;
        buf[p + 1] = v >>> 16;
        buf[p + 2] = v >>> 8;
        buf[p + 3] = v;
        p += 4;
        v = u32[LO];
        break;
      case Tag.t:
        v = nums[k];
        buf[p] = v >>> 24;
        buf[p + 1] = v >>> 16;
        buf[p + 2] = v >>> 8;
        buf[p + 3] = v;
        p += 4;
        v = plan.num2[k];
        break;
      case Tag.b: {
        // The size, then the bytes copied once, straight from the caller's blob; padding only when there is some.
        const bytes = objs[k] as Uint8Array;
        const n = bytes.length;
        buf[p] = n >>> 24;
        buf[p + 1] = n >>> 16;
        buf[p + 2] = n >>> 8;
        buf[p + 3] = n;
        p += 4;
        const end = p + ((n + 3) & ~3);
        if ((n & 3) !== 0) {
          // Zero the last word first: the bytes then overwrite what is not padding, with no loop.
          buf[end - 4] = 0;
          buf[end - 3] = 0;
          buf[end - 2] = 0;
          buf[end - 1] = 0;
        }
        if (n < 32) {
          for (let j = 0; j < n; j++) buf[p + j] = bytes[j];
        } else {
          buf.set(bytes, p);
        }
        p = end;
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
  for (let n = 0; n < plan.nodes; n++) {
    if (n > 0) {
      const size = plan.nodeSize[n];
      buf[p] = size >>> 24;
      buf[p + 1] = size >>> 16;
      buf[p + 2] = size >>> 8;
      buf[p + 3] = size;
      p += 4;
    }
    if (plan.nodeKind[n] === 0) {
      p = writeMessage(buf, p, n);
      if (p < 0) return -1;
    } else {
      for (let j = 0; j < 8; j++) buf[p + j] = BUNDLE_HEADER[j];
      const s = plan.nodeStart[n] >>> 0;
      const f = plan.nodeEnd[n];
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
  let policy = 0;
  let maxDepth = DEFAULT_MAX_DEPTH;
  if (options !== undefined) {
    const n = options.numbers;
    if (n !== undefined && n !== 'int') {
      if (n === 'float') policy = 1;
      else if (n === 'double') policy = 2;
      else throw new OscError('BAD_ARGUMENT', `unknown number policy ${describe(n)}: use 'int', 'float' or 'double'`);
    }
    if (options.maxDepth !== undefined) maxDepth = limit(options.maxDepth, 'maxDepth', DEPTH_CEILING);
  }
  const guess = exactRuns === 0;
  if (!guess) exactRuns--;
  let buf = encodeOnce(packet as OscPacketInput, policy, maxDepth, guess);
  if (buf === undefined) {
    // A short string was not ASCII after all: measure every string exactly, now and for the next packets.
    exactRuns = EXACT_RUNS;
    buf = encodeOnce(packet as OscPacketInput, policy, maxDepth, false) as Buffer;
  }
  return buf;
}

function encodeOnce(packet: OscPacketInput, policy: number, maxDepth: number, guess: boolean): Buffer | undefined {
  const size = makePlanOf(packet, policy, maxDepth, guess);
  const buf = Buffer.allocUnsafe(size);
  const written = plan.nodes === 1 && plan.nodeKind[0] === 0 ? writeMessage(buf, 0, 0) : writeNodes(buf);
  releasePlanOf();
  return written < 0 ? undefined : buf;
}
