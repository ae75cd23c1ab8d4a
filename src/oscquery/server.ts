// The OSCQuery server of one osc-query node: its own HTTP/1.1 server (OSCQuery wants the address space at "/",
// which Node-RED's editor holds), the WebSocket on the same port, and the values of declared addresses kept from
// the packets that pass the endpoint. Every request is answered by http.ts, every command read by commands.ts;
// this file moves bytes and holds the caps. Nothing here knows Node-RED.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { AllowList } from '../transport/allowlist';
import type { Peer } from '../transport/endpoint';
import { decodePacket } from '../osc/codec';
import { hostPort } from '../util';
import { MAX_COMMAND_LENGTH, parseCommand, serverCommand } from './commands';
import { answer, extensions, MAX_TARGET_LENGTH, type HostInfo } from './http';
import { declaredMessages } from './packets';
import { argJson, diffSpaces, type AddressSpace, type Method, type SpaceChanges } from './space';

/** What the server knows of the OSC side it describes: the endpoint's port, and a way to deliver OSC into it. */
export interface OscSide {
  readonly transport: 'UDP' | 'TCP';
  /** The bound address and port, once the endpoint is open. */
  bound(): { address: string; port: number } | undefined;
  /** A packet from a WebSocket client, delivered as if it had arrived on the endpoint. */
  deliver(data: Buffer, peer: Peer): void;
}

export interface OscQueryServerOptions {
  /** HTTP (and WebSocket) port; 0: any free one. */
  port: number;
  /** '' every interface; an address of this machine otherwise (the loopback is then served too). */
  localAddress: string;
  allow: AllowList;
  /** Serve the WebSocket (LISTEN, PATH_*, OSC both ways); HOST_INFO names WS_* only when it is served. */
  websocket: boolean;
  /** HOST_INFO's NAME. */
  name: string;
  limits?: Partial<OscQueryLimits>;
}

export interface OscQueryLimits {
  /** TCP connections at once, HTTP and WebSocket together, per listening address. */
  maxConnections: number;
  /** WebSocket clients at once. */
  maxWebSockets: number;
  /** Addresses one WebSocket client may LISTEN to. */
  maxListens: number;
  /** Largest WebSocket message (an OSC packet or a command), bytes. */
  maxPayload: number;
  /** Bytes a slow WebSocket client may have queued before values to it are dropped. */
  maxBuffered: number;
  /** Request headers, bytes. */
  maxHeaderSize: number;
  /** Time to receive a request's headers, and the whole request, ms (slowloris). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_LIMITS: OscQueryLimits = Object.freeze({
  maxConnections: 64,
  maxWebSockets: 32,
  maxListens: 1024,
  maxPayload: 65536,
  maxBuffered: 1 << 20,
  maxHeaderSize: 8192,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10000,
  keepAliveTimeoutMs: 5000,
});

/** The counters a status or a test reads. */
export interface OscQueryCounters {
  requests: number;
  refused: number;
  webSockets: number;
  /** Values not streamed to a client whose queue was full. */
  dropped: number;
  /** OSC packets received on WebSockets and delivered to the endpoint. */
  delivered: number;
}

interface Client {
  ws: WebSocket;
  peer: Peer;
  listens: Set<string>;
}

function isWildcard(a: string): boolean {
  return a === '' || a === '0.0.0.0' || a === '::';
}

function isLoopback(a: string): boolean {
  return a === '::1' || a.startsWith('127.') || a === 'localhost';
}

function plainAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

export class OscQueryServer {
  private space: AddressSpace;
  private osc: OscSide | undefined;
  private readonly options: OscQueryServerOptions;
  private readonly limits: OscQueryLimits;
  private readonly servers: http.Server[] = [];
  private readonly wss: WebSocketServer | undefined;
  private readonly clients = new Set<Client>();
  // Who listens to each declared address: looked up only for a message on a declared address.
  private readonly listeners = new Map<string, Set<Client>>();
  private boundPort = 0;
  private closed: Promise<void> | undefined;
  readonly counters: OscQueryCounters = { requests: 0, refused: 0, webSockets: 0, dropped: 0, delivered: 0 };
  /** Why the loopback could not be served beside a specific address (the port taken there), once listening. */
  loopbackWarning: string | undefined;

  constructor(options: OscQueryServerOptions, space: AddressSpace) {
    this.options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.space = space;
    if (options.websocket) {
      this.wss = new WebSocketServer({
        noServer: true,
        maxPayload: this.limits.maxPayload,
        perMessageDeflate: false,
        clientTracking: false,
      });
    }
  }

