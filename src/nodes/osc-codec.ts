// osc-codec: OSC without a socket. Bytes in msg.payload become the msgs osc-in would emit; any other msg becomes
// the bytes osc-out would send. For flows whose transport is a core node (TCP, serial, WebSocket, MQTT, UDP).
import { decodePacket, encodePacket } from '../osc/codec';
import type { DecodeOptions, NumberPolicy, OscPacket } from '../osc/codec';
import { createStreamDecoder, encodeFrame } from '../osc/framing';
import type { Framing, StreamDecoder } from '../osc/framing';
import type { OscError } from '../osc/errors';
import { Throttle } from '../transport/throttle';
import { OscOutputError, bundleToMsg, messageToMsg, msgToPacket, splitBundle } from './convert';
import type { OscInMsg, OutgoingOptions } from './convert';
import type { DoneFunction, Node, NodeAPI, NodeDef, NodeMessage, SendFunction } from './red';

interface OscCodecDef extends NodeDef {
  action?: string;
  framing?: string;
  address?: string;
  numbers?: string;
  payloadArray?: boolean | string;
  bundles?: string;
  lenient?: boolean | string;
}

const STATUS_INTERVAL_MS = 500;
/**
 * Streams decoded at once, one per msg._session (the core TCP and WebSocket nodes tag each connection's msgs
 * with it). Each holds at most one partial frame; the least recently used is forgotten beyond this.
 */
const MAX_STREAMS = 64;

/** One stream's decoder, and the frame errors its last push reported. */
interface Stream {
  decoder: StreamDecoder;
  errors: OscError[];
}

function codeOf(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'ERROR';
}

function withCode(message: string, code: string): Error & { code: string } {
  const err = new Error(message) as Error & { code: string };
  err.code = code;
  return err;
}

function sessionKey(msg: NodeMessage): string {
  const s = msg._session as { id?: unknown } | undefined;
  return s !== null && typeof s === 'object' && (typeof s.id === 'string' || typeof s.id === 'number') ? String(s.id) : '';
}

