// osc-in: decodes every packet arriving on its endpoint (osc-udp, or osc-tcp) and sends each OSC message on as a
// msg; optionally holding bundles until their timetags are due.
import type { RemoteInfo } from 'node:dgram';
import { decodePacket } from '../osc/codec';
import type { DecodeOptions, OscBundle, OscMessage, OscPacket, Timetag } from '../osc/codec';
import { BundleScheduler, DEFAULT_MAX_QUEUE } from '../osc/scheduler';
import type { DueInfo } from '../osc/scheduler';
import { RateLimiter, Throttle } from '../transport/throttle';
import { bundleToMsg, messageToMsg, splitBundle } from './convert';
import type { OscInMsg } from './convert';
import { findEndpoint, reportFailure, wantsTcp } from './endpoint';
import type { Endpoint, EndpointChoice, EndpointUser } from './endpoint';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './red';
import { nextMsgId } from './red';

interface OscInDef extends NodeDef, EndpointChoice {
  payloadArray?: boolean | string;
  bundles?: string;
  lenient?: boolean | string;
  /** Hold bundles until their timetags are due. */
  schedule?: boolean | string;
  /** Most bundles waiting at once. */
  queueSize?: number | string;
  /** How far ahead a bundle may be, in seconds. */
  horizon?: number | string;
  late?: string;
}

const DEFAULT_HORIZON_S = 3600;

/** Where a scheduled message came from, and the timetag of the bundle that held it (as split bundles give it). */
interface Origin {
  address: string;
  port: number;
  timetag: Timetag;
}

/** Malformed packets reported per second; the rest are counted and summed up in one warning. */
const ERRORS_PER_SECOND = 10;
const STATUS_INTERVAL_MS = 500;

