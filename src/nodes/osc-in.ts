// osc-in: decodes every datagram arriving on its osc-udp endpoint and sends each OSC message on as a msg.
import type { RemoteInfo } from 'node:dgram';
import { decodePacket } from '../osc/codec';
import type { DecodeOptions, OscPacket } from '../osc/codec';
import { RateLimiter, Throttle } from '../transport/throttle';
import type { UdpEndpoint, UdpEndpointUser } from '../transport/udp';
import { bundleToMsg, messageToMsg, splitBundle } from './convert';
import { isOscUdpNode } from './red';
import type { Node, NodeAPI, NodeDef, NodeMessage } from './red';

interface OscInDef extends NodeDef {
  endpoint?: string;
  payloadArray?: boolean | string;
  bundles?: string;
  lenient?: boolean | string;
}

/** Malformed packets reported per second; the rest are counted and summed up in one warning. */
const ERRORS_PER_SECOND = 10;
const STATUS_INTERVAL_MS = 500;

export = function (RED: NodeAPI): void {
  function OscIn(this: Node, def: OscInDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const config = def.endpoint ? RED.nodes.getNode(def.endpoint) : null;
    if (!isOscUdpNode(config)) {
      node.status({ fill: 'red', shape: 'ring', text: 'no endpoint' });
      node.error('no osc-udp endpoint: choose the local address and port to listen on in the node');
      return;
    }
    const alwaysArray = def.payloadArray === true || def.payloadArray === 'true';
    const whole = def.bundles === 'whole';
    const decodeOptions: DecodeOptions = { lenient: def.lenient === true || def.lenient === 'true' };

    let received = 0;
    let malformed = 0;
    let lastCode = '';
    let endpoint: UdpEndpoint | undefined;

    const updateStatus = (): void => {
      const ep = endpoint;
      if (ep === undefined || ep.state === 'opening') {
        node.status({ fill: 'yellow', shape: 'ring', text: `opening ${ep ? ep.label : ''}`.trim() });
        return;
      }
      if (ep.state === 'failed' || ep.state === 'closed') {
        node.status({ fill: 'red', shape: 'ring', text: ep.error ? ep.error.short : 'closed' });
        return;
      }
      let text = `listening on ${ep.label}`;
      if (received > 0) text += ` · ${received} in`;
      if (malformed > 0) text += ` · ${malformed} bad (${lastCode})`;
      else if (ep.error) text += ` · ${ep.error.short}`;
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

    const user: UdpEndpointUser = {
      onMessage(data, rinfo) {
        let packet: OscPacket;
        try {
          packet = decodePacket(data, decodeOptions);
        } catch (e) {
          reportMalformed(e, data, rinfo);
          return;
        }
        if (!('packets' in packet)) {
          received++;
          node.send(messageToMsg(packet, rinfo.address, rinfo.port, alwaysArray));
        } else if (whole) {
          received++;
          node.send(bundleToMsg(packet, rinfo.address, rinfo.port));
        } else {
          const msgs = splitBundle(packet, rinfo.address, rinfo.port, alwaysArray);
          received += msgs.length;
          // One send of an array of msgs for output 1: delivered in order.
          if (msgs.length > 0) node.send([msgs]);
        }
        status.mark();
      },
      onStateChange(ep) {
        status.now();
        if (ep.state === 'failed' && ep.error) node.error(ep.error.message);
        else if (ep.state === 'open' && ep.error) node.warn(ep.error.message);
      },
    };
    const handle = config.acquire(user);
    endpoint = handle.endpoint;
    updateStatus();

    node.on('close', (_removed, done) => {
      status.stop();
      limiter.stop();
      void handle.release().then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-in', OscIn);
};
