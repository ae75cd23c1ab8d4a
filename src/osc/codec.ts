// The OSC 1.0/1.1 codec: packets to bytes and back, exact to the byte, strict about what it accepts. This file is
// its face: the rest of the package, and the package's own entry (src/codec.ts), import the codec from here.
//
// Speed matters here (every datagram of every flow passes through), so the code is written for V8 rather than
// for elegance. Its parts:
//   encode-plan.ts   encoding, pass 1: plans the whole packet into flat, reused scratch tables, validating as it goes
//   encoder.ts       encoding, pass 2: writes the plan into a single Buffer of the exact size, which cannot fail
//   decoder.ts       decoding: reads bytes directly (no DataView, no intermediate objects) into objects of one shape
//   string-cache.ts  the decoder's cache of recently read strings
//   plain.ts         packets told apart, and typed arguments as plain JS values
//   codec-options.ts the options, their defaults and limits
//   tags.ts, bits.ts the wire's type tags, and the bits of floats and 64-bit integers
// Encoding and decoding are synchronous and never re-entered, which is what makes their module-level scratch
// state safe.

import * as decoder from './decoder';
import * as encoder from './encoder';
import * as plain from './plain';

export * from './types';
export { OscError, isOscError } from './errors';
export * from './timetag';
export { DEFAULT_MAX_ARGS, DEFAULT_MAX_DEPTH, DEFAULT_MAX_PACKET_SIZE } from './codec-options';
export type { DecodeOptions, EncodeOptions } from './codec-options';

// The functions called for every packet or argument are constants here rather than `export { ... } from`, which
// TypeScript compiles to a getter that every call through this module would run first. Their types and
// documentation are the originals'.
export const encodePacket = encoder.encodePacket;
export const decodePacket = decoder.decodePacket;
export const isBundle = plain.isBundle;
export const isMessage = plain.isMessage;
export const plainValue = plain.plainValue;
export const plainValues = plain.plainValues;
