// Stream framings for OSC over TCP (or any byte stream): the OSC 1.0 int32 size prefix, SLIP (OSC 1.1, see
// slip.ts), and 'auto', which tells them apart by a connection's first byte. Pure and synchronous.

import { OscError } from './errors';
import { asBuffer } from '../util';
import {
  SlipDecoder,
  checkMaxFrameSize,
  slipEncode,
  SLIP_END,
  type FrameErrorHandler,
  type StreamDecoder,
  type StreamDecoderOptions,
} from './slip';

export { SlipDecoder, slipEncode, DEFAULT_MAX_FRAME_SIZE } from './slip';
export type { FrameErrorHandler, StreamDecoder, StreamDecoderOptions } from './slip';

/** How packets are delimited on a stream. OSC 1.0: 'length-prefix'; OSC 1.1: 'slip'. */
export type Framing = 'slip' | 'length-prefix';

/**
 * What a receiving side may accept: a fixed framing, or 'auto', which reads a connection's first byte: 0xC0 (a
 * SLIP END) means SLIP, anything else a size prefix. Unambiguous, since a prefix starting 0xC0 would be a negative
 * size; liblo's TCP server detects SLIP the same way.
 */
export type DecodeFraming = Framing | 'auto';

export const FRAMINGS: readonly Framing[] = ['slip', 'length-prefix'];

export function isFraming(v: unknown): v is Framing {
  return v === 'slip' || v === 'length-prefix';
}

/** Frames one packet with an int32 big-endian byte count (OSC 1.0 streams). */
export function lengthPrefixEncode(packet: Uint8Array): Buffer {
  const n = packet.byteLength;
  if (n > 0x7fffffff) {
    throw new OscError('LIMIT_EXCEEDED', `a ${n}-byte packet does not fit an int32 size prefix`);
  }
  const out = Buffer.allocUnsafe(4 + n);
  out.writeInt32BE(n, 0);
  out.set(packet, 4);
  return out;
}

/** Frames one packet for sending with the given framing. */
export function encodeFrame(framing: Framing, packet: Uint8Array): Buffer {
  return framing === 'slip' ? slipEncode(packet) : lengthPrefixEncode(packet);
}

/** A fresh decoder for one stream (one per connection: decoders hold the partial frame). */
export function createStreamDecoder(framing: DecodeFraming, options: StreamDecoderOptions = {}): StreamDecoder {
  if (framing === 'slip') return new SlipDecoder(options);
  if (framing === 'length-prefix') return new LengthPrefixDecoder(options);
  if (framing === 'auto') return new AutoDecoder(options);
  throw new RangeError(`unknown framing ${String(framing)}: expected 'slip', 'length-prefix' or 'auto'`);
}

/**
 * Reassembles int32-size-prefixed packets across chunk boundaries. A size of 0 is an empty frame and is skipped.
 * A negative size or one above maxFrameSize is fatal (OscError 'LIMIT_EXCEEDED', fatal = true): the stream has
 * no way to resynchronise, and buffering the frame would let a peer claim up to 2 GiB of memory. After that the
 * decoder ignores further input; the caller should close the connection.
 */
export class LengthPrefixDecoder implements StreamDecoder {
  private readonly maxFrameSize: number;
  private readonly onError: FrameErrorHandler | undefined;
  private readonly header = Buffer.alloc(4);
  private headerLen = 0;
  /** The frame being filled once its size is known, or null while reading a header. */
  private body: Buffer | null = null;
  private bodyLen = 0;
  private failedFlag = false;
  private droppedCount = 0;
  private base = 0;

  constructor(options: StreamDecoderOptions = {}) {
    this.maxFrameSize = checkMaxFrameSize(options.maxFrameSize);
    this.onError = options.onError;
  }

  get buffered(): number {
    return this.headerLen + this.bodyLen;
  }

  get failed(): boolean {
    return this.failedFlag;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  reset(): void {
    this.headerLen = 0;
    this.body = null;
    this.bodyLen = 0;
    this.failedFlag = false;
    this.base = 0;
  }

  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    if (this.failedFlag) return out;
    const buf = asBuffer(chunk);
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyLen, n - pos);
        buf.copy(this.body, this.bodyLen, pos, pos + take);
        this.bodyLen += take;
        pos += take;
        if (this.bodyLen === this.body.length) {
          out.push(this.body);
          this.body = null;
          this.bodyLen = 0;
        }
        continue;
      }
      let size: number;
      if (this.headerLen === 0 && n - pos >= 4) {
        size = buf.readInt32BE(pos);
        pos += 4;
      } else {
        const take = Math.min(4 - this.headerLen, n - pos);
        buf.copy(this.header, this.headerLen, pos, pos + take);
        this.headerLen += take;
        pos += take;
        if (this.headerLen < 4) break;
        this.headerLen = 0;
        size = this.header.readInt32BE(0);
      }
      if (size < 0 || size > this.maxFrameSize) {
        this.fail(size, this.base + pos - 4);
        break;
      }
      if (size === 0) continue;
      if (n - pos >= size) {
        // Fast path: the whole packet is in this chunk; hand out a view, no copy.
        out.push(buf.subarray(pos, pos + size));
        pos += size;
      } else {
        this.body = Buffer.allocUnsafe(size);
        this.bodyLen = 0;
      }
    }
    this.base += n;
    return out;
  }

  private fail(size: number, offset: number): void {
    this.failedFlag = true;
    this.droppedCount++;
    this.body = null;
    this.bodyLen = 0;
    const why = size < 0 ? `negative frame size ${size}` : `frame size ${size} over maxFrameSize ${this.maxFrameSize}`;
    const err = new OscError('LIMIT_EXCEEDED', `${why}: the stream cannot be resynchronised`, offset);
    if (this.onError) this.onError(err, true);
  }
}

/** Picks SLIP or the size prefix from the first byte it sees, then behaves as that decoder. */
export class AutoDecoder implements StreamDecoder {
  private inner: StreamDecoder | null = null;
  private readonly options: StreamDecoderOptions;

  constructor(options: StreamDecoderOptions = {}) {
    checkMaxFrameSize(options.maxFrameSize);
    this.options = options;
  }

  /** The framing detected, or null before the first byte. */
  get framing(): Framing | null {
    if (this.inner === null) return null;
    return this.inner instanceof SlipDecoder ? 'slip' : 'length-prefix';
  }

  get buffered(): number {
    return this.inner?.buffered ?? 0;
  }

  get failed(): boolean {
    return this.inner?.failed ?? false;
  }

  get dropped(): number {
    return this.inner?.dropped ?? 0;
  }

  reset(): void {
    this.inner = null;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (this.inner === null) {
      if (chunk.byteLength === 0) return [];
      this.inner = chunk[0] === SLIP_END ? new SlipDecoder(this.options) : new LengthPrefixDecoder(this.options);
    }
    return this.inner.push(chunk);
  }
}
