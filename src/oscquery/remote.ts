// The OSCQuery client: reads a device's address space (Vidvox OSCQuery proposal, third revision) over HTTP and
// keeps it current from the device's WebSocket. No Node-RED here: src/nodes/query-remote.ts wires it in.
//
// The device is on the LAN and may be anything, so every read is capped: GET only `/` and `/?HOST_INFO`, no
// redirects followed, a connect and a total timeout, a size cap counted as bytes arrive, JSON only (content type
// and parse), and a cap on the tree's depth and on its number of nodes. Values and ranges are copied to a small
// depth, so nothing read from a device can later overflow a recursive JSON.stringify.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import type { WebSocket } from 'ws';

export interface ReadLimits {
  /** Bytes of one HTTP body. */
  maxBytes: number;
  /** Milliseconds until the TCP connection is made. */
  connectTimeout: number;
  /** Milliseconds for the whole request, body included. */
  totalTimeout: number;
  /** Levels of CONTENTS below the root. */
  maxDepth: number;
  /** Nodes (containers and methods) in the tree. */
  maxNodes: number;
}

export const DEFAULT_LIMITS: Readonly<ReadLimits> = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  connectTimeout: 3000,
  totalTimeout: 10000,
  maxDepth: 32,
  maxNodes: 20000,
});

/**
 * Why an address space could not be read. TIMEOUT, TOO_LARGE, NOT_JSON, REFUSED (connection refused or reset, host
 * unknown), REDIRECT (a 3xx: not followed), HTTP_STATUS (any other status than 200), BAD_SHAPE (JSON, but not an
 * OSCQuery node), TOO_DEEP, TOO_MANY (nodes), BAD_TARGET (host or port not acceptable).
 */
export type RemoteErrorCode =
  | 'TIMEOUT'
  | 'TOO_LARGE'
  | 'NOT_JSON'
  | 'REFUSED'
  | 'REDIRECT'
  | 'HTTP_STATUS'
  | 'BAD_SHAPE'
  | 'TOO_DEEP'
  | 'TOO_MANY'
  | 'BAD_TARGET';

export class RemoteError extends Error {
  readonly code: RemoteErrorCode;
  constructor(code: RemoteErrorCode, message: string) {
    super(message);
    this.name = 'RemoteError';
    this.code = code;
  }
}

/** One node of a device's address space: a method (it has `type`) or a container. */
export interface RemoteEntry {
  /** The OSC address (the node's place in the tree; FULL_PATH is only checked against it). */
  address: string;
  /** The type-tag string without the comma ("f", "ii", "[ff]"); absent for containers and unknown types. */
  type?: string;
  /** 0 none, 1 read, 2 write, 3 both; absent when the device does not say. */
  access?: number;
  /** RANGE: one {MIN, MAX, VALS} (or null) per type tag. */
  range?: unknown[];
  /** UNIT, per type tag. */
  unit?: unknown;
  description?: string;
  /** VALUE: one JSON value per type tag. */
  value?: unknown[];
  /** Has CONTENTS. */
  container: boolean;
}

