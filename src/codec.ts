// The package's `.` and `./codec` entries: what `require('@oscflow/node-red-osc/codec')` gives. Only this file
// decides what of the codec is public, so src/osc/ can rearrange its files without changing the package's API.
//
// Functions and constants are constants here rather than `export { ... } from`, which TypeScript compiles to a
// getter that every call through the package would run first (and src/osc/codec.ts may add its own). Their types
// and documentation are the originals'. Classes are re-exported, so that they stay types as well as values.

import * as codec from './osc/codec';

export { OscError } from './osc/codec';
export type {
  DecodeOptions,
  EncodeOptions,
  NumberPolicy,
  OscArg,
  OscBundle,
  OscBundleInput,
  OscMessage,
  OscMessageInput,
  OscPacket,
  OscPacketInput,
  OscTypeTag,
  PlainArg,
  Rgba,
  Timetag,
} from './osc/codec';

export const encodePacket = codec.encodePacket;
export const decodePacket = codec.decodePacket;
export const isBundle = codec.isBundle;
export const isMessage = codec.isMessage;
export const plainValue = codec.plainValue;
export const plainValues = codec.plainValues;
export const isOscError = codec.isOscError;
export const DEFAULT_MAX_ARGS = codec.DEFAULT_MAX_ARGS;
export const DEFAULT_MAX_DEPTH = codec.DEFAULT_MAX_DEPTH;
export const DEFAULT_MAX_PACKET_SIZE = codec.DEFAULT_MAX_PACKET_SIZE;
export const IMMEDIATELY = codec.IMMEDIATELY;
export const isTimetag = codec.isTimetag;
export const isImmediately = codec.isImmediately;
export const compareTimetags = codec.compareTimetags;
export const toTimetag = codec.toTimetag;
export const timetagFromDate = codec.timetagFromDate;
export const timetagFromMillis = codec.timetagFromMillis;
export const timetagFromUnixSeconds = codec.timetagFromUnixSeconds;
export const timetagToDate = codec.timetagToDate;
export const timetagToMillis = codec.timetagToMillis;
export const timetagToUnixSeconds = codec.timetagToUnixSeconds;