export = function (RED: NodeAPI): void {
  function OscCodec(this: Node, def: OscCodecDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const action = def.action === 'decode' || def.action === 'encode' ? def.action : 'auto';
    const framing: Framing | null = def.framing === 'slip' || def.framing === 'length-prefix' ? def.framing : null;
    const numbers: NumberPolicy = def.numbers === 'float' || def.numbers === 'double' ? def.numbers : 'int';
    const outgoing: OutgoingOptions = { address: (def.address ?? '').trim(), numbers };
    const encodeOptions = { numbers };
    const alwaysArray = def.payloadArray === true || def.payloadArray === 'true';
    const whole = def.bundles === 'whole';
    const decodeOptions: DecodeOptions = { lenient: def.lenient === true || def.lenient === 'true' };

    let decoded = 0;
    let encoded = 0;
    let failed = 0;
    let lastCode = '';
    const status = new Throttle(STATUS_INTERVAL_MS, () => {
      const parts: string[] = [];
      if (decoded > 0) parts.push(`${decoded} decoded`);
      if (encoded > 0) parts.push(`${encoded} encoded`);
      if (failed > 0) parts.push(`${failed} failed (${lastCode})`);
      node.status({ fill: failed > 0 ? 'yellow' : 'green', shape: 'dot', text: parts.join(' · ') });
    });

    // Map order is insertion order: re-inserting on use keeps the least recently used first.
    const streams = new Map<string, Stream>();
    const streamFor = (key: string, f: Framing): Stream => {
      let s = streams.get(key);
      if (s !== undefined) {
        streams.delete(key);
      } else {
        const created: Stream = { decoder: null as unknown as StreamDecoder, errors: [] };
        created.decoder = createStreamDecoder(f, { onError: (err) => created.errors.push(err) });
        s = created;
        if (streams.size >= MAX_STREAMS) streams.delete(streams.keys().next().value as string);
      }
      streams.set(key, s);
      return s;
    };

    const fail = (done: DoneFunction, err: Error): void => {
      failed++;
      lastCode = codeOf(err);
      status.mark();
      done(err);
    };

    /** The msgs for one decoded packet, each a copy of the input msg (so _session, ip, port... travel on). */
    const toMsgs = (packet: OscPacket, base: NodeMessage, out: NodeMessage[]): void => {
      const ip = typeof base.ip === 'string' ? base.ip : '';
      const port = typeof base.port === 'number' ? base.port : 0;
      let made: OscInMsg[];
      if (!('packets' in packet)) made = [messageToMsg(packet, ip, port, alwaysArray)];
      else if (whole) made = [bundleToMsg(packet, ip, port)];
      else made = splitBundle(packet, ip, port, alwaysArray);
      for (const m of made) out.push({ ...base, topic: m.topic, payload: m.payload, osc: m.osc });
    };

    const decode = (msg: NodeMessage, bytes: Uint8Array, send: SendFunction, done: DoneFunction): void => {
      const base: NodeMessage = { ...msg };
      const out: NodeMessage[] = [];
      let firstError: Error | undefined;
      let errors = 0;
      const bad = (e: unknown, what: string): void => {
        errors++;
        if (firstError === undefined) {
          const detail = e instanceof Error ? e.message : String(e);
          firstError = withCode(`${what}: ${codeOf(e)}: ${detail}`, codeOf(e));
        }
      };
      let packets: Uint8Array[];
      if (framing === null) {
        packets = [bytes];
      } else {
        const key = sessionKey(msg);
        const stream = streamFor(key, framing);
        stream.errors = [];
        packets = stream.decoder.push(bytes);
        for (const e of stream.errors) bad(e, `malformed ${framing === 'slip' ? 'SLIP' : 'size-prefixed'} stream`);
        // A size prefix that cannot be trusted leaves nothing to resynchronise on: start afresh with the next msg.
        if (stream.decoder.failed) streams.delete(key);
      }
      for (const p of packets) {
        try {
          toMsgs(decodePacket(p, decodeOptions), base, out);
        } catch (e) {
          bad(e, `malformed OSC packet (${p.byteLength} bytes)`);
        }
      }
      decoded += out.length;
      if (out.length === 1) send(out[0]);
      else if (out.length > 1) send([out]);
      if (firstError !== undefined) {
        failed += errors - 1;
        fail(done, firstError);
        return;
      }
      status.mark();
      done();
    };

    const encode = (msg: NodeMessage, send: SendFunction, done: DoneFunction): void => {
      let bytes: Buffer;
      try {
        bytes = encodePacket(msgToPacket(msg, outgoing), encodeOptions);
        if (framing !== null) bytes = encodeFrame(framing, bytes);
      } catch (e) {
        if (e instanceof OscOutputError) {
          fail(done, e);
          return;
        }
        const err = e as Error & { argIndex?: number };
        const detail = err.argIndex !== undefined ? ` (argument ${err.argIndex})` : '';
        fail(done, new OscOutputError(codeOf(err), `cannot encode the message${detail}: ${err.message}`));
        return;
      }
      msg.payload = bytes;
      encoded++;
      status.mark();
      send(msg);
      done();
    };

    node.on('input', (msg, send, done) => {
      const p = msg.payload;
      const isBytes = p instanceof Uint8Array;
      if (action === 'decode' || (action === 'auto' && isBytes)) {
        if (!isBytes) {
          fail(done, withCode(`to decode, msg.payload must be a Buffer of OSC bytes, not ${p === null ? 'null' : typeof p}`, 'BAD_INPUT'));
          return;
        }
        decode(msg, p, send, done);
      } else {
        encode(msg, send, done);
      }
    });

    node.on('close', (_removed, done) => {
      status.stop();
      streams.clear();
      node.status({});
      done();
    });
  }
  RED.nodes.registerType('osc-codec', OscCodec);
};
