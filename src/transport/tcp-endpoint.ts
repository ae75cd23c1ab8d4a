// One OSC-over-TCP endpoint (a reconnecting client or a multi-client server) shared by the osc-in and osc-out
// nodes of an osc-tcp config node. It speaks the same interface as a UDP endpoint (udp.ts: state, label, error,
// maxDatagram, send(data, port, host, cb), users with onMessage/onStateChange), so those nodes treat both alike.
// Nothing here knows Node-RED.
import type { RemoteInfo } from 'node:dgram';
import * as net from 'node:net';
import type { OscError } from '../osc/errors';
import { DEFAULT_MAX_FRAME_SIZE, type DecodeFraming, type Framing } from '../osc/framing';
import { AllowListError } from './allowlist';
import { Interceptors } from './intercept';
import type { PacketInterceptor } from './intercept';
import { OscTcpClient, OscTcpServer, TcpTransportError, type TcpClientStateDetail, type TcpRemote } from './tcp';

export type TcpMode = 'client' | 'server';

export type TcpEndpointState = 'opening' | 'open' | 'failed' | 'closed';

export interface TcpEndpointOptions {
  mode: TcpMode;
  /** Client: the server to connect to. */
  host?: string;
  port?: number;
  /** Server: where to listen ('0.0.0.0' every IPv4 interface, '::' every interface). 0 = any free port. */
  localAddress?: string;
  localPort?: number;
  /** Client: 'slip' or 'length-prefix'; server also 'auto' (per connection, by its first byte). Default 'slip'. */
  framing?: DecodeFraming;
  /** Server: connections beyond this many are refused. */
  maxClients?: number;
  /** Server: clients allowed to connect (addresses, CIDR ranges; see parseAllowList); '' = anyone. */
  allow?: string;
  /** Client reconnect backoff, ms: doubled from min after each failure, capped at max. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Largest packet accepted from a peer, and the largest we send (the peer most likely has a similar limit). */
  maxFrameSize?: number;
}

/** The options as saved by the editor: numbers may arrive as strings. */
export interface TcpConfigProperties {
  mode?: string;
  host?: string;
  port?: number | string;
  localAddress?: string;
  localPort?: number | string;
  framing?: string;
  maxClients?: number | string;
  allow?: string;
}

function num(v: unknown, dflt: number): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return dflt;
  // Text that is not a number stays NaN, so opening reports it instead of silently using another value.
  return Number(v);
}

export function tcpOptionsFromConfig(c: TcpConfigProperties): TcpEndpointOptions {
  const mode: TcpMode = c.mode === 'server' ? 'server' : 'client';
  const f = c.framing;
  const framing: DecodeFraming =
    f === 'length-prefix' ? 'length-prefix' : f === 'auto' && mode === 'server' ? 'auto' : 'slip';
  return {
    mode,
    host: typeof c.host === 'string' ? c.host.trim() : '',
    port: num(c.port, 0),
    localAddress: typeof c.localAddress === 'string' ? c.localAddress.trim() : '',
    localPort: num(c.localPort, 0),
    framing,
    maxClients: num(c.maxClients, 64),
    allow: typeof c.allow === 'string' ? c.allow : '',
  };
}

/** What a node using the endpoint gives it; the shape of a UDP endpoint user plus stream errors. */
export interface TcpEndpointUser {
  /** A complete packet; rinfo names the peer (the server for a client, the client for a server). */
  onMessage?(data: Buffer, rinfo: RemoteInfo): void;
  /** The endpoint connected, lost its connection, started or failed listening, or a client came or went. */
  onStateChange?(endpoint: TcpEndpoint): void;
  /** Server: a client not on the allow-list was refused (see `rejected`), so a status can count it. */
  onStats?(endpoint: TcpEndpoint): void;
  /**
   * A framing error on a stream (OscError: BAD_FRAME, LIMIT_EXCEEDED) or a refused connection (TcpTransportError
   * LIMIT_EXCEEDED), with the peer it came from. Given to every receiver that has this hook.
   */
  onStreamError?(error: OscError | TcpTransportError, remote: TcpRemote | undefined): void;
}

