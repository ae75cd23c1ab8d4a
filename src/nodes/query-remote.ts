// The client half of the osc-query config node: in remote mode it holds a device's address space
// (src/oscquery/remote.ts) for the osc out nodes that type their values from it ("Types: from device"). And the
// editor's way to read a device's address space: GET osc/query/space.
//
// Contract with the osc-query config node (src/nodes/osc-query.ts): when its `mode` is 'remote', its constructor
// calls remoteMode(this, def, RED) after RED.nodes.createNode; `def.remote` is "host:port" (IPv6 as "[::1]:port").
// remoteMode creates the RemoteAddressSpace at deploy, sets `node.remoteSpace` (see RemoteQueryNode), and closes it
// on 'close'. osc out finds the config node by id and reads `remoteSpace` (isRemoteQueryNode).
import { DEFAULT_LIMITS, RemoteAddressSpace, RemoteError, checkTarget, parseHostPort, readAddressSpace } from '../oscquery/remote';
import type { RemoteEntry, RemoteHostInfo, RemoteOptions } from '../oscquery/remote';
import type { Node, NodeAPI, NodeDef } from './red';
import type { Texts } from './texts';

/** The properties remote mode reads from an osc-query config node. */
export interface RemoteQueryDef extends NodeDef {
  /** "host:port" of the device's OSCQuery (HTTP) server. */
  remote?: string;
}

/** An osc-query config node in remote mode, as osc out sees it. */
export interface RemoteQueryNode extends Node {
  remoteSpace?: RemoteAddressSpace;
}

export function isRemoteQueryNode(n: Node | null): n is RemoteQueryNode & { remoteSpace: RemoteAddressSpace } {
  return n !== null && (n as RemoteQueryNode).remoteSpace instanceof RemoteAddressSpace;
}

/**
 * Remote mode of an osc-query config node. A bad "host:port" is reported with node.error and leaves no
 * remoteSpace (osc out then types values as if it had no device). Read failures are logged once per kind
 * (node.warn) and retried by the RemoteAddressSpace.
 */
export function remoteMode(node: RemoteQueryNode, config: RemoteQueryDef, _RED: NodeAPI, options?: RemoteOptions): void {
  let space: RemoteAddressSpace;
  try {
    const { host, port } = parseHostPort(config.remote ?? '');
    space = new RemoteAddressSpace(host, port, options);
  } catch (e) {
    node.error(`OSCQuery device: ${(e as Error).message}`);
    return;
  }
  let lastCode = '';
  space.on('error', (e: RemoteError) => {
    if (e.code === lastCode) return;
    lastCode = e.code;
    node.warn(`OSCQuery device ${config.remote ?? ''}: ${e.message} (${e.code}); retrying`);
  });
  space.on('change', () => {
    if (lastCode !== '') node.log(`OSCQuery device ${config.remote ?? ''}: address space read`);
    lastCode = '';
  });
  node.remoteSpace = space;
  space.start();
  node.on('close', (_removed, done) => {
    space.close();
    node.remoteSpace = undefined;
    done();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// osc out: "Types: from device"

/** osc out's properties for typing values from a device; absent in flows from before (types as usual). */
export interface DeviceTypesConfig {
  /** 'device': plain values take the type tags the device declares; anything else: as usual. */
  typesFrom?: string;
  /** The id of an osc-query config node in remote mode. */
  query?: string;
}

/**
 * The lookup osc out types plain values with, or undefined when the node does not type from a device. The config
 * node is looked up again only when the address space it held was closed (a redeploy of the config node alone).
 * Until the device's address space has been read, and for addresses it does not declare, values are typed as usual.
 */
export function deviceTypes(RED: NodeAPI, node: Node, def: DeviceTypesConfig, texts: Texts): ((address: string) => string | undefined) | undefined {
  if (def.typesFrom !== 'device') return undefined;
  const id = def.query ?? '';
  const find = (): RemoteAddressSpace | undefined => {
    const q = RED.nodes.getNode(id);
    return isRemoteQueryNode(q) ? q.remoteSpace : undefined;
  };
  let space = find();
  if (space === undefined) node.error(texts.t(id === '' ? 'no-query' : 'missing-query', { id }));
  return (address) => {
    if (space === undefined || space.state === 'closed') space = find();
    return space?.typesOf(address);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// GET osc/query/space?host=H&port=P (the editor's tree)

interface AdminRequest {
  query: Record<string, unknown>;
}
interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
}
type AdminHandler = (req: AdminRequest, res: AdminResponse, next?: () => void) => void;

/** The parts of Node-RED's API an admin endpoint uses, typed locally as red.ts does. */
export interface AdminAPI {
  httpAdmin: { get(path: string, ...handlers: AdminHandler[]): void };
  auth: { needsPermission(permission: string): AdminHandler };
}

/** What the editor receives: the device's HOST_INFO (if it answers one) and every node of its tree. */
export interface SpaceAnswer {
  host: string;
  port: number;
  hostInfo?: RemoteHostInfo;
  entries: RemoteEntry[];
}

const STATUS: Record<string, number> = { BAD_TARGET: 400, TIMEOUT: 504 };

/** Reads a device's address space for the editor; errors as { error: { code, message } }. */
export async function spaceAnswer(query: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
  try {
    const { host, port } = checkTarget(query.host, query.port);
    const { hostInfo, entries } = await readAddressSpace(host, port, DEFAULT_LIMITS);
    const body: SpaceAnswer = { host, port, entries: [...entries.values()] };
    if (hostInfo !== undefined) body.hostInfo = hostInfo;
    return { status: 200, body };
  } catch (e) {
    const code = e instanceof RemoteError ? e.code : 'ERROR';
    return { status: STATUS[code] ?? 502, body: { error: { code, message: (e as Error).message } } };
  }
}

const registered = new WeakSet<object>();

/**
 * Adds GET osc/query/space once per runtime (osc-out's module calls it). Only users who may edit flows may use it:
 * it makes the runtime connect where the editor says. It fetches nothing but an OSCQuery tree (`/` and HOST_INFO),
 * returns only the parsed tree (never a body as received), follows no redirects, and is capped in size and time.
 */
export function registerQueryAdmin(red: NodeAPI): void {
  const api = red as NodeAPI & Partial<AdminAPI>;
  if (api.httpAdmin === undefined || api.auth === undefined || registered.has(api.httpAdmin)) return;
  registered.add(api.httpAdmin);
  const RED = api as NodeAPI & AdminAPI;
  RED.httpAdmin.get('/osc/query/space', RED.auth.needsPermission('flows.write'), (req, res) => {
    void spaceAnswer(req.query).then(({ status, body }) => res.status(status).json(body));
  });
}
