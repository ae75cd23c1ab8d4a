// What osc-codec does with a msg, without Node-RED: bytes become the msgs osc-in would emit (streams reassembled per
// connection), anything else the bytes osc-out would send. Failures come back as keyed errors for the node to word.
import { decodePacket } from '../osc/codec';
import type { DecodeOptions, NumberPolicy, OscPacket } from '../osc/codec';
import { createStreamDecoder, encodeFrame } from '../osc/framing';
import type { Framing, StreamDecoder } from '../osc/framing';
import { errorCode, flag } from '../util';
import { OscOutputError, bundleToMsg, encodeMsg, messageToMsg, splitBundle } from './convert';
import type { OscInMsg, OutgoingOptions } from './convert';
import type { NodeMessage } from './red';
import type { KeyedError } from './report';

/** The properties of an osc-codec node. */
export interface MsgCodecConfig {
  action?: string;
  framing?: string;
  address?: string;
  numbers?: string;
  payloadArray?: boolean | string;
  bundles?: string;
  lenient?: boolean | string;
}

/**
 * Streams decoded at once, one per msg._session (the core TCP and WebSocket nodes tag each connection's msgs
 * with it). Each holds at most one partial frame; the least recently used is forgotten beyond this.
 */
export const MAX_STREAMS = 64;

/** One stream's decoder, and the frame errors its last push reported. */
interface Stream {
  decoder: StreamDecoder;
  errors: Error[];
}

function sessionKey(msg: NodeMessage): string {
  const s = msg._session as { id?: unknown } | null | undefined;
  return s !== null && typeof s === 'object' && (typeof s.id === 'string' || typeof s.id === 'number') ? String(s.id) : '';
}

export class MsgCodec {
  decoded = 0;
  encoded = 0;
  failed = 0;
  lastCode = '';
  private readonly action: 'auto' | 'decode' | 'encode';
  private readonly framing: Framing | null;
  private readonly outgoing: OutgoingOptions;
  private readonly alwaysArray: boolean;
  private readonly whole: boolean;
  private readonly decodeOptions: DecodeOptions;
  // Map order is insertion order: re-inserting on use keeps the least recently used first.
  private readonly streams = new Map<string, Stream>();

  constructor(config: MsgCodecConfig) {
    this.action = config.action === 'decode' || config.action === 'encode' ? config.action : 'auto';
    this.framing = config.framing === 'slip' || config.framing === 'length-prefix' ? config.framing : null;
    const numbers: NumberPolicy = config.numbers === 'float' || config.numbers === 'double' ? config.numbers : 'int';
    this.outgoing = { address: (config.address ?? '').trim(), numbers };
    this.alwaysArray = flag(config.payloadArray, false);
    this.whole = config.bundles === 'whole';
    this.decodeOptions = { lenient: flag(config.lenient, false) };
  }

  /**
   * Decodes or encodes msg, sending what comes of it (several msgs of one packet in one send, in order); returns
   * the first error, if any (the msgs decoded before and after it are sent all the same).
   */
  handle(msg: NodeMessage, send: (out: NodeMessage | NodeMessage[][]) => void): KeyedError | undefined {
    const p = msg.payload;
    const isBytes = p instanceof Uint8Array;
    if (this.action === 'encode' || (this.action === 'auto' && !isBytes)) return this.encode(msg, send);
    if (!isBytes) return this.fail({ code: 'BAD_INPUT', key: 'decode.not-bytes', params: { type: p === null ? 'null' : typeof p } });
    return this.decode(msg, p, send);
  }

  /** Forgets every partial frame (the node is closing). */
  clear(): void {
    this.streams.clear();
  }

  private encode(msg: NodeMessage, send: (out: NodeMessage) => void): KeyedError | undefined {
    let bytes: Buffer;
    try {
      bytes = encodeMsg(msg, this.outgoing);
      if (this.framing !== null) bytes = encodeFrame(this.framing, bytes);
    } catch (e) {
      return this.fail(e instanceof OscOutputError ? e : { code: errorCode(e, 'ERROR'), key: 'convert.encode', params: { detail: (e as Error).message } });
    }
    msg.payload = bytes;
    this.encoded++;
    send(msg);
    return undefined;
  }

  private decode(msg: NodeMessage, bytes: Uint8Array, send: (out: NodeMessage | NodeMessage[][]) => void): KeyedError | undefined {
    const base: NodeMessage = { ...msg };
    const out: NodeMessage[] = [];
    let first: KeyedError | undefined;
    let errors = 0;
    const bad = (e: unknown, key: string, bytesOf: number): void => {
      errors++;
      const code = errorCode(e, 'ERROR');
      first ??= { code, key, params: { code, bytes: bytesOf, detail: e instanceof Error ? e.message : String(e) } };
    };
    let packets: Uint8Array[];
    if (this.framing === null) {
      packets = [bytes];
    } else {
      const key = sessionKey(msg);
      const stream = this.streamFor(key, this.framing);
      stream.errors = [];
      packets = stream.decoder.push(bytes);
      for (const e of stream.errors) bad(e, this.framing === 'slip' ? 'decode.slip' : 'decode.length-prefix', bytes.byteLength);
      // A size prefix that cannot be trusted leaves nothing to resynchronise on: start afresh with the next msg.
      if (stream.decoder.failed) this.streams.delete(key);
    }
    for (const p of packets) {
      try {
        this.toMsgs(decodePacket(p, this.decodeOptions), base, out);
      } catch (e) {
        bad(e, 'decode.packet', p.byteLength);
      }
    }
    this.decoded += out.length;
    if (out.length === 1) send(out[0]);
    else if (out.length > 1) send([out]);
    if (first === undefined) return undefined;
    this.failed += errors - 1;
    return this.fail(first);
  }

  /** The msgs for one decoded packet, each a copy of the input msg (so _session, ip, port... travel on). */
  private toMsgs(packet: OscPacket, base: NodeMessage, out: NodeMessage[]): void {
    const ip = typeof base.ip === 'string' ? base.ip : '';
    const port = typeof base.port === 'number' ? base.port : 0;
    let made: OscInMsg[];
    if (!('packets' in packet)) made = [messageToMsg(packet, ip, port, this.alwaysArray)];
    else if (this.whole) made = [bundleToMsg(packet, ip, port)];
    else made = splitBundle(packet, ip, port, this.alwaysArray);
    for (const m of made) out.push({ ...base, topic: m.topic, payload: m.payload, osc: m.osc });
  }

  private streamFor(key: string, framing: Framing): Stream {
    let s = this.streams.get(key);
    if (s !== undefined) {
      this.streams.delete(key);
    } else {
      const created: Stream = { decoder: null as unknown as StreamDecoder, errors: [] };
      created.decoder = createStreamDecoder(framing, { onError: (err) => created.errors.push(err) });
      s = created;
      if (this.streams.size >= MAX_STREAMS) this.streams.delete(this.streams.keys().next().value as string);
    }
    this.streams.set(key, s);
    return s;
  }

  private fail(e: KeyedError): KeyedError {
    this.failed++;
    this.lastCode = e.code;
    return e;
  }
}
