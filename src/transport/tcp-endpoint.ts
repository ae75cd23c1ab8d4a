// One OSC-over-TCP endpoint (a reconnecting client or a multi-client server) shared by the osc-in and osc-out
// nodes of an osc-tcp config node: an Endpoint (endpoint.ts) like a UDP one, so those nodes treat both alike.
// Nothing here knows Node-RED.
import type { RemoteInfo } from 'node:dgram';
import * as net from 'node:net';
import { DEFAULT_MAX_FRAME_SIZE, type DecodeFraming, type Framing } from '../osc/framing';
import { errorCode, hostPort, num } from '../util';
import { AllowListError } from './allowlist';
import { EndpointBase, EndpointError, EndpointHolder, openEndpointCount, whenEndpointsClosed } from './endpoint';
import type { EndpointHooks, EndpointStatus, Peer, SendCallback } from './endpoint';
import { OscTcpClient, OscTcpServer, type TcpClientStateDetail, type TcpRemote } from './tcp';

export type TcpMode = 'client' | 'server';

export interface TcpEndpointOptions {
  mode: TcpMode;
  /** Client: the server to connect to. */
  host?: string;
  port?: number;
  /** Server: where to listen ('0.0.0.0' every IPv4 interface, '::' every interface). */
  localAddress?: string;
  /** Server: required (opening fails without it, rather than listening where nobody looks); 0 = any free port. */
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

function blank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
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
    // Empty stays empty: a server without a port is reported, not given a random one.
    localPort: blank(c.localPort) ? undefined : num(c.localPort, 0),
    framing,
    maxClients: num(c.maxClients, 64),
    allow: typeof c.allow === 'string' ? c.allow : '',
  };
}

/** Resolves once every TCP endpoint being closed is closed. */
export function whenTcpEndpointsClosed(): Promise<void> {
  return whenEndpointsClosed('tcp');
}

/** TCP endpoints not yet closed: tests use it to prove a redeploy leaks nothing. */
export function openTcpEndpointCount(): number {
  return openEndpointCount('tcp');
}

/** A client refused by the allow-list is reported at most this often per address (to the holder, once for all users). */
const REFUSED_WARNING_INTERVAL_MS = 60000;

function rinfoOf(remote: TcpRemote, size: number): RemoteInfo {
  return { address: remote.address, port: remote.port, family: net.isIPv6(remote.address) ? 'IPv6' : 'IPv4', size };
}

/**
 * One open cycle of an endpoint: opened for the first user, closed after the last. A closed endpoint is not
 * reopened; its holder makes a new one.
 */
export class TcpEndpoint extends EndpointBase {
  readonly mode: TcpMode;
  readonly framing: DecodeFraming;
  /** The largest packet osc-out may send through this endpoint: the largest frame we accept from a peer. */
  readonly maxPacket: number;
  /** Server: the bound address once listening. Client: the server. */
  address: TcpRemote | undefined;
  /** Server: connections refused by the allow-list since it started listening. */
  rejected = 0;
  /** Server: the last client refused by the allow-list ("address:port"). */
  lastRejected: string | undefined;

  private readonly options: Required<Omit<TcpEndpointOptions, 'localPort' | 'reconnectMinMs' | 'reconnectMaxMs'>> &
    Pick<TcpEndpointOptions, 'localPort' | 'reconnectMinMs' | 'reconnectMaxMs'>;
  private client: OscTcpClient | undefined;
  private server: OscTcpServer | undefined;
  /** The server's listen() in progress: closing waits for it, or a server bound just after close() would leak. */
  private listening: Promise<void> | undefined;
  private attempts = 0;
  private readonly refusedLog = new Map<string, { at: number; count: number }>();

  constructor(options: TcpEndpointOptions, hooks?: EndpointHooks) {
    super('tcp', hooks);
    this.mode = options.mode === 'server' ? 'server' : 'client';
    const framing = options.framing ?? 'slip';
    this.framing = this.mode === 'client' && framing === 'auto' ? 'slip' : framing;
    this.options = {
      mode: this.mode,
      host: (options.host ?? '').trim(),
      port: options.port ?? 0,
      localAddress: (options.localAddress ?? '').trim() || '0.0.0.0',
      localPort: options.localPort,
      framing: this.framing,
      maxClients: options.maxClients ?? 64,
      allow: (options.allow ?? '').trim(),
      maxFrameSize: options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
    };
    this.maxPacket = this.options.maxFrameSize;
    if (this.mode === 'client') this.address = { address: this.options.host, port: this.options.port };
  }

