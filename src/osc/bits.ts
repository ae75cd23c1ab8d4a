// The bits of floats and 64-bit integers as big-endian words, for the encoder and the decoder.
//
// Conversions go through one 8-byte scratch seen as several typed arrays; copying 4 or 8 bytes by hand is much
// cheaper than a DataView per call, and works for any Uint8Array, not only Buffers. Sharing the scratch is safe
// because encoding and decoding are synchronous and never re-entered.

const scratch = new ArrayBuffer(8);
export const scratchF32 = new Float32Array(scratch);
export const scratchF64 = new Float64Array(scratch);
export const scratchU32 = new Uint32Array(scratch);
export const scratchI64 = new BigInt64Array(scratch);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Which half of scratchU32 holds the high 32 bits of an 8-byte value. */
export const HI = LITTLE_ENDIAN ? 1 : 0;
export const LO = 1 - HI;

// A float32 NaN widened to a double by the CPU loses its payload's signalling bit, so re-encoding would change
// the bytes. These two carry the float's sign and payload bits in a double NaN's top bits, and back, exactly.
export function nanFromFloatBits(bits: number): number {
  scratchU32[HI] = (bits & 0x80000000) | 0x7ff00000 | ((bits & 0x7fffff) >>> 3);
  scratchU32[LO] = (bits & 7) << 29;
  return scratchF64[0];
}

export function nanToFloatBits(x: number): number {
  scratchF64[0] = x;
  const hi = scratchU32[HI];
  const mantissa = ((hi & 0xfffff) << 3) | (scratchU32[LO] >>> 29);
  // A payload that does not fit in 23 bits (a NaN made in JS) becomes the canonical quiet NaN.
  return ((hi & 0x80000000) | 0x7f800000 | (mantissa === 0 ? 0x400000 : mantissa)) >>> 0;
}