export = function (RED: NodeAPI): void {
  function OscIn(this: Node, def: OscInDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = findEndpoint(RED, def);
    if (config === null) {
      node.status({ fill: 'red', shape: 'ring', text: 'no endpoint' });
      node.error(
        wantsTcp(def)
          ? 'no osc-tcp endpoint: choose the TCP connection or server to receive from in the node'
          : 'no osc-udp endpoint: choose the local address and port to listen on in the node',
      );
      return;
    }
    const alwaysArray = def.payloadArray === true || def.payloadArray === 'true';
    const whole = def.bundles === 'whole';
    const decodeOptions: DecodeOptions = { lenient: def.lenient === true || def.lenient === 'true' };
    let scheduleBundle: ((b: OscBundle, data: Buffer, rinfo: RemoteInfo) => void) | undefined;
    let stopScheduler: (() => void) | undefined;

    let received = 0;
    let malformed = 0;
    let lastCode = '';
    let endpoint: Endpoint | undefined;
    let scheduler: BundleScheduler | undefined;

    const updateStatus = (): void => {
      const ep = endpoint;
      if (ep === undefined) {
        node.status({ fill: 'yellow', shape: 'ring', text: 'opening' });
        return;
      }
      const st = ep.status('receive');
      if (st.state === 'opening') {
        node.status({ fill: 'yellow', shape: 'ring', text: st.text });
        return;
      }
      if (st.state === 'failed' || st.state === 'closed') {
        node.status({ fill: 'red', shape: 'ring', text: st.text });
        return;
      }
      let text = st.text;
      if (received > 0) text += ` · ${received} in`;
      if (scheduler !== undefined) {
        const st = scheduler.stats();
        if (st.waiting > 0) {
          const next = st.nextDue === null ? 0 : Math.max(0, st.nextDue - Date.now()) / 1000;
          text += ` · ${st.waiting} waiting (next in ${next < 10 ? next.toFixed(1) : Math.round(next)} s)`;
        }
        if (st.dropped > 0) text += ` · ${st.dropped} late dropped`;
        else if (st.late > 0) text += ` · ${st.late} late`;
      }
      if (malformed > 0) text += ` · ${malformed} bad (${lastCode})`;
      else if (ep.error) text += ` · ${ep.error.short}`;
      // Counted at the endpoint, so every osc in on it shows the same numbers.
      if (st.counters.rejected) text += ` · ${st.counters.rejected} not allowed`;
      if (st.counters.kernelDrops) text += ` · ${st.counters.kernelDrops} dropped by OS`;
      node.status({ fill: 'green', shape: 'dot', text });
    };
    const status = new Throttle(STATUS_INTERVAL_MS, updateStatus);
    const limiter = new RateLimiter(ERRORS_PER_SECOND, 1000, (n) => {
      node.warn(`${n} more malformed OSC packet${n === 1 ? '' : 's'} in the last second not reported one by one`);
    });

    const reportMalformed = (e: unknown, data: Buffer, rinfo: RemoteInfo): void => {
      malformed++;
      const code = (e as { code?: unknown }).code;
      lastCode = typeof code === 'string' ? code : 'ERROR';
      status.mark();
      if (!limiter.allow()) return;
      const err = new Error(
        `malformed OSC packet from ${rinfo.address}:${rinfo.port} (${data.length} bytes): ${lastCode}: ${(e as Error).message}`,
      ) as Error & { code: string };
      err.code = lastCode;
      // The msg lets a Catch node see the raw bytes and the sender; node.error copies err.code to msg.error.code.
      const msg: NodeMessage = { payload: data, ip: rinfo.address, port: rinfo.port };
      node.error(err, msg);
    };

    /** A bundle the scheduler refused (queue full, beyond the horizon): reported like a malformed packet. */
    const reportRefused = (e: unknown, data: Buffer, rinfo: RemoteInfo): void => {
      malformed++;
      const code = (e as { code?: unknown }).code;
      lastCode = typeof code === 'string' ? code : 'ERROR';
      status.mark();
      if (!limiter.allow()) return;
      const err = new Error(`bundle from ${rinfo.address}:${rinfo.port} not scheduled: ${(e as Error).message}`) as Error & { code: string };
      err.code = lastCode;
      node.error(err, { payload: data, ip: rinfo.address, port: rinfo.port });
    };

    if (def.schedule === true || def.schedule === 'true') {
      const queueSize = Number(def.queueSize === undefined || def.queueSize === '' ? DEFAULT_MAX_QUEUE : def.queueSize);
      const horizon = Number(def.horizon === undefined || def.horizon === '' ? DEFAULT_HORIZON_S : def.horizon);
      const bad: string[] = [];
      if (!Number.isInteger(queueSize) || queueSize < 1) bad.push(`queue size ${String(def.queueSize)}`);
      if (!Number.isFinite(horizon) || horizon <= 0) bad.push(`horizon ${String(def.horizon)}`);
      if (bad.length > 0) node.warn(`invalid ${bad.join(' and ')}: using the default (${DEFAULT_MAX_QUEUE} bundles, ${DEFAULT_HORIZON_S} s)`);
      const origins = new WeakMap<OscMessage, Origin>();
      const lateLimiter = new RateLimiter(ERRORS_PER_SECOND, 1000, (n) => {
        node.warn(`${n} more late bundle${n === 1 ? '' : 's'} dropped in the last second`);
      });
      const emit = (messages: OscMessage[], info: DueInfo): void => {
        if (messages.length === 0) return;
        let out: OscInMsg[];
        if (whole) {
          const o = origins.get(messages[0]);
          const b: OscBundle = { timetag: info.timetag, packets: messages };
          out = [bundleToMsg(b, o?.address ?? '', o?.port ?? 0)];
        } else {
          out = messages.map((m) => {
            const o = origins.get(m);
            return messageToMsg(m, o?.address ?? '', o?.port ?? 0, alwaysArray, o?.timetag ?? info.timetag);
          });
        }
        received += out.length;
        // One send of an array for output 1: the group's messages go on in order, with nothing in between.
        node.send([out]);
        status.mark();
      };
      scheduler = new BundleScheduler({
        maxQueue: bad.some((b) => b.startsWith('queue')) ? DEFAULT_MAX_QUEUE : queueSize,
        maxHorizonMs: (bad.some((b) => b.startsWith('horizon')) ? DEFAULT_HORIZON_S : horizon) * 1000,
        latePolicy: def.late === 'drop' ? 'drop' : 'emit',
        onDue: emit,
        onDrop(messages, info) {
          status.mark();
          if (!lateLimiter.allow()) return;
          const o = origins.get(messages[0]);
          const from = o ? ` from ${o.address}:${o.port}` : '';
          node.warn(`late bundle${from} dropped: ${messages.length} message${messages.length === 1 ? '' : 's'} due ${info.lateBy} ms ago`);
        },
        onError(e) {
          node.error(e instanceof Error ? e : String(e));
        },
      });
      const mark = (b: OscBundle, rinfo: RemoteInfo): void => {
        for (const p of b.packets) {
          if ('packets' in p) mark(p, rinfo);
          else origins.set(p, { address: rinfo.address, port: rinfo.port, timetag: b.timetag });
        }
      };
      const s = scheduler;
      scheduleBundle = (b, data, rinfo) => {
        mark(b, rinfo);
        const waited = s.stats().waiting;
        try {
          s.schedule(b);
        } catch (e) {
          reportRefused(e, data, rinfo);
          return;
        }
        // The first bundle to wait shows at once (it may be due before a throttled status would appear).
        if (waited === 0 && s.stats().waiting > 0) status.now();
        else status.mark();
      };
      stopScheduler = () => {
        lateLimiter.stop();
        const n = s.close();
        if (n > 0) node.log(`${n} scheduled bundle${n === 1 ? '' : 's'} discarded on close`);
      };
    }

    const sendOne = (msg: OscInMsg): void => {
      msg._msgid = nextMsgId();
      node.send(msg);
    };

    const user: EndpointUser = {
      onMessage(data, rinfo) {
        let packet: OscPacket;
        try {
          packet = decodePacket(data, decodeOptions);
        } catch (e) {
          reportMalformed(e, data, rinfo);
          return;
        }
        if ('packets' in packet && scheduleBundle !== undefined) {
          scheduleBundle(packet, data, rinfo);
          return;
        }
        if (!('packets' in packet)) {
          received++;
          sendOne(messageToMsg(packet, rinfo.address, rinfo.port, alwaysArray));
        } else if (whole) {
          received++;
          sendOne(bundleToMsg(packet, rinfo.address, rinfo.port));
        } else {
          const msgs = splitBundle(packet, rinfo.address, rinfo.port, alwaysArray);
          received += msgs.length;
          // One send per msg, in order, back to back: a send of an array would make Node-RED deep-clone every
          // msg after the first, a fifth of the CPU of a bundle. (Scheduled bundles keep one send, as a group.)
          for (let k = 0; k < msgs.length; k++) sendOne(msgs[k]);
        }
        status.mark();
      },
      onStateChange(ep) {
        status.now();
        if (ep.state === 'failed') reportFailure(ep, node);
        else if (ep.state === 'open' && ep.error) node.warn(ep.error.message);
      },
      onStats() {
        status.mark();
      },
      onWarning(w) {
        node.warn(w.message);
      },
      onStreamError(e, remote) {
        malformed++;
        lastCode = e.code;
        status.mark();
        if (!limiter.allow()) return;
        const from = remote ? ` from ${remote.address}:${remote.port}` : '';
        const err = new Error(`TCP stream${from}: ${e.code}: ${e.message}`) as Error & { code: string };
        err.code = e.code;
        node.error(err, remote ? { ip: remote.address, port: remote.port } : {});
      },
    };
    const handle = config.register(user);
    endpoint = handle.endpoint;
    updateStatus();

    node.on('close', (_removed, done) => {
      status.stop();
      limiter.stop();
      stopScheduler?.();
      void handle.release().then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-in', OscIn);
};