  /** Client: "host:port" of the server. Server: the local "address:port" (the real port once listening). */
  get label(): string {
    if (this.mode === 'client') return hostPort(this.options.host, this.options.port);
    const a = this.address;
    if (a) return hostPort(a.address, a.port);
    const port = this.options.localPort;
    // "0.0.0.0:?" as the editor labels a server without a port.
    return port === undefined
      ? hostPort(this.options.localAddress, 0).replace(/0$/, '?')
      : hostPort(this.options.localAddress, port);
  }

  /** Server: the clients connected now. Client: the server while connected. */
  clients(): TcpRemote[] {
    if (this.server) return this.server.clients();
    return this.state === 'open' && this.address ? [{ ...this.address }] : [];
  }

  /** A client that lost (or never had) its connection and is trying again by itself. */
  get retrying(): boolean {
    return this.mode === 'client' && this.state === 'failed' && this.client !== undefined;
  }

  status(): EndpointStatus {
    const label = this.label;
    const e = this.error;
    const peers = this.state === 'open' ? this.clients().length : 0;
    const counters = {
      rejected: this.rejected,
      lastRejected: this.lastRejected,
      kernelDrops: undefined,
      refusals: 0,
      peers,
    };
    const base = { state: this.state, retrying: this.retrying, unreachable: false, counters };
    if (this.state === 'closed') return { ...base, text: 'closed', key: 'closed', params: {} };
    if (this.mode === 'client') {
      switch (this.state) {
        case 'opening':
          return { ...base, text: `connecting to ${label}`, key: 'connecting', params: { label } };
        case 'open':
          return { ...base, text: `connected to ${label}`, key: 'connected', params: { label } };
        default: {
          const reason = e ? e.short : 'disconnected';
          return this.retrying
            ? { ...base, text: `${reason} · retrying ${label}`, key: 'retrying', params: { reason, label } }
            : { ...base, text: reason, key: 'failed', params: {} };
        }
      }
    }
    switch (this.state) {
      case 'opening':
        return { ...base, text: `opening ${label}`, key: 'opening', params: { label } };
      case 'open':
        return {
          ...base,
          text: `listening on tcp ${label} · ${peers} client${peers === 1 ? '' : 's'}`,
          key: 'listeningTcp',
          params: { label, clients: peers },
        };
      default:
        return { ...base, text: e ? e.short : 'failed', key: 'failed', params: {} };
    }
  }

  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void {
    try {
      if (this.state !== 'open') {
        const why = this.error ? `: ${this.error.message}` : '';
        const what = this.mode === 'client' ? 'not connected' : 'not listening';
        throw new EndpointError(
          'ENOTCONN',
          `TCP endpoint ${this.label} is ${what}${why}; packet not sent`,
          'not connected',
          `ENOTCONN.tcp${this.mode === 'client' ? 'NotConnected' : 'NotListening'}`,
          {
            label: this.label,
            reason: this.error?.message ?? '',
          },
        );
      }
      if (this.client) {
        if (this.taps.length !== 0) this.tapped('out', data, this.options.host, this.options.port);
        this.client.send(data);
      } else if (this.server) {
        const h = host ?? '';
        const p = Number(port) || 0;
        if (h !== '' && p !== 0) {
          if (this.taps.length !== 0) this.tapped('out', data, h, p);
          this.server.send(data, { address: h, port: p });
        } else if (h === '' && p === 0) {
          if (this.taps.length !== 0 && this.server.clientCount !== 0) this.tapped('out', data, '', 0);
          if (this.server.broadcast(data) === 0) {
            throw new EndpointError(
              'ENOTCONN',
              `no client is connected to ${this.label}; packet not sent`,
              'no clients',
              'ENOTCONN.tcpNoClients',
              { label: this.label },
            );
          }
        } else {
          const ip = h === '' ? 'no ip' : h;
          const given = p === 0 ? 'no port' : p;
          throw new EndpointError(
            'EINVAL',
            `to answer one client of ${this.label} give both msg.ip and msg.port (got ${ip}, ${given}); neither sends to every client`,
            'bad destination',
            'EINVAL.tcpDestination',
            { label: this.label, ip, port: given },
          );
        }
      }
    } catch (e) {
      process.nextTick(cb, e as Error);
      return;
    }
    process.nextTick(cb, null);
  }

  protected override admits(address: string): boolean {
    return this.server ? this.server.allows(address) : this.mode === 'client';
  }

  protected canRetry(): boolean {
    // A server that failed (port busy) tries again when a user (re)joins; a client retries by itself.
    return this.mode === 'server';
  }

  protected open(): void {
    if (this.mode === 'client') this.openClient();
    else this.openServer();
  }