  get port(): number {
    return this.boundPort;
  }

  /** "http://address:port" of the main listener, once listening. */
  get url(): string {
    const a = this.servers[0]?.address() as AddressInfo | null | undefined;
    const host = a ? (isWildcard(a.address) ? '127.0.0.1' : a.address) : this.options.localAddress || '127.0.0.1';
    return `http://${hostPort(host, this.boundPort)}`;
  }

  get addressSpace(): AddressSpace {
    return this.space;
  }

  /** Starts listening; rejects with the system's error (code EADDRINUSE, EACCES...) when the port cannot be had. */
  async listen(): Promise<void> {
    const { localAddress } = this.options;
    const main = this.createServer();
    await listenOn(main, this.options.port, isWildcard(localAddress) ? undefined : localAddress);
    this.boundPort = (main.address() as AddressInfo).port;
    // VRChat (and other tools on the same machine) look for OSCQuery services on the loopback only.
    if (!isWildcard(localAddress) && !isLoopback(localAddress)) {
      const lo = this.createServer();
      try {
        await listenOn(lo, this.boundPort, localAddress.includes(':') ? '::1' : '127.0.0.1');
      } catch (e) {
        this.loopbackWarning = `cannot also serve the loopback on port ${this.boundPort}: ${(e as Error).message}`;
      }
    }
  }

  private createServer(): http.Server {
    const l = this.limits;
    const server = http.createServer({
      maxHeaderSize: l.maxHeaderSize,
      headersTimeout: l.headersTimeoutMs,
      requestTimeout: l.requestTimeoutMs,
      keepAliveTimeout: l.keepAliveTimeoutMs,
      // How often the two timeouts above are checked (Node's default, 30 s, lets a slowloris sit that long).
      connectionsCheckingInterval: Math.min(1000, l.headersTimeoutMs),
    });
    server.maxConnections = l.maxConnections;
    server.maxRequestsPerSocket = 1000;
    server.on('connection', (socket: Socket) => {
      if (!this.options.allow.allows(plainAddress(socket.remoteAddress))) {
        this.counters.refused++;
        socket.destroy();
      }
    });
    server.on('request', (req, res) => this.request(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => this.upgrade(req, socket, head));
    server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      // Malformed requests, oversized headers, timeouts: answered (when the socket still takes it) and closed.
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    });
    server.on('error', () => {
      // After listening, errors arrive per connection (clientError); nothing here may reach the runtime.
    });
    this.servers.push(server);
    return server;
  }

  private request(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.counters.requests++;
    const method = req.method ?? '';
    // A body is never expected: refuse it rather than read it.
    const hasBody =
      (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
      req.headers['transfer-encoding'] !== undefined;
    const reply = hasBody
      ? { status: 413, body: '', headers: { Connection: 'close' } as Record<string, string> }
      : answer(this.space, method, req.url ?? '/', () => this.hostInfo(req.socket));
    const headers: Record<string, string | number> = { ...reply.headers };
    if (reply.body !== '') {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(reply.body);
    } else if (reply.status !== 204) {
      headers['Content-Length'] = 0;
    }
    if (hasBody) res.shouldKeepAlive = false;
    res.writeHead(reply.status, headers);
    res.end(method === 'HEAD' ? undefined : reply.body || undefined);
  }

  /** HOST_INFO as the client that asks sees it: the address it reached us at stands for "every interface". */
  hostInfo(socket: Socket | undefined): HostInfo {
    const local = plainAddress(socket?.localAddress) || '127.0.0.1';
    const info: HostInfo = { NAME: this.options.name, EXTENSIONS: extensions(this.wss !== undefined) };
    const osc = this.osc?.bound();
    if (this.osc !== undefined) {
      if (osc !== undefined) {
        info.OSC_IP = isWildcard(osc.address) ? local : plainAddress(osc.address);
        info.OSC_PORT = osc.port;
      }
      info.OSC_TRANSPORT = this.osc.transport;
    }
    if (this.wss !== undefined) {
      info.WS_IP = local;
      info.WS_PORT = socket?.localPort ?? this.boundPort;
    }
    return info;
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    socket.on('error', () => socket.destroy());
    if (this.wss === undefined || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket')
      return refuse('404 Not Found');
    // A web page the user visits may open a WebSocket to any address, the loopback included; OSC clients send no
    // Origin, and a page served from here would have this host's. Anything else is a page elsewhere.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameHost(origin, req.headers.host)) return refuse('403 Forbidden');
    if (this.clients.size >= this.limits.maxWebSockets) return refuse('503 Service Unavailable');
    if ((req.url ?? '/').length > MAX_TARGET_LENGTH) return refuse('414 URI Too Long');
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, req.socket));
  }