/** HOST_INFO, with the keys this client uses. */
export interface RemoteHostInfo {
  name?: string;
  extensions: Record<string, boolean>;
  oscIp?: string;
  oscPort?: number;
  oscTransport?: string;
  wsIp?: string;
  wsPort?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

/** The only requests this client makes: the whole tree, and HOST_INFO. */
export type QueryPath = '/' | '/?HOST_INFO';

/** A host as typed (name, IPv4, IPv6 with or without brackets): nothing that could change the request's URL. */
export function checkTarget(host: unknown, port: unknown): { host: string; port: number } {
  const h = typeof host === 'string' ? host.trim().replace(/^\[(.*)\]$/, '$1') : '';
  const p =
    typeof port === 'number' ? port : typeof port === 'string' && /^\d{1,5}$/.test(port.trim()) ? Number(port) : NaN;
  const name = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$/.test(h) && h.length <= 253;
  if (!(name || net.isIP(h) !== 0))
    throw new RemoteError('BAD_TARGET', `not a host name or IP address: ${JSON.stringify(String(host))}`);
  if (!Number.isInteger(p) || p < 1 || p > 65535)
    throw new RemoteError('BAD_TARGET', `not a port (1 to 65535): ${JSON.stringify(String(port))}`);
  return { host: h, port: p };
}

/** "host:port" or "[v6]:port" (an IPv6 address without brackets is ambiguous: its last group looks like a port). */
export function parseHostPort(text: string): { host: string; port: number } {
  const s = text.trim();
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(s) ?? /^([^:[\]]+):(\d+)$/.exec(s);
  if (m === null) throw new RemoteError('BAD_TARGET', `not host:port: ${JSON.stringify(text)}`);
  return checkTarget(m[1], m[2]);
}

function isJsonType(contentType: string | undefined): boolean {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return t === 'application/json' || t === 'text/json' || /^application\/[a-z0-9.+-]*\+json$/.test(t);
}

function describeTarget(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function notJsonType(what: string, contentType: string | undefined): RemoteError {
  return new RemoteError(
    'NOT_JSON',
    `${what} is not JSON (content type ${JSON.stringify(contentType ?? '').slice(0, 80)})`,
  );
}

/**
 * A response body as JSON: what fetchJson does with the bytes once they are in (and what `npm run fuzz` feeds
 * bytes to). Throws RemoteError only.
 */
export function parseJsonBody(
  body: Uint8Array,
  contentType: string | undefined,
  what: string,
  limits: Pick<ReadLimits, 'maxBytes'> = DEFAULT_LIMITS,
): unknown {
  if (!isJsonType(contentType)) throw notJsonType(what, contentType);
  if (body.byteLength > limits.maxBytes)
    throw new RemoteError('TOO_LARGE', `${what}: more than ${limits.maxBytes} bytes`);
  try {
    return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw new RemoteError('NOT_JSON', `${what}: ${(e as Error).message.slice(0, 120)}`);
  }
}

/** GETs `path` from host:port and parses the JSON, under the limits. */
export function fetchJson(
  host: string,
  port: number,
  path: QueryPath,
  limits: ReadLimits = DEFAULT_LIMITS,
): Promise<unknown> {
  let target: { host: string; port: number };
  try {
    target = checkTarget(host, port);
  } catch (e) {
    return Promise.reject(e as Error);
  }
  const where = describeTarget(target.host, target.port);
  return new Promise((resolve, reject) => {
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (err: Error | null, value?: unknown): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value);
    };
    const req = http.request({
      host: target.host,
      port: target.port,
      path,
      method: 'GET',
      // A fresh connection each time: nothing a device sends can linger in a shared pool.
      agent: false,
      headers: { Accept: 'application/json', Connection: 'close' },
      // A response header block larger than this is refused by Node's parser.
      maxHeaderSize: 16 * 1024,
    });
    timers.push(
      setTimeout(
        () => finish(new RemoteError('TIMEOUT', `no connection to ${where} within ${limits.connectTimeout} ms`)),
        limits.connectTimeout,
      ),
      setTimeout(
        () => finish(new RemoteError('TIMEOUT', `${where}${path} not answered within ${limits.totalTimeout} ms`)),
        limits.totalTimeout,
      ),
    );
    req.on('socket', (socket) => {
      const connected = (): void => clearTimeout(timers[0]);
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    req.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      finish(new RemoteError('REFUSED', `${where}: ${code ?? e.message}`));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.resume();
        return finish(new RemoteError('REDIRECT', `${where}${path} answered ${status} (a redirect, not followed)`));
      }
      if (status !== 200) {
        res.resume();
        return finish(new RemoteError('HTTP_STATUS', `${where}${path} answered ${status}`));
      }
      if (!isJsonType(res.headers['content-type'])) {
        res.resume();
        return finish(notJsonType(`${where}${path}`, res.headers['content-type']));
      }
      const declared = Number(res.headers['content-length']);
      if (declared > limits.maxBytes) {
        return finish(new RemoteError('TOO_LARGE', `${where}${path}: ${declared} bytes, more than ${limits.maxBytes}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes)
          finish(new RemoteError('TOO_LARGE', `${where}${path}: more than ${limits.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (e) => finish(new RemoteError('REFUSED', `${where}: ${e.message}`)));
      res.on('end', () => {
        if (settled) return;
        let value: unknown;
        try {
          value = parseJsonBody(Buffer.concat(chunks, size), res.headers['content-type'], `${where}${path}`, limits);
        } catch (e) {
          return finish(e as RemoteError);
        }
        finish(null, value);
      });
    });
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

const TYPE_TAGS = /^,?([ifsbhtdScrmTFNI[\]]*)$/;
// A part of an OSC address: printable ASCII without the pattern characters and '/', as the OSC spec says.
const ADDRESS_PART = /^[!-~]+$/;
const PATTERN_CHARS = /[ #*,/?[\]{}]/;

/**
 * Longest address kept: siblings share their parents' names, so without it a small tree with long names could make
 * a list of addresses many times its own size.
 */
export const MAX_ADDRESS = 1024;

/** Depth of values and ranges kept (a VALUE of nested OSC arrays); deeper parts become null. */
const VALUE_DEPTH = 8;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A copy of a JSON value to a fixed depth: what is kept of VALUE, RANGE and UNIT. */
function copyJson(v: unknown, depth = 0): unknown {
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string') return v.length > 4096 ? v.slice(0, 4096) : v;
  if (depth >= VALUE_DEPTH) return null;
  if (Array.isArray(v)) return v.slice(0, 256).map((x) => copyJson(x, depth + 1));
  if (isObject(v)) {
    const o: Record<string, unknown> = {};
    let n = 0;
    for (const k of Object.keys(v)) {
      if (n++ >= 64) break;
      o[k] = copyJson(v[k], depth + 1);
    }
    return o;
  }
  return null;
}

/** A balanced type-tag string, comma dropped, or undefined. */
export function typeTags(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 1024) return undefined;
  const m = TYPE_TAGS.exec(v);
  if (m === null) return undefined;
  let nest = 0;
  for (const c of m[1]) {
    if (c === '[') nest++;
    else if (c === ']' && --nest < 0) return undefined;
  }
  return nest === 0 ? m[1] : undefined;
}

function perTag(v: unknown): unknown[] | undefined {
  if (v === undefined) return undefined;
  // "If all of the elements share the same value, it's acceptable to only list a single value instead of an array."
  return Array.isArray(v) ? (copyJson(v) as unknown[]) : [copyJson(v)];
}

function entryOf(node: Record<string, unknown>, address: string, container: boolean): RemoteEntry {
  const e: RemoteEntry = { address, container };
  const type = typeTags(node.TYPE);
  if (type !== undefined) e.type = type;
  if (typeof node.ACCESS === 'number' && Number.isInteger(node.ACCESS) && node.ACCESS >= 0 && node.ACCESS <= 3)
    e.access = node.ACCESS;
  const range = perTag(node.RANGE);
  if (range !== undefined) e.range = range;
  if (node.UNIT !== undefined) e.unit = copyJson(node.UNIT);
  if (typeof node.DESCRIPTION === 'string') e.description = node.DESCRIPTION.slice(0, 4096);
  const value = perTag(node.VALUE);
  if (value !== undefined) e.value = value;
  return e;
}

/**
 * The address space in a device's `/` answer, flat: address -> entry, in tree order. The tree is walked breadth
 * first without recursion; a child whose name is not an OSC address part is skipped (it could not be sent to).
 */
export function parseAddressSpace(
  json: unknown,
  limits: Pick<ReadLimits, 'maxDepth' | 'maxNodes'> = DEFAULT_LIMITS,
): Map<string, RemoteEntry> {
  if (!isObject(json))
    throw new RemoteError(
      'BAD_SHAPE',
      `the address space is not a JSON object but ${Array.isArray(json) ? 'an array' : typeof json}`,
    );
  const out = new Map<string, RemoteEntry>();
  const queue: Array<{ node: Record<string, unknown>; address: string; depth: number }> = [
    { node: json, address: '/', depth: 0 },
  ];
  for (let q = 0; q < queue.length; q++) {
    const { node, address, depth } = queue[q];
    const contents = node.CONTENTS;
    const container = isObject(contents);
    out.set(address, entryOf(node, address, container));
    if (out.size > limits.maxNodes)
      throw new RemoteError('TOO_MANY', `the address space has more than ${limits.maxNodes} nodes`);
    if (!container) continue;
    const names = Object.keys(contents);
    if (names.length === 0) continue;
    if (depth + 1 > limits.maxDepth)
      throw new RemoteError('TOO_DEEP', `the address space is nested deeper than ${limits.maxDepth} levels`);
    for (const name of names) {
      const child = contents[name];
      if (
        !isObject(child) ||
        address.length + 1 + name.length > MAX_ADDRESS ||
        !ADDRESS_PART.test(name) ||
        PATTERN_CHARS.test(name)
      )
        continue;
      if (queue.length > limits.maxNodes)
        throw new RemoteError('TOO_MANY', `the address space has more than ${limits.maxNodes} nodes`);
      queue.push({ node: child, address: address === '/' ? `/${name}` : `${address}/${name}`, depth: depth + 1 });
    }
  }
  return out;
}

export function parseHostInfo(json: unknown): RemoteHostInfo {
  if (!isObject(json)) throw new RemoteError('BAD_SHAPE', 'HOST_INFO is not a JSON object');
  const info: RemoteHostInfo = { extensions: {} };
  if (typeof json.NAME === 'string') info.name = json.NAME.slice(0, 256);
  if (isObject(json.EXTENSIONS)) {
    for (const [k, v] of Object.entries(json.EXTENSIONS).slice(0, 64))
      if (typeof v === 'boolean') info.extensions[k.slice(0, 64)] = v;
  }
  const port = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536 ? v : undefined;
  if (typeof json.OSC_IP === 'string') info.oscIp = json.OSC_IP.slice(0, 256);
  info.oscPort = port(json.OSC_PORT);
  if (typeof json.OSC_TRANSPORT === 'string') info.oscTransport = json.OSC_TRANSPORT.slice(0, 16);
  if (typeof json.WS_IP === 'string') info.wsIp = json.WS_IP.slice(0, 256);
  info.wsPort = port(json.WS_PORT);
  if (info.oscPort === undefined) delete info.oscPort;
  if (info.wsPort === undefined) delete info.wsPort;
  return info;
}

/** HOST_INFO (absent when the device answers it with an error: it is optional to many) and the address space. */
export async function readAddressSpace(
  host: string,
  port: number,
  limits: ReadLimits = DEFAULT_LIMITS,
): Promise<{ hostInfo: RemoteHostInfo | undefined; entries: Map<string, RemoteEntry> }> {
  const entries = parseAddressSpace(await fetchJson(host, port, '/', limits), limits);
  let hostInfo: RemoteHostInfo | undefined;
  try {
    hostInfo = parseHostInfo(await fetchJson(host, port, '/?HOST_INFO', limits));
  } catch (e) {
    // The same caps refuse a hostile HOST_INFO; a device without one still has a usable address space.
    if (e instanceof RemoteError && (e.code === 'HTTP_STATUS' || e.code === 'BAD_SHAPE' || e.code === 'NOT_JSON'))
      hostInfo = undefined;
    else throw e;
  }
  return { hostInfo, entries };
}

// ---------------------------------------------------------------------------------------------------------------
// A device's address space kept current

export type RemoteState = 'idle' | 'loading' | 'ready' | 'error' | 'closed';

export interface RemoteOptions {
  limits?: Partial<ReadLimits>;
  /** Milliseconds before the first retry after a failed read; doubled up to `maxRetryDelay`. */
  retryDelay?: number;
  maxRetryDelay?: number;
  /** Largest WebSocket message accepted from the device. */
  maxMessage?: number;
}

/** Milliseconds from a PATH_* notice to the read it causes. */
const NOTICE_DELAY = 200;

const PATH_COMMANDS = new Set(['PATH_CHANGED', 'PATH_ADDED', 'PATH_REMOVED', 'PATH_RENAMED']);

/**
 * A device's address space, read at start() and again when the device's WebSocket says a path changed (when it
 * serves one: HOST_INFO has WS_PORT or EXTENSIONS.LISTEN). A failed read is retried with a growing delay; the last
 * good tree stays in use meanwhile. Events: 'change' (a new tree was read), 'error' (RemoteError; emitted only
 * when someone listens).
 */
export class RemoteAddressSpace extends EventEmitter {
  state: RemoteState = 'idle';
  hostInfo: RemoteHostInfo | undefined;
  lastError: RemoteError | undefined;
  readonly host: string;
  readonly port: number;
  private tree = new Map<string, RemoteEntry>();
  private readonly limits: ReadLimits;
  private readonly retryDelay: number;
  private readonly maxRetryDelay: number;
  private readonly maxMessage: number;
  private delay: number;
  private reading = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private notice: NodeJS.Timeout | undefined;
  private ws: WebSocket | undefined;
  private opening = false;
  private wsDelay: number;

  constructor(host: string, port: number, options: RemoteOptions = {}) {
    super();
    const t = checkTarget(host, port);
    this.host = t.host;
    this.port = t.port;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.retryDelay = options.retryDelay ?? 2000;
    this.maxRetryDelay = options.maxRetryDelay ?? 60000;
    this.maxMessage = options.maxMessage ?? 64 * 1024;
    this.delay = this.retryDelay;
    this.wsDelay = this.retryDelay;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'loading';
    this.read();
  }

  /** The type-tag string (no comma) the device declares for a method; undefined when unknown. */
  typesOf(address: string): string | undefined {
    return this.tree.get(address)?.type;
  }

  entries(): IterableIterator<RemoteEntry> {
    return this.tree.values();
  }

  get(address: string): RemoteEntry | undefined {
    return this.tree.get(address);
  }

  close(): void {
    this.state = 'closed';
    clearTimeout(this.timer);
    this.timer = undefined;
    clearTimeout(this.notice);
    this.notice = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined) {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
    }
  }

  /**
   * Reads the tree shortly: the notices of one edit (a server may send one per path) make one read, and a device
   * repeating them cannot make more than a few reads a second.
   */
  private soon(): void {
    this.notice ??= setTimeout(() => {
      this.notice = undefined;
      this.read();
    }, NOTICE_DELAY);
  }

  /** Reads the tree now, or once more after the read in flight (changes announced during a read are not lost). */
  private read(): void {
    if (this.state === 'closed') return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    readAddressSpace(this.host, this.port, this.limits).then(
      ({ hostInfo, entries }) => {
        this.reading = false;
        if (this.state === 'closed') return;
        this.tree = entries;
        this.hostInfo = hostInfo;
        this.lastError = undefined;
        this.state = 'ready';
        this.delay = this.retryDelay;
        this.emit('change');
        this.listen();
        if (this.again) {
          this.again = false;
          this.read();
        }
      },
      (e: unknown) => {
        this.reading = false;
        if (this.state === 'closed') return;
        this.again = false;
        const err = e instanceof RemoteError ? e : new RemoteError('REFUSED', String((e as Error)?.message ?? e));
        this.lastError = err;
        this.state = 'error';
        if (this.listenerCount('error') > 0) this.emit('error', err);
        this.timer = setTimeout(() => this.read(), this.delay);
        this.delay = Math.min(this.delay * 2, this.maxRetryDelay);
      },
    );
  }

  /**
   * Opens the device's WebSocket, if it serves one, to hear of changes. Only the device's own host is contacted:
   * WS_IP naming another machine is not followed.
   */
  private listen(): void {
    const info = this.hostInfo;
    if (this.ws !== undefined || this.opening || this.state === 'closed' || info === undefined) return;
    if (info.wsPort === undefined && info.extensions.LISTEN !== true) return;
    // ws is loaded when a device first serves a WebSocket, not with every osc out.
    this.opening = true;
    import('ws').then(
      ({ WebSocket: Client }) => {
        this.opening = false;
        if (this.ws === undefined && this.state !== 'closed') this.connect(Client, info.wsPort ?? this.port);
      },
      () => {
        this.opening = false;
      },
    );
  }

  private connect(Client: typeof WebSocket, port: number): void {
    const ws = new Client(`ws://${describeTarget(this.host, port)}/`, {
      maxPayload: this.maxMessage,
      handshakeTimeout: this.limits.connectTimeout,
      followRedirects: false,
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('open', () => {
      this.wsDelay = this.retryDelay;
    });
    ws.on('message', (data, isBinary) => {
      // Binary frames are OSC values streamed to listeners; this client listens to none.
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (isObject(msg) && typeof msg.COMMAND === 'string' && PATH_COMMANDS.has(msg.COMMAND)) this.soon();
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws !== ws || this.state === 'closed') return;
      this.ws = undefined;
      // Changes made while disconnected were not heard: read again once reconnected.
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.read();
      }, this.wsDelay);
      this.wsDelay = Math.min(this.wsDelay * 2, this.maxRetryDelay);
    });
  }
}
