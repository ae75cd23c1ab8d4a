// Which endpoint an osc-in or osc-out node uses: an osc-udp config node (the `endpoint` property, as saved flows
// have always held it) or, with `transport` 'tcp', an osc-tcp config node (`tcpEndpoint`). Both hold an Endpoint
// (src/transport/endpoint.ts) that nodes register with, so the nodes treat them alike.
import type { Endpoint, Transport } from '../transport/endpoint';
import { isOscEndpointNode } from './red';
import type { NodeAPI, OscEndpointNode } from './red';

export type {
  Endpoint,
  EndpointError,
  EndpointHandle,
  EndpointRole,
  EndpointStatus,
  EndpointUser,
} from '../transport/endpoint';

/** The properties of osc-in and osc-out that choose the endpoint. */
export interface EndpointChoice {
  /** 'udp' (also when absent: flows saved before TCP existed) or 'tcp'. */
  transport?: string;
  endpoint?: string;
  tcpEndpoint?: string;
}

/** The transport the node's properties choose. */
export function chosenTransport(def: EndpointChoice): Transport {
  return def.transport === 'tcp' ? 'tcp' : 'udp';
}

export function wantsTcp(def: EndpointChoice): boolean {
  return chosenTransport(def) === 'tcp';
}

/** The config node the node's properties name, or null when none is chosen, it does not exist, or is of the other transport. */
export function findEndpoint(RED: NodeAPI, def: EndpointChoice): OscEndpointNode | null {
  const transport = chosenTransport(def);
  const id = transport === 'tcp' ? def.tcpEndpoint : def.endpoint;
  const n = id ? RED.nodes.getNode(id) : null;
  return isOscEndpointNode(n) && n.transport === transport ? n : null;
}

/**
 * How a failed endpoint is logged: a lost connection being retried (a device switched off) is routine, worth a
 * warning; a port that cannot be opened is a configuration error.
 */
export function reportFailure(ep: Endpoint, node: { error(m: string): void; warn(m: string): void }): void {
  if (ep.state !== 'failed' || !ep.error) return;
  if (ep.status().retrying) node.warn(ep.error.message);
  else node.error(ep.error.message);
}
