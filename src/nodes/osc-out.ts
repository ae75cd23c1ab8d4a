// osc-out: encodes each msg as an OSC packet and sends it, from its osc-udp endpoint (so replies reach the
// osc-in nodes on that socket), through an osc-tcp connection, or from a socket of its own on a free port.
import * as net from 'node:net';
import { encodePacket } from '../osc/codec';
import type { NumberPolicy } from '../osc/codec';
import { Throttle } from '../transport/throttle';
import { udpEndpointHolder } from '../transport/udp';
import { OscOutputError, msgToPacket } from './convert';
import type { OutgoingOptions } from './convert';
import { findEndpoint, reportFailure, wantsTcp } from './endpoint';
import type { Endpoint, EndpointChoice, EndpointHandle, EndpointUser } from './endpoint';
import type { DoneFunction, Node, NodeAPI, NodeDef } from './red';

interface OscOutDef extends NodeDef, EndpointChoice {
  host?: string;
  port?: number | string;
  address?: string;
  numbers?: string;
}

const STATUS_INTERVAL_MS = 500;

function codeOf(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'ERROR';
}

export = function (RED: NodeAPI): void {
  function OscOut(this: Node, def: OscOutDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const host = (def.host ?? '').trim();
    const portText = String(def.port ?? '').trim();
    const port = portText === '' ? 0 : Number(portText);
    const numbers: NumberPolicy = def.numbers === 'float' || def.numbers === 'double' ? def.numbers : 'int';
    const outgoing: OutgoingOptions = { address: (def.address ?? '').trim(), numbers };
    const encodeOptions = { numbers };

    let sent = 0;
    let failed = 0;
    let lastError = '';
    let endpoint: Endpoint | undefined;

    const updateStatus = (): void => {
      const ep = endpoint;
      if (ep === undefined) return;
      const st = ep.status('send');
      if (st.state === 'opening') {
        node.status({ fill: 'yellow', shape: 'ring', text: st.text });
        return;
      }
      if (st.state === 'failed' || st.state === 'closed') {
        node.status({ fill: 'red', shape: 'ring', text: st.text });
        return;
      }
      if (st.unreachable) {
        node.status({ fill: 'red', shape: 'ring', text: `receiver unreachable${sent > 0 ? ` · ${sent} out` : ''}` });
        return;
      }
      let text = st.text;
      if (sent > 0) text += ` · ${sent} out`;
      if (failed > 0) text += ` · ${failed} failed (${lastError})`;
      node.status({ fill: failed > 0 ? 'yellow' : 'green', shape: 'dot', text });
    };
    const status = new Throttle(STATUS_INTERVAL_MS, updateStatus);

    // A receiver that went away is reported when it goes and when it comes back, as warnings: the refusal arrives
    // after the send it belongs to has completed, so it cannot become that msg's error, and a receiver being
    // restarted is routine on stage.
    let unreachable = false;
    const user: EndpointUser = {
      onStateChange(ep) {
        status.now();
        reportFailure(ep, node);
        const now = ep.status().unreachable;
        if (now && !unreachable) node.warn(ep.error?.message ?? `receiver ${host}:${port} unreachable`);
        else if (!now && unreachable) node.warn(`receiver ${host}:${port} reachable again`);
        unreachable = now;
      },
    };

    let handle: EndpointHandle;
    // With no endpoint and no Host, replies may go to IPv4 or IPv6 senders (msg.ip): the socket of the other
    // family opens on first use.
    let otherFamily: EndpointHandle | undefined;
    let ownFamily: 'udp4' | 'udp6' | undefined;
    // Over TCP the connection is the destination: Host and Port do not apply; a server answers msg.ip/msg.port.
    const tcp = wantsTcp(def);
    if (tcp || def.endpoint) {
      const config = findEndpoint(RED, def);
      if (config === null) {
        node.status({ fill: 'red', shape: 'ring', text: 'endpoint missing' });
        node.error(
          tcp
            ? `no osc-tcp endpoint${def.tcpEndpoint ? ` (${def.tcpEndpoint} does not exist)` : ''}: choose the TCP connection or server to send through in the node`
            : `the osc-udp endpoint ${String(def.endpoint)} this node sends from does not exist`,
        );
        return;
      }
      handle = config.register(user);
    } else {
      // A socket of our own on a free port, of the family the configured host needs.
      ownFamily = net.isIPv6(host) ? 'udp6' : 'udp4';
      // With a fixed destination the socket is connected to it, so a receiver that is gone gets noticed (see udp.ts).
      const fixed = host !== '' && Number.isInteger(port) && port >= 1 && port <= 65535;
      // Held by this node alone: the same kind of endpoint as a config node's, registered with in the same way.
      handle = udpEndpointHolder({ ipv: ownFamily, localPort: 0, ...(fixed ? { remoteHost: host, remotePort: port } : {}) }).register(user);
    }
    endpoint = handle.endpoint;
    const maxDatagram = endpoint.maxPacket;
    updateStatus();

    const fail = (done: DoneFunction, err: Error): void => {
      failed++;
      lastError = codeOf(err);
      status.mark();
      done(err);
    };

    node.on('input', (msg, _send, done) => {
      // Configured values win over msg.ip/msg.port, as in the core UDP out node.
      const toHost = tcp ? (typeof msg.ip === 'string' ? msg.ip : '') : host !== '' ? host : typeof msg.ip === 'string' ? msg.ip : '';
      const toPort = tcp ? (msg.port === undefined || msg.port === null || msg.port === '' ? 0 : Number(msg.port)) : port !== 0 ? port : Number(msg.port);
      if (tcp) {
        // A client ignores them; a server sends to that client or, given neither, to every client.
        if (!Number.isInteger(toPort) || toPort < 0 || toPort > 65535) {
          fail(done, new OscOutputError('NO_DESTINATION', `msg.port ${String(msg.port)} is not a port number (1-65535)`));
          return;
        }
      } else if (toHost === '') {
        fail(done, new OscOutputError('NO_DESTINATION', 'no destination host: set Host in the node, or msg.ip'));
        return;
      } else if (!Number.isInteger(toPort) || toPort < 1 || toPort > 65535) {
        const given = port !== 0 ? `Port ${portText}` : msg.port === undefined ? 'no msg.port' : `msg.port ${String(msg.port)}`;
        fail(done, new OscOutputError('NO_DESTINATION', `no valid destination port (1-65535): ${given}`));
        return;
      }
      let bytes: Buffer;
      try {
        bytes = encodePacket(msgToPacket(msg, outgoing), encodeOptions);
      } catch (e) {
        if (e instanceof OscOutputError) {
          fail(done, e);
          return;
        }
        const err = e as Error & { code?: string; argIndex?: number };
        const detail = err.argIndex !== undefined ? ` (argument ${err.argIndex})` : '';
        const wrapped = new OscOutputError(codeOf(err), `cannot encode the message${detail}: ${err.message}`);
        fail(done, wrapped);
        return;
      }
      if (bytes.length > maxDatagram) {
        fail(
          done,
          new OscOutputError('LIMIT_EXCEEDED', tcp
            ? `the packet is ${bytes.length} bytes, more than the ${maxDatagram} a TCP frame may carry`
            : `the packet is ${bytes.length} bytes, more than the ${maxDatagram} one UDP datagram can carry`),
        );
        return;
      }
      let via = handle;
      if (ownFamily !== undefined && host === '' && (net.isIPv6(toHost) ? 'udp6' : 'udp4') !== ownFamily) {
        otherFamily ??= udpEndpointHolder({ ipv: ownFamily === 'udp4' ? 'udp6' : 'udp4', localPort: 0 }).register({});
        via = otherFamily;
      }
      via.send(bytes, toPort, toHost, (err) => {
        if (err) {
          const code = codeOf(err);
          fail(done, new OscOutputError(code, tcp ? `send over TCP failed: ${err.message}` : `send to ${toHost}:${toPort} failed: ${err.message}`));
          return;
        }
        sent++;
        status.mark();
        done();
      });
    });

    node.on('close', (_removed, done) => {
      status.stop();
      void Promise.all([handle.release(), otherFamily?.release()]).then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-out', OscOut);
};
