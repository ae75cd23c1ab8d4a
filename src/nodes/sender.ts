// What osc-out does with each msg, without Node-RED: find its destination, encode it, send it through the right
// endpoint, and word what went wrong for done() (and so for Catch nodes), counting for the status.
import * as net from 'node:net';
import type { NumberPolicy } from '../osc/codec';
import { EndpointError } from '../transport/endpoint';
import type { EndpointHandle, EndpointUser } from '../transport/endpoint';
import type { UdpEndpointOptions } from '../transport/udp';
import { errorCode, hostPort } from '../util';
import { OscOutputError, encodeMsg } from './convert';
import type { OutgoingOptions } from './convert';
import { Destination } from './destination';
import type { DestinationConfig } from './destination';
import type { EndpointWords } from './endpoint-words';
import type { NodeMessage } from './red';
import { nodeError } from './report';
import type { NodeErrorReport } from './report';
import type { TextParams, Texts } from './texts';

/** osc-out's properties that shape what it sends. */
export interface SendConfig extends DestinationConfig {
  address?: string;
  numbers?: string;
}

/** The endpoint(s) an osc-out sends through. */
export interface Route {
  /** The endpoint the node shows in its status. */
  readonly handle: EndpointHandle;
  /** The endpoint that reaches `host`. */
  forHost(host: string): EndpointHandle;
  release(): Promise<void>;
}

/** An osc-udp or osc-tcp endpoint: one endpoint for every destination. */
export function sharedRoute(handle: EndpointHandle): Route {
  return { handle, forHost: () => handle, release: () => handle.release() };
}

/**
 * osc-out's own UDP socket, when it has no endpoint: on a free port, of the family its Host needs, connected to
 * Host:Port when both are fixed (so a receiver that is gone gets noticed). With no Host, replies may go to IPv4 or
 * IPv6 senders (msg.ip): the socket of the other family opens on first use.
 */
export class OwnSockets implements Route {
  readonly handle: EndpointHandle;
  private readonly family: 'udp4' | 'udp6';
  private other: EndpointHandle | undefined;

  constructor(
    private readonly destination: Destination,
    user: EndpointUser,
    /** Opens a socket of our own (udpEndpointHolder(options).register(user)). */
    private readonly open: (options: UdpEndpointOptions, user: EndpointUser) => EndpointHandle,
  ) {
    const d = destination;
    this.family = net.isIPv6(d.configHost) ? 'udp6' : 'udp4';
    this.handle = open({ ipv: this.family, localPort: 0, ...(d.fixed ? { remoteHost: d.configHost, remotePort: d.configPort } : {}) }, user);
  }

  forHost(host: string): EndpointHandle {
    if (this.destination.configHost !== '' || (net.isIPv6(host) ? 'udp6' : 'udp4') === this.family) return this.handle;
    this.other ??= this.open({ ipv: this.family === 'udp4' ? 'udp6' : 'udp4', localPort: 0 }, {});
    return this.other;
  }

  release(): Promise<void> {
    return Promise.all([this.handle.release(), this.other?.release()]).then(() => undefined);
  }
}

export class Sender {
  sent = 0;
  failed = 0;
  lastCode = '';
  readonly destination: Destination;
  private readonly outgoing: OutgoingOptions;

  constructor(
    config: SendConfig,
    tcp: boolean,
    private readonly texts: Texts,
    private readonly words: EndpointWords,
    /** Something the status shows changed. */
    private readonly changed: () => void,
    /** The type tags a device declares for an address ("Types: from device"), used when msg.types is absent. */
    typesOf?: (address: string) => string | undefined,
  ) {
    this.destination = new Destination(config, tcp);
    const numbers: NumberPolicy = config.numbers === 'float' || config.numbers === 'double' ? config.numbers : 'int';
    this.outgoing = { address: (config.address ?? '').trim(), numbers };
    if (typesOf !== undefined) this.outgoing.typesOf = typesOf;
  }

  /** Sends msg through `route`; `done` is called once, with a report when it was not sent. */
  send(msg: NodeMessage, route: Route, done: (err?: NodeErrorReport) => void): void {
    const d = this.destination;
    const bad = d.resolve(msg);
    if (bad !== undefined) return this.fail(done, bad.code, bad.key, bad.params);
    let bytes: Buffer;
    try {
      bytes = encodeMsg(msg, this.outgoing);
    } catch (e) {
      const k = e as OscOutputError;
      return this.fail(done, k.code, k.key, k.params);
    }
    const host = d.host;
    const port = d.port;
    const via = route.forHost(host);
    const max = via.endpoint.maxPacket;
    if (bytes.length > max) {
      return this.fail(done, 'LIMIT_EXCEEDED', d.tcp ? 'send.too-big-tcp' : 'send.too-big', { size: bytes.length, max });
    }
    via.send(bytes, port, host, (err) => {
      if (err) {
        const detail = err instanceof EndpointError ? this.words.message(err) : err.message;
        const code = errorCode(err, 'ERROR');
        this.fail(done, code, d.tcp ? 'send.failed-tcp' : 'send.failed', { to: hostPort(host, port), detail });
        return;
      }
      this.sent++;
      this.changed();
      done();
    });
  }

  private fail(done: (err?: NodeErrorReport) => void, code: string, key: string, params: TextParams): void {
    this.failed++;
    this.lastCode = code;
    this.changed();
    done(nodeError(code, this.texts.t(key, params)));
  }
}