  private connected(ws: WebSocket, socket: Socket): void {
    const client: Client = {
      ws,
      peer: { address: plainAddress(socket.remoteAddress), port: socket.remotePort ?? 0 },
      listens: new Set(),
    };
    this.clients.add(client);
    this.counters.webSockets = this.clients.size;
    ws.on('error', () => ws.terminate());
    ws.on('close', () => {
      this.clients.delete(client);
      this.counters.webSockets = this.clients.size;
      for (const path of client.listens) this.removeListener(client, path);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        if (this.osc === undefined) return;
        this.counters.delivered++;
        this.osc.deliver(buf, client.peer);
        return;
      }
      if (buf.length > MAX_COMMAND_LENGTH) return;
      const cmd = parseCommand(buf.toString('utf8'));
      if ('error' in cmd) return;
      if (cmd.command === 'IGNORE') this.removeListener(client, cmd.path);
      else if (this.space.methods.has(cmd.path) && client.listens.size < this.limits.maxListens)
        this.addListener(client, cmd.path);
    });
  }

  private addListener(client: Client, path: string): void {
    client.listens.add(path);
    let set = this.listeners.get(path);
    if (set === undefined) this.listeners.set(path, (set = new Set()));
    set.add(client);
  }

  private removeListener(client: Client, path: string): void {
    client.listens.delete(path);
    const set = this.listeners.get(path);
    if (set === undefined) return;
    set.delete(client);
    if (set.size === 0) this.listeners.delete(path);
  }

  /** WebSocket clients listening to `path` now. */
  listenerCount(path: string): number {
    return this.listeners.get(path)?.size ?? 0;
  }

  /** The endpoint now described (a redeploy may bring another), or undefined while there is none. */
  setOsc(osc: OscSide | undefined): void {
    this.osc = osc;
  }

  /**
   * A packet passed the endpoint (either way): keeps the values of the declared addresses in it and streams them
   * to their listeners. Called from the endpoint's tap, in the message path: `data` is not kept.
   */
  readonly packet = (data: Uint8Array): void => {
    declaredMessages(this.space, data, this.declared);
  };

  private readonly declared = (method: Method, data: Uint8Array, start: number, end: number): void => {
    // A plain message (the usual case) is the whole packet: no view to make.
    const bytes = start === 0 && end === data.length ? data : data.subarray(start, end);
    let args;
    try {
      const decoded = decodePacket(bytes);
      if (!('address' in decoded)) return;
      args = decoded.args;
    } catch {
      return;
    }
    method.value = args.map(argJson);
    const listeners = this.listeners.get(method.address);
    if (listeners === undefined) return;
    // One copy for every listener: ws may queue it past this call, and the tap's bytes are the socket's.
    const copy = Buffer.from(bytes);
    for (const c of listeners) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.ws.bufferedAmount > this.limits.maxBuffered) {
        this.counters.dropped++;
        continue;
      }
      c.ws.send(copy, { binary: true });
    }
  };

  /** A redeploy's new table: values of methods declared alike are kept; clients hear what changed. */
  setSpace(space: AddressSpace): SpaceChanges {
    const changes = diffSpaces(this.space, space);
    space.adoptValues(this.space);
    this.space = space;
    for (const path of [...changes.removed, ...changes.changed]) {
      const set = this.listeners.get(path);
      if (set === undefined) continue;
      // A removed method's listeners end with it; a changed one keeps them.
      if (changes.removed.includes(path)) for (const c of [...set]) this.removeListener(c, path);
    }
    const frames = [
      ...changes.added.map((p) => serverCommand('PATH_ADDED', p)),
      ...changes.removed.map((p) => serverCommand('PATH_REMOVED', p)),
      ...changes.changed.map((p) => serverCommand('PATH_CHANGED', p)),
    ];
    if (frames.length > 0) {
      for (const c of this.clients) {
        if (c.ws.readyState !== WebSocket.OPEN) continue;
        for (const f of frames) c.ws.send(f);
      }
    }
    return changes;
  }

  /** Closes the listeners, every connection and every WebSocket; resolves once the port is free. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    this.listeners.clear();
    this.wss?.close();
    this.closed = Promise.all(
      this.servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.listening) return resolve();
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    ).then(() => undefined);
    return this.closed;
  }
}

function listenOn(server: http.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
