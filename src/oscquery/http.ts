// OSCQuery's HTTP half as a pure function: a request's method and target in, a status and a JSON body out. The
// server (server.ts) only moves bytes; everything a client on the LAN can say is judged here, so the fuzzer can
// drive it directly. Nothing here knows Node-RED or sockets.
import { ATTRIBUTES, nodeJson, ownAttributes } from './space';
import type { AddressSpace, Attribute } from './space';

/** HOST_INFO as the proposal names its keys. */
export interface HostInfo {
  NAME?: string;
  EXTENSIONS: Record<string, boolean>;
  OSC_IP?: string;
  OSC_PORT?: number;
  OSC_TRANSPORT?: 'UDP' | 'TCP';
  WS_IP?: string;
  WS_PORT?: number;
}

export interface Reply {
  status: number;
  /** JSON text, or '' (204, HEAD, errors without a body). */
  body: string;
  /** Extra headers (Allow on 405). */
  headers?: Record<string, string>;
}

/** Longest request target accepted (the longest declared address is shorter; see MAX_ADDRESS_LENGTH). */
export const MAX_TARGET_LENGTH = 4096;

/** What EXTENSIONS says: exactly the optional attributes served, and the WebSocket's commands when it is served. */
export function extensions(websocket: boolean): Record<string, boolean> {
  const ext: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(ATTRIBUTES)) {
    if (k !== 'FULL_PATH' && k !== 'CONTENTS' && k !== 'TYPE') ext[k] = v;
  }
  ext.LISTEN = websocket;
  ext.PATH_CHANGED = websocket;
  ext.PATH_ADDED = websocket;
  ext.PATH_REMOVED = websocket;
  ext.PATH_RENAMED = false;
  return ext;
}

function json(status: number, value: unknown): Reply {
  return { status, body: JSON.stringify(value) };
}

function error(status: number, message: string): Reply {
  return json(status, { error: message });
}

/**
 * Answers one request. `hostInfo` is called only for ?HOST_INFO (it depends on the connection: the address the
 * client reached). Statuses as the proposal has them: 404 no such node, 400 an attribute we do not know or do
 * not serve, 204 VALUE of a node whose value may not be read; 405 for anything but GET and HEAD, 414 for a
 * target longer than MAX_TARGET_LENGTH, 400 for a target that is not a path.
 */
export function answer(space: AddressSpace, method: string, target: string, hostInfo: () => HostInfo): Reply {
  if (method !== 'GET' && method !== 'HEAD') {
    return { ...error(405, 'only GET and HEAD'), headers: { Allow: 'GET, HEAD' } };
  }
  if (target.length > MAX_TARGET_LENGTH) return error(414, 'request target too long');
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const query = q >= 0 ? target.slice(q + 1) : '';
  if (rawPath !== '' && rawPath.charCodeAt(0) !== 47) return error(400, 'the request target is not a path');
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return error(400, 'the path is not valid percent-encoding');
  }
  // "/foo/" names what "/foo" names; the root stays "/".
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  if (path === '') path = '/';

  // The query names one attribute; "?VALUE=" and "?VALUE&x" (what some clients send) mean "?VALUE".
  let attr = query;
  const end = attr.search(/[=&]/);
  if (end >= 0) attr = attr.slice(0, end);
  if (attr === 'HOST_INFO') return json(200, hostInfo());

  const node = space.find(path);
  if (node === undefined) return error(404, `no node at ${path}`);
  if (attr === '') return json(200, nodeJson(space, node));
  if (!Object.prototype.hasOwnProperty.call(ATTRIBUTES, attr)) return error(400, `unknown attribute ${attr}`);
  if (!ATTRIBUTES[attr as Attribute]) return error(400, `attribute ${attr} is not supported here`);

  if (attr === 'CONTENTS') {
    if (node.children.size === 0) return json(200, {});
    const full = nodeJson(space, node);
    return json(200, { CONTENTS: full.CONTENTS });
  }
  const own = ownAttributes(space, node);
  if (attr === 'VALUE') {
    const m = node.method;
    // Not readable (a container, or a method declared write-only): 204. Readable with no value yet: {}.
    if (m === undefined || (m.access & 1) === 0 || m.types === undefined) return { status: 204, body: '' };
  }
  return json(200, own[attr] === undefined ? {} : { [attr]: own[attr] });
}