export type SendCallback = (err: Error | null) => void;

export interface TcpEndpointHandle {
  readonly endpoint: TcpEndpoint;
  /**
   * Client: host and port are ignored (the connection is the destination). Server: both name one connected
   * client (as given with its packets); both empty ('' and 0) send to every connected client.
   */
  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void;
  /** Sees each packet before the receivers and may consume it (see intercept.ts); undefined stops it. */
  intercept(fn: PacketInterceptor | undefined): void;
  /** Resolves once the endpoint is closed, when this was the last user. */
  release(): Promise<void>;
}

export interface TcpEndpointHooks {
  /** Stream errors when no user has an onStreamError hook: they are still reported somewhere. */
  onUnhandledError?(error: OscError | TcpTransportError, remote: TcpRemote | undefined): void;
  /** Server: a client not on the allow-list was refused; logging it is the owner's, once for all users. */
  onRefused?(remote: TcpRemote, endpoint: TcpEndpoint): void;
}

// Endpoints being closed: a server about to listen waits for them, so a redeploy never meets its own old socket.
const closing = new Set<Promise<void>>();
const live = new Set<TcpEndpoint>();

/** Resolves once every TCP endpoint being closed is closed. */
export function whenTcpEndpointsClosed(): Promise<void> {
  if (closing.size === 0) return Promise.resolve();
  return Promise.allSettled([...closing]).then(() => undefined);
}

