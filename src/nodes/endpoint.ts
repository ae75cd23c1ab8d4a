// Which endpoint an osc-in or osc-out node uses: an osc-udp config node (the `endpoint` property, as saved flows
// have always held it) or, with `transport` 'tcp', an osc-tcp config node (`tcpEndpoint`). Both hand out an
// endpoint with the same face, so the nodes treat them alike apart from destinations and wording.
import type { RemoteInfo } from 'node:dgram';
import type { PacketInterceptor } from '../transport/intercept';
import { isOscTcpNode, isOscUdpNode } from './red';
import type { NodeAPI, OscTcpNode, OscUdpNode } from './red';

/** The properties of osc-in and osc-out that choose the endpoint. */
export interface EndpointChoice {
  /** 'udp' (also when absent: flows saved before TCP existed) or 'tcp'. */
  transport?: string;
  endpoint?: string;
  tcpEndpoint?: string;
}

/** What the nodes read of an endpoint, UDP or TCP. */
export interface EndpointView {
  readonly state: 'opening' | 'open' | 'failed' | 'closed';
  readonly error: { code: string; message: string; short: string } | undefined;
  readonly label: string;
  readonly maxDatagram: number;
  /** TCP only: the words for a status ("connected to ...", "listening on tcp ... · 2 clients"). */
  statusText?(): string;
  /** TCP client only: not connected, and trying again by itself. */
  readonly retrying?: boolean;
  /** UDP only: datagrams refused by the allow-list, and the last sender refused ("address:port"). */
  readonly rejected?: number;
  readonly lastRejected?: string;
  /** UDP only: datagrams the kernel dropped at the socket (buffer full); undefined where the OS does not tell. */
  readonly kernelDrops?: number;
  /** UDP only: why the receive buffer is smaller than asked, once open. */
  readonly recvBufferWarning?: string;
  /** UDP, connected to osc-out's fixed destination only: nothing listened there at the last send. */
  readonly unreachable?: boolean;
}

export interface EndpointUser {
  onMessage?(data: Buffer, rinfo: RemoteInfo): void;
  onStateChange?(endpoint: EndpointView): void;
  /** TCP only: a stream broke its framing, or a connection was refused. */
  onStreamError?(error: Error & { code: string }, remote: { address: string; port: number } | undefined): void;
  /** UDP only: a counter moved (a sender refused by the allow-list; kernel drops, polled every few seconds). */
  onStats?(endpoint: EndpointView): void;
}

export interface EndpointHandle {
  readonly endpoint: EndpointView;
  send(data: Uint8Array, port: number, host: string, cb: (err: Error | null) => void): void;
  /** A first look at each packet, before onMessage users, that may consume it (osc-request's replies). */
  intercept(fn: PacketInterceptor | undefined): void;
  release(): Promise<void>;
}

export type EndpointConfig = { transport: 'udp'; node: OscUdpNode } | { transport: 'tcp'; node: OscTcpNode };

export function wantsTcp(def: EndpointChoice): boolean {
  return def.transport === 'tcp';
}

/** The config node the node's properties name, or null when none is chosen or it does not exist. */
export function findEndpoint(RED: NodeAPI, def: EndpointChoice): EndpointConfig | null {
  if (wantsTcp(def)) {
    const n = def.tcpEndpoint ? RED.nodes.getNode(def.tcpEndpoint) : null;
    return isOscTcpNode(n) ? { transport: 'tcp', node: n } : null;
  }
  const n = def.endpoint ? RED.nodes.getNode(def.endpoint) : null;
  return isOscUdpNode(n) && !isOscTcpNode(n) ? { transport: 'udp', node: n } : null;
}

export function acquireEndpoint(config: EndpointConfig, user: EndpointUser): EndpointHandle {
  return config.transport === 'tcp' ? config.node.acquire(user) : config.node.acquire(user);
}

/**
 * How a failed endpoint is logged: a TCP client's lost connection is routine (the device is switched off) and
 * retried, worth a warning; a port that cannot be opened is a configuration error.
 */
export function reportFailure(ep: EndpointView, node: { error(m: string): void; warn(m: string): void }): void {
  if (ep.state !== 'failed' || !ep.error) return;
  if (ep.retrying === true) node.warn(ep.error.message);
  else node.error(ep.error.message);
}