  protected shutdown(): Promise<void> {
    this.state = 'closed';
    const client = this.client;
    const server = this.server;
    const listening = this.listening ?? Promise.resolve();
    return Promise.all([client?.close(), listening.then(() => server?.close())]).then(() => undefined);
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
      const detail = (e as Error).message;
      const noHost = this.options.host === '';
      this.fail(
        new EndpointError(
          'EINVAL',
          `cannot connect: ${detail}`,
          noHost ? 'no host' : 'bad port',
          noHost ? 'EINVAL.noHost' : 'EINVAL.badPort',
          {
            port: String(this.options.port),
            detail,
          },
        ),
      );
      return;
    }
    this.client = client;
    client.on('packet', (data, remote) => this.dispatch(data, rinfoOf(remote, data.length)));
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
      const retryIn = detail.retryInMs !== undefined ? Math.round(detail.retryInMs / 100) / 10 : undefined;
      const retry = retryIn !== undefined ? `; retrying in ${retryIn} s` : '';
      const more: Record<string, number> = retryIn !== undefined ? { retryInS: retryIn } : {};
      const err = e
        ? new EndpointError(e.code, `${e.message}${retry}`, e.short, e.key, { ...e.params, ...more })
        : new EndpointError(
            'ECONNRESET',
            `connection to ${this.label} closed by the server${retry}`,
            'disconnected',
            'ECONNRESET.tcpClosed',
            {
              label: this.label,
              ...more,
            },
          );
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
    if (o.localPort === undefined) {
      this.fail(
        new EndpointError(
          'EINVAL',
          `a TCP server needs a port to listen on: set Port in the osc tcp node (0 picks any free port)`,
          'no port',
          'EINVAL.noPort',
          {
            label: this.label,
          },
        ),
      );
      return;
    }
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
      const detail = (e as Error).message;
      this.fail(
        e instanceof AllowListError
          ? new EndpointError('EINVAL', `cannot listen: ${detail}`, 'bad allow-list', 'EINVAL.tcpAllowList', { detail })
          : new EndpointError('EINVAL', `cannot listen: ${detail}`, 'bad setting', 'EINVAL.tcpServer', { detail }),
      );
      return;
    }
    this.server = server;
    server.on('packet', (data, remote) => this.dispatch(data, rinfoOf(remote, data.length)));
    server.on('error', (err, remote) => this.streamError(err, remote));
    server.on('connection', () => this.notify());
    server.on('refused', (remote) => this.refused(remote));
    server.on('disconnect', () => {
      if (this.state === 'open') this.notify();
    });
    // Deferred, so users hear the outcome after register() returned; and after sockets still closing are gone.
    void Promise.allSettled([whenEndpointsClosed('tcp'), previous?.close()]).then(() => {
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
          const code = errorCode(e);
          const detail = String((e as Error)?.message ?? e);
          this.fail(
            e instanceof EndpointError
              ? e
              : new EndpointError(code, detail, code.toLowerCase(), 'OTHER.tcpListen', { code, detail }),
          );
        },
      );
    });
  }

  private fail(err: EndpointError): void {
    this.state = 'failed';
    this.error = err;
    // Deferred for the same reason as listening: the user must hold its handle first.
    process.nextTick(() => {
      if (this.state === 'failed' && this.error === err) this.notify();
    });
  }

  private refused(remote: Peer): void {
    this.rejected++;
    this.lastRejected = hostPort(remote.address, remote.port);
    this.warnRefused(remote);
    this.notifyStats();
  }

  /** One line per address a minute: a scan must not flood the log, and the status keeps the running count. */
  private warnRefused(remote: Peer): void {
    const now = Date.now();
    const seen = this.refusedLog.get(remote.address);
    if (seen !== undefined && now - seen.at < REFUSED_WARNING_INTERVAL_MS) {
      seen.count++;
      return;
    }
    const since = seen?.count ?? 0;
    const more = since > 0 ? ` (${since} more since the last report)` : '';
    this.refusedLog.set(remote.address, { at: now, count: 0 });
    // A scan from many addresses must not grow the map without bound: forget those quiet for a minute.
    if (this.refusedLog.size > 1024) {
      for (const [a, v] of this.refusedLog) if (now - v.at >= REFUSED_WARNING_INTERVAL_MS) this.refusedLog.delete(a);
    }
    const from = `${remote.address}:${remote.port}`;
    this.warnHolder(
      new EndpointError(
        'NOT_ALLOWED',
        `refused a TCP connection from ${from}: not in the allow-list of ${this.label}${more}; ${this.rejected} refused in all`,
        'not allowed',
        'NOT_ALLOWED.tcp',
        { from, label: this.label, since, total: this.rejected },
      ),
    );
  }
}

/** The holder of one TCP endpoint with these options: what an osc-tcp config node keeps. */
export function tcpEndpointHolder(options: TcpEndpointOptions, hooks?: EndpointHooks): EndpointHolder<TcpEndpoint> {
  return new EndpointHolder(() => new TcpEndpoint(options, hooks));
}
