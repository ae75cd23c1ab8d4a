import type { EndpointHandle, EndpointUser, Transport } from '../transport/endpoint';
import type { NodeErrorReport } from './report';
import type { Translate } from './texts';

// The few parts of Node-RED's runtime API our nodes use, typed locally: no @types/node-red exists for 4.x,
// and a narrow interface documents exactly what we depend on.

export interface NodeMessage {
  _msgid?: string;
  topic?: unknown;
  payload?: unknown;
  [key: string]: unknown;
}

// _msgid for the msgs osc-in creates. Left to the runtime, every new msg gets eight random bytes formatted one by
// one, a string of garbage per byte: a noticeable share of a message's whole trip through osc-in, osc-route and
// osc-out. A random prefix and a counter give ids of the same form (16 hex digits), unique within the runtime, for
// far less; the prefix is drawn again whenever the counter wraps.
let msgIdPrefix = '';
let msgIdCount = 0x100000000;

export function nextMsgId(): string {
  if (msgIdCount > 0xffffffff) {
    msgIdPrefix = Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, '0');
    msgIdCount = 0;
  }
  return msgIdPrefix + (msgIdCount++).toString(16).padStart(8, '0');
}

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

/** The properties saved in the flow for a node (its editor `defaults`), plus id/type/name/z. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
}

export type SendFunction = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null> | null) => void;
export type DoneFunction = (err?: Error | NodeErrorReport) => void;

export interface Node {
  readonly id: string;
  readonly type: string;
  name?: string;
  on(event: 'input', listener: (msg: NodeMessage, send: SendFunction, done: DoneFunction) => void): this;
  on(event: 'close', listener: (removed: boolean, done: () => void) => void): this;
  send(msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>): void;
  status(status: NodeStatus): void;
  /** With a msg, the error reaches Catch nodes (msg.error.code is copied from an Error's `code`). */
  error(logMessage: string | Error | NodeErrorReport, msg?: NodeMessage): void;
  warn(logMessage: string | Error): void;
  log(logMessage: string): void;
}

export type NodeConstructor<N extends Node, D extends NodeDef> = (this: N, def: D) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: Node, def: NodeDef): void;
    registerType<N extends Node, D extends NodeDef>(type: string, constructor: NodeConstructor<N, D>): void;
    getNode(id: string): Node | null;
  };
  /** The message catalogue of the node's file (its locales/): keys without the namespace, __params__. */
  _: Translate;
  util: {
    getMessageProperty(msg: NodeMessage, expr: string): unknown;
  };
  /** The editor's admin HTTP app (Express): routes relative to the admin root. */
  httpAdmin: AdminApp;
  auth: {
    /** Middleware refusing a request whose user lacks the permission (only when adminAuth is set). */
    needsPermission(permission: string): AdminHandler;
  };
}

/** The parts of Express's request and response an admin route of ours uses. */
export interface AdminRequest {
  query: Record<string, unknown>;
}
export interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
}
export type AdminHandler = (req: AdminRequest, res: AdminResponse, next: () => void) => void;
export interface AdminApp {
  get(path: string, ...handlers: AdminHandler[]): void;
}

/**
 * What osc-in and osc-out see of an osc-udp or osc-tcp config node: it holds one endpoint, and nodes register
 * with it (the first opens it) and release their handle (the last closes it), as with the core MQTT broker node.
 */
export interface OscEndpointNode extends Node {
  readonly transport: Transport;
  register(user: EndpointUser): EndpointHandle;
}

/** A config node looked up by id may be missing, or (after a bad import) of another type. */
export function isOscEndpointNode(n: Node | null): n is OscEndpointNode {
  const e = n as Partial<OscEndpointNode> | null;
  return e !== null && (e.transport === 'udp' || e.transport === 'tcp') && typeof e.register === 'function';
}
