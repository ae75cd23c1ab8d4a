// SLIP (RFC 1055) framing, as OSC 1.1 requires on streams: an END byte before and after each packet, with END
// and ESC inside the packet escaped. Pure and synchronous: the TCP transport (and later serial or core-node
// bridges) feed it whatever chunks the stream delivers.

import { OscError } from './errors';
import { asBuffer } from '../util';

export const SLIP_END = 0xc0;
export const SLIP_ESC = 0xdb;
export const SLIP_ESC_END = 0xdc;
export const SLIP_ESC_ESC = 0xdd;

/** 1 MiB: far above any real OSC packet, small enough that a peer cannot make us hold much per stream. */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024;

/**
 * How a streaming decoder reports a problem. `fatal` false: the frame at fault was dropped and decoding goes on
 * with the next one. `fatal` true: the stream cannot be resynchronised; the decoder ignores further input and
 * the caller should close the connection.
 */
export type FrameErrorHandler = (error: OscError, fatal: boolean) => void;

export interface StreamDecoderOptions {
  /**
   * Largest packet a frame may carry, in bytes (default DEFAULT_MAX_FRAME_SIZE). A longer frame is never
   * buffered beyond this: SLIP drops it (recoverable), the size prefix refuses it (fatal).
   */
  maxFrameSize?: number;
  /** Called synchronously from push(), so errors can be tied to the chunk that caused them. */
  onError?: FrameErrorHandler;
  /**
   * Asked before each non-fatal error is built: false drops and counts the frame without building an OscError
   * or calling onError. An Error captures a stack trace, which costs more than decoding the frame, so a caller
   * that reports at a limited rate should not pay it for errors it would not report. Fatal errors are always
   * reported. Default: every error is reported.
   */
  shouldReport?: () => boolean;
}

/** What the TCP transport needs from either framing's decoder. */
export interface StreamDecoder {
  /**
   * Feeds the next chunk of the stream; returns the packets it completed, in stream order (possibly none).
   * A returned packet may be a view into `chunk` (no copy on the common path), so the caller must not reuse
   * or modify a chunk after pushing it; sockets hand out fresh buffers, so they need no care.
   */
  push(chunk: Uint8Array): Buffer[];
  /** Bytes held for a packet not yet complete. */
  readonly buffered: number;
  /** True after a fatal error: further input is ignored. */
  readonly failed: boolean;
  /** Frames dropped so far (too large, bad escape), whether or not an onError handler saw them. */
  readonly dropped: number;
  /** Forgets any partial frame and a previous failure, for reuse on a new connection. */
  reset(): void;
}

export function checkMaxFrameSize(n: number | undefined): number {
  if (n === undefined) return DEFAULT_MAX_FRAME_SIZE;
  if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
    throw new RangeError(`maxFrameSize must be an integer from 1 to 2147483647, got ${String(n)}`);
  }
  return n;
}

/**
 * Frames one packet: END, the escaped bytes, END. The leading END flushes any line noise the receiver holds, as
 * OSC 1.1 recommends, and costs one byte.
 */
export function slipEncode(packet: Uint8Array): Buffer {
  const src = asBuffer(packet);
  let specials = 0;
  for (let i = src.indexOf(SLIP_END); i !== -1; i = src.indexOf(SLIP_END, i + 1)) specials++;
  for (let i = src.indexOf(SLIP_ESC); i !== -1; i = src.indexOf(SLIP_ESC, i + 1)) specials++;
  const out = Buffer.allocUnsafe(src.length + specials + 2);
  out[0] = SLIP_END;
  if (specials === 0) {
    src.copy(out, 1);
  } else {
    let o = 1;
    for (let i = 0; i < src.length; i++) {
      const b = src[i];
      if (b === SLIP_END) {
        out[o++] = SLIP_ESC;
        out[o++] = SLIP_ESC_END;
      } else if (b === SLIP_ESC) {
        out[o++] = SLIP_ESC;
        out[o++] = SLIP_ESC_ESC;
      } else {
        out[o++] = b;
      }
    }
  }
  out[out.length - 1] = SLIP_END;
  return out;
}

/**
 * Reassembles SLIP frames across chunk boundaries. Accepts double END (OSC 1.1) and single END (RFC 1055
 * senders that only terminate), drops empty frames (the space between two ENDs), and resynchronises at the next
 * END after an invalid escape or an oversized frame, reporting each dropped frame as a non-fatal error:
 * 'BAD_FRAME' for an invalid escape, 'LIMIT_EXCEEDED' for a frame over maxFrameSize. SLIP errors are never fatal.
 *
 * Bytes before the first END are treated as a frame, since a single-END sender starts without one; if they are
 * line noise, the codec rejects that one packet and the stream carries on.
 */
export class SlipDecoder implements StreamDecoder {
  private readonly maxFrameSize: number;
  private readonly onError: FrameErrorHandler | undefined;
  private readonly shouldReport: (() => boolean) | undefined;
  /** Unescaped bytes of a frame that spans chunks; grown by doubling up to maxFrameSize. */
  private acc: Buffer | null = null;
  private accLen = 0;
  /** A frame is in progress (possibly with zero bytes so far, if it ended in an ESC). */
  private escapePending = false;
  /** Skipping to the next END after an error. */
  private discarding = false;
  private droppedCount = 0;
  /** Stream offset of the current chunk's first byte, so error offsets point into the stream. */
  private base = 0;

  constructor(options: StreamDecoderOptions = {}) {
    this.maxFrameSize = checkMaxFrameSize(options.maxFrameSize);
    this.onError = options.onError;
    this.shouldReport = options.shouldReport;
  }