/** TCP endpoints not yet closed: tests use it to prove a redeploy leaks nothing. */
export function openTcpEndpointCount(): number {
  return live.size;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function rinfoOf(remote: TcpRemote, size: number): RemoteInfo {
  return { address: remote.address, port: remote.port, family: net.isIPv6(remote.address) ? 'IPv6' : 'IPv4', size };
}

function codeOf(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EUNKNOWN';
}

/**
 * One open cycle of an endpoint: created for the first user, closed after the last. A closed endpoint is not
 * reopened; the owner makes a new one (see TcpEndpointOwner).
 */
export class TcpEndpoint {
  readonly mode: TcpMode;
  readonly framing: DecodeFraming;
  /** The largest packet osc-out may send through this endpoint. */
  readonly maxDatagram: number;
  state: TcpEndpointState = 'opening';
  /** Client: why it is not connected (retrying). Server: why it could not listen. */
  error: TcpTransportError | undefined;
  /** Server: the bound address once listening. Client: the server. */
  address: TcpRemote | undefined;
  /** Server: connections refused by the allow-list since it started listening. */
  rejected = 0;
  /** Server: the last client refused by the allow-list ("address:port"). */
  lastRejected: string | undefined;

  private readonly options: Required<Omit<TcpEndpointOptions, 'reconnectMinMs' | 'reconnectMaxMs'>> &
    Pick<TcpEndpointOptions, 'reconnectMinMs' | 'reconnectMaxMs'>;
  private readonly hooks: TcpEndpointHooks;
  private client: OscTcpClient | undefined;
  private server: OscTcpServer | undefined;
  private readonly users = new Set<TcpEndpointUser>();
  private receivers: TcpEndpointUser[] = [];
  private readonly interceptors = new Interceptors<TcpEndpointUser>();
  private closedPromise: Promise<void> | undefined;
  /** The server's listen() in progress: closing waits for it, or a server bound just after close() would leak. */
  private listening: Promise<void> | undefined;
  private attempts = 0;

  constructor(options: TcpEndpointOptions, hooks: TcpEndpointHooks = {}) {
    this.mode = options.mode === 'server' ? 'server' : 'client';
    const framing = options.framing ?? 'slip';
    this.framing = this.mode === 'client' && framing === 'auto' ? 'slip' : framing;
    this.options = {
      mode: this.mode,
      host: (options.host ?? '').trim(),
      port: options.port ?? 0,
      localAddress: (options.localAddress ?? '').trim() || '0.0.0.0',
      localPort: options.localPort ?? 0,
      framing: this.framing,
      maxClients: options.maxClients ?? 64,
      allow: (options.allow ?? '').trim(),
      maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
    };
    this.maxDatagram = this.options.maxFrameSize;
    this.hooks = hooks;
    if (this.mode === 'client') this.address = { address: this.options.host, port: this.options.port };
    live.add(this);
  }

  /** Client: "host:port" of the server. Server: the local "address:port" (the real port once listening). */
  get label(): string {
    if (this.mode === 'client') return hostPort(this.options.host, this.options.port);
    const a = this.address;
    return a ? hostPort(a.address, a.port) : hostPort(this.options.localAddress, this.options.localPort);
  }

  /** Server: the clients connected now. Client: the server while connected. */
  clients(): TcpRemote[] {
    if (this.server) return this.server.clients();
    return this.state === 'open' && this.address ? [{ ...this.address }] : [];
  }

  /** A short status for the nodes using the endpoint, for each state. */
  statusText(): string {
    const e = this.error;
    if (this.mode === 'client') {
      switch (this.state) {
        case 'opening':
          return `connecting to ${this.label}`;
        case 'open':
          return `connected to ${this.label}`;
        case 'failed':
          return `${e ? e.short : 'disconnected'} · retrying ${this.label}`;
        default:
          return 'closed';
      }
    }
    switch (this.state) {
      case 'opening':
        return `opening ${this.label}`;
      case 'open': {
        const n = this.server ? this.server.clients().length : 0;
        return `listening on tcp ${this.label} · ${n} client${n === 1 ? '' : 's'}`;
      }
      case 'failed':
        return e ? e.short : 'failed';
      default:
        return 'closed';
    }
  }

  /** A client that lost (or never had) its connection and is trying again by itself. */
  get retrying(): boolean {
    return this.mode === 'client' && this.state === 'failed' && this.client !== undefined;
  }

  get userCount(): number {
    return this.users.size;
  }

  /** @internal */
  addUser(user: TcpEndpointUser): void {
    this.users.add(user);
    if (user.onMessage || user.onStreamError) this.receivers = [...this.receivers, user];
    // A server that failed (port busy) gets another try when a user (re)joins, as a UDP endpoint does.
    if (this.users.size === 1 || (this.state === 'failed' && this.mode === 'server')) this.open();
  }

  /** @internal A user's first look at every packet (see intercept.ts); undefined removes it. */
  setInterceptor(user: TcpEndpointUser, fn: PacketInterceptor | undefined): void {
    if (fn !== undefined && !this.users.has(user)) return; // released: nothing to intercept for
    this.interceptors.set(user, fn);
  }

  /** Interceptors set now (osc-request sets one only while a request of its own waits). */
  get interceptorCount(): number {
    return this.interceptors.list.length;
  }

  /** @internal */
  removeUser(user: TcpEndpointUser): Promise<void> {
    if (!this.users.delete(user)) return this.closedPromise ?? Promise.resolve();
    this.receivers = this.receivers.filter((u) => u !== user);
    this.interceptors.set(user, undefined);
    if (this.users.size > 0) return Promise.resolve();
    return this.close();
  }

  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void {
    try {
      if (this.state !== 'open') {
        const why = this.error ? `: ${this.error.message}` : '';
        throw new TcpTransportError(
          'ENOTCONN',
          `TCP endpoint ${this.label} is ${this.mode === 'client' ? 'not connected' : 'not listening'}${why}; packet not sent`,
          'not connected',
        );
      }
      if (this.client) {
        this.client.send(data);
      } else if (this.server) {
        const h = host ?? '';
        const p = Number(port) || 0;
        if (h !== '' && p !== 0) {
          this.server.send(data, { address: h, port: p });
        } else if (h === '' && p === 0) {
          if (this.server.broadcast(data) === 0) {
            throw new TcpTransportError('ENOTCONN', `no client is connected to ${this.label}; packet not sent`, 'no clients');
          }
        } else {
          throw new TcpTransportError(
            'EINVAL',
            `to answer one client of ${this.label} give both msg.ip and msg.port (got ${h === '' ? 'no ip' : h}, ${p === 0 ? 'no port' : p}); neither sends to every client`,
            'bad destination',
          );
        }
      }
    } catch (e) {
      process.nextTick(cb, e as Error);
      return;
    }
    process.nextTick(cb, null);
  }

  /** Stops the client or server; resolves when every socket is closed. */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.state = 'closed';
    const client = this.client;
    const server = this.server;
    const listening = this.listening ?? Promise.resolve();
    const p = Promise.all([client?.close(), listening.then(() => server?.close())]).then(() => {
      live.delete(this);
    });
    this.closedPromise = p;
    closing.add(p);
    void p.then(() => closing.delete(p));
    return p;
  }

  private open(): void {
    if (this.mode === 'client') this.openClient();
    else this.openServer();
  }

  private openClient(): void {
    if (this.client) return;
    let client: OscTcpClient;
    try {
      client = new OscTcpClient({
        host: this.options.host,
        port: this.options.port,
        framing: this.framing as Framing,
        maxFrameSize: this.options.maxFrameSize,
        reconnect: true,
        reconnectMinMs: this.options.reconnectMinMs,
        reconnectMaxMs: this.options.reconnectMaxMs,
      });
    } catch (e) {
      // A missing host or a bad port: nothing to retry until the configuration changes.
      this.fail(new TcpTransportError('EINVAL', `cannot connect: ${(e as Error).message}`, this.options.host === '' ? 'no host' : 'bad port'));
      return;
    }
    this.client = client;
    client.on('packet', (data, remote) => this.dispatch(data, remote));
    client.on('error', (err, remote) => this.streamError(err, remote));
    client.on('state', (state, detail) => this.clientState(state, detail));
    client.connect();
  }

  private clientState(state: string, detail: TcpClientStateDetail): void {
    if (this.state === 'closed') return;
    if (state === 'connecting') {
      // Retries keep the 'failed' state and its reason, so the status does not flicker on every attempt.
      if (this.attempts++ === 0) {
        this.state = 'opening';
        this.notify();
      }
    } else if (state === 'connected') {
      this.attempts = 0;
      this.state = 'open';
      this.error = undefined;
      this.notify();
    } else if (state === 'disconnected') {
      const e = detail.error;
      const retry = detail.retryInMs !== undefined ? `; retrying in ${Math.round(detail.retryInMs / 100) / 10} s` : '';
      const err = e
        ? new TcpTransportError(e.code, `${e.message}${retry}`, e.short)
        : new TcpTransportError('ECONNRESET', `connection to ${this.label} closed by the server${retry}`, 'disconnected');
      const changed = this.state !== 'failed' || this.error?.code !== err.code;
      this.state = 'failed';
      this.error = err;
      // Each failed attempt of a backoff loop would otherwise report the same error again and again.
      if (changed) this.notify();
    }
  }

  private openServer(): void {
    const previous = this.server;
    this.server = undefined;
    this.state = 'opening';
    this.error = undefined;
    const o = this.options;
    let server: OscTcpServer;
    try {
      server = new OscTcpServer({
        host: o.localAddress,
        port: o.localPort,
        framing: this.framing,
        maxFrameSize: o.maxFrameSize,
        maxClients: o.maxClients,
        allow: o.allow,
      });
    } catch (e) {
      const badList = e instanceof AllowListError;
      this.fail(new TcpTransportError('EINVAL', `cannot listen: ${(e as Error).message}`, badList ? 'bad allow-list' : 'bad setting'));
      return;
    }
    this.server = server;
    server.on('packet', (data, remote) => this.dispatch(data, remote));
    server.on('error', (err, remote) => this.streamError(err, remote));
    server.on('connection', () => this.notify());
    server.on('refused', (remote) => this.refused(remote));
    server.on('disconnect', () => {
      if (this.state === 'open') this.notify();
    });
    // Deferred, so users hear the outcome after acquire() returned; and after sockets still closing are gone.
    void Promise.allSettled([...closing, previous?.close()]).then(() => {
      if (this.state === 'closed' || this.server !== server) return;
      this.listening = server.listen().then(
        (local) => {
          if (this.state === 'closed' || this.server !== server) return;
          this.address = local;
          this.state = 'open';
          this.notify();
        },
        (e: unknown) => {
          if (this.state === 'closed' || this.server !== server) return;
          this.fail(e instanceof TcpTransportError ? e : new TcpTransportError(codeOf(e), String((e as Error)?.message ?? e), codeOf(e).toLowerCase()));
        },
      );
    });
  }

  private fail(err: TcpTransportError): void {
    this.state = 'failed';
    this.error = err;
    // Deferred for the same reason as listening: the user must hold its handle first.
    process.nextTick(() => {
      if (this.state === 'failed' && this.error === err) this.notify();
    });
  }

  private dispatch(data: Buffer, remote: TcpRemote): void {
    const rinfo = rinfoOf(remote, data.length);
    if (this.interceptors.list.length !== 0 && this.interceptors.run(data, rinfo)) return;
    const receivers = this.receivers;
    for (let i = 0; i < receivers.length; i++) {
      const r = receivers[i];
      if (!r.onMessage) continue;
      try {
        r.onMessage(data, rinfo);
      } catch {
        // A throw here would escape into the socket's event handler and stop Node-RED; users report their own.
      }
    }
  }

  private streamError(err: OscError | TcpTransportError, remote: TcpRemote | undefined): void {
    let handled = false;
    for (const r of this.receivers) {
      if (!r.onStreamError) continue;
      handled = true;
      try {
        r.onStreamError(err, remote);
      } catch {
        // see dispatch()
      }
    }
    if (!handled) {
      try {
        this.hooks.onUnhandledError?.(err, remote);
      } catch {
        // see dispatch()
      }
    }
  }

  private refused(remote: TcpRemote): void {
    this.rejected++;
    this.lastRejected = hostPort(remote.address, remote.port);
    try {
      this.hooks.onRefused?.(remote, this);
    } catch {
      // see dispatch()
    }
    for (const u of this.users) {
      try {
        u.onStats?.(this);
      } catch {
        // see dispatch()
      }
    }
  }

  private notify(): void {
    for (const u of this.users) {
      try {
        u.onStateChange?.(this);
      } catch {
        // see dispatch()
      }
    }
  }
}

/**
 * What a config node holds: the current endpoint, opened for the first user and closed after the last, then
 * replaced by a fresh one if a user comes back (a partial redeploy of the only user).
 */
export class TcpEndpointOwner {
  private current: TcpEndpoint | undefined;

  constructor(
    private readonly options: TcpEndpointOptions,
    private readonly hooks: TcpEndpointHooks = {},
  ) {}

  /** The endpoint now in use, if any. */
  get endpoint(): TcpEndpoint | undefined {
    return this.current;
  }

  acquire(user: TcpEndpointUser): TcpEndpointHandle {
    if (this.current === undefined || this.current.state === 'closed') {
      this.current = new TcpEndpoint(this.options, this.hooks);
    }
    const ep = this.current;
    ep.addUser(user);
    let released: Promise<void> | undefined;
    return {
      endpoint: ep,
      send: (data, port, host, cb) => ep.send(data, port, host, cb),
      intercept: (fn) => ep.setInterceptor(user, fn),
      release: () => (released ??= ep.removeUser(user)),
    };
  }

  /** Closes the endpoint whoever still uses it (the config node is stopping, and so are its users). */
  close(): Promise<void> {
    const ep = this.current;
    return ep ? ep.close() : Promise.resolve();
  }
}