  get buffered(): number {
    return this.accLen;
  }

  get failed(): boolean {
    return false;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  reset(): void {
    this.acc = null;
    this.accLen = 0;
    this.escapePending = false;
    this.discarding = false;
    this.base = 0;
  }

  push(chunk: Uint8Array): Buffer[] {
    const buf = asBuffer(chunk);
    const out: Buffer[] = [];
    const n = buf.length;
    let pos = 0;
    while (pos < n) {
      const end = buf.indexOf(SLIP_END, pos);
      const segEnd = end === -1 ? n : end;
      if (end !== -1 && this.accLen === 0 && !this.escapePending && !this.discarding) {
        // Fast path: a whole frame inside this chunk. Without escapes it is returned as a view, no copy.
        const esc = buf.indexOf(SLIP_ESC, pos);
        if (esc === -1 || esc >= end) {
          const len = end - pos;
          if (len > this.maxFrameSize) {
            this.drop(DROP_TOO_LARGE, 0, -1);
            this.discarding = false; // its END is already here
          } else if (len > 0) out.push(buf.subarray(pos, end));
          pos = end + 1;
          continue;
        }
      }
      if (segEnd > pos && !this.discarding) this.append(buf, pos, segEnd);
      if (end === -1) break;
      this.finishFrame(out, end);
      pos = end + 1;
    }
    this.base += n;
    return out;
  }

  /** Unescapes buf[from, to) (no END inside) onto the frame in progress. */
  private append(buf: Buffer, from: number, to: number): void {
    let p = from;
    if (this.escapePending) {
      this.escapePending = false;
      if (!this.unescapeByte(buf[p], p)) return;
      p++;
    }
    while (p < to && !this.discarding) {
      let esc = buf.indexOf(SLIP_ESC, p);
      if (esc === -1 || esc >= to) esc = to;
      if (esc > p && !this.appendRaw(buf, p, esc)) return;
      if (esc === to) return;
      if (esc + 1 === to) {
        // The escaped byte is in the next chunk, or is the END that follows (checked in finishFrame).
        this.escapePending = true;
        return;
      }
      if (!this.unescapeByte(buf[esc + 1], esc + 1)) return;
      p = esc + 2;
    }
  }

  private unescapeByte(b: number, offset: number): boolean {
    if (b === SLIP_ESC_END) return this.appendByte(SLIP_END);
    if (b === SLIP_ESC_ESC) return this.appendByte(SLIP_ESC);
    this.drop(DROP_BAD_ESCAPE, b, this.base + offset);
    return false;
  }

  private appendByte(b: number): boolean {
    if (!this.reserve(1)) return false;
    (this.acc as Buffer)[this.accLen++] = b;
    return true;
  }

  private appendRaw(buf: Buffer, from: number, to: number): boolean {
    if (!this.reserve(to - from)) return false;
    buf.copy(this.acc as Buffer, this.accLen, from, to);
    this.accLen += to - from;
    return true;
  }

  /** Makes room for `extra` more bytes, or drops the frame when it would pass maxFrameSize. */
  private reserve(extra: number): boolean {
    const need = this.accLen + extra;
    if (need > this.maxFrameSize) {
      this.drop(DROP_TOO_LARGE, 0, -1);
      return false;
    }
    if (this.acc === null || this.acc.length < need) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxFrameSize, Math.max(need, 2 * (this.acc?.length ?? 0), 256)));
      if (this.acc !== null) this.acc.copy(grown, 0, 0, this.accLen);
      this.acc = grown;
    }
    return true;
  }

  private finishFrame(out: Buffer[], endOffset: number): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.escapePending) {
      this.escapePending = false;
      this.drop(DROP_BAD_ESCAPE, SLIP_END, this.base + endOffset);
      this.discarding = false; // that END closed the bad frame
      return;
    }
    if (this.accLen === 0) return;
    const frame = Buffer.allocUnsafe(this.accLen);
    (this.acc as Buffer).copy(frame, 0, 0, this.accLen);
    this.accLen = 0;
    // Keep a modest buffer for the next spanning frame, but do not pin a huge one.
    if (this.acc !== null && this.acc.length > 65536) this.acc = null;
    out.push(frame);
  }

  /** `byte`: the byte after ESC, for a bad escape; `offset`: where in the stream, or -1. */
  private drop(kind: DropKind, byte: number, offset: number): void {
    this.droppedCount++;
    this.accLen = 0;
    this.escapePending = false;
    this.discarding = true;
    if (this.acc !== null && this.acc.length > 65536) this.acc = null;
    // The error is built only for someone who will see it: a stream of bad frames must cost no more to skip
    // than good frames cost to decode.
    if (this.onError === undefined || (this.shouldReport !== undefined && !this.shouldReport())) return;
    this.onError(kind === DROP_TOO_LARGE ? tooLarge(this.maxFrameSize) : badEscape(byte, offset), false);
  }
}

const DROP_BAD_ESCAPE = 0;
const DROP_TOO_LARGE = 1;
type DropKind = typeof DROP_BAD_ESCAPE | typeof DROP_TOO_LARGE;

function badEscape(byte: number, offset: number): OscError {
  const what =
    byte === SLIP_END ? `invalid SLIP escape 0xdb 0xc0 (ESC before END)` : `invalid SLIP escape 0xdb 0x${hex(byte)}`;
  return new OscError('BAD_FRAME', what, offset);
}

function tooLarge(max: number): OscError {
  return new OscError('LIMIT_EXCEEDED', `SLIP frame longer than maxFrameSize (${max} bytes) without an END; dropped`);
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
