// OSC over TCP: a reconnecting client and a multi-client server, framing each packet with SLIP (OSC 1.1) or an
// int32 size prefix (OSC 1.0). No Node-RED here; the osc-tcp config node wraps these.
//
// Crash-proof by construction: every socket gets an 'error' listener before anything can fail, each connection
// has its own decoder, a framing error closes only the connection it came from, a flood of bad frames costs
// little and is reported once a second (see FrameErrorGuard), and our own 'error' event is only emitted when
// someone listens (an EventEmitter 'error' without a listener would throw).

import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import {
  AutoDecoder,
  createStreamDecoder,
  encodeFrame,
  type DecodeFraming,
  type Framing,
  type StreamDecoder,
} from '../osc/framing';
import { OscError } from '../osc/errors';
import { errorCode, hostPort } from '../util';
import { parseAllowList, type AllowList } from './allowlist';
import { EndpointError, type Peer } from './endpoint';

/** A peer as the socket reports it; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are given as plain IPv4. */
export type TcpRemote = Peer;

// Socket-level failures and refusals are EndpointErrors: `code` is the system's (ECONNREFUSED, EADDRINUSE...) or
// one of ours: 'ENOTCONN' (send while not connected, or to a client that is not connected), 'ENOBUFS' (the peer is
// not reading and maxWriteBuffer is full), 'LIMIT_EXCEEDED' (a connection over maxClients was refused).

export const DEFAULT_MAX_WRITE_BUFFER = 1024 * 1024;
export const DEFAULT_MAX_CLIENTS = 64;
/** How long close() lets a connection flush and shut down gracefully before destroying it. */
const CLOSE_GRACE_MS = 1000;
/**
 * Bad frames (invalid SLIP escape, oversized) a connection may send within one second; one more closes it.
 * A device with a flaky link loses a frame now and then; a hundred a second is a peer speaking something else,
 * or trying to keep us busy.
 */
export const MAX_BAD_FRAMES_PER_SECOND = 100;

/**
 * Paces the framing errors of one connection: the first bad frame of each second is reported, the rest are only
 * counted (and not even built, see StreamDecoderOptions.shouldReport), and more than MAX_BAD_FRAMES_PER_SECOND
 * in a second ends the connection.
 */
class FrameErrorGuard {
  private windowStart = -Infinity;
  private inWindow = 0;
  /** Bad frames not reported one by one since the last report. */
  private unreported = 0;
  /** Bad frames in all. */
  total = 0;
  /** Set once the limit was passed: the connection is being closed; later frames are ignored. */
  tripped = false;

  /** Per bad frame: true when this one is to be reported. */
  readonly shouldReport = (): boolean => {
    this.total++;
    if (this.tripped) return false;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow > MAX_BAD_FRAMES_PER_SECOND) {
      this.tripped = true;
      return false;
    }
    if (this.inWindow === 1) return true;
    this.unreported++;
    return false;
  };

  /** The error to report for a frame shouldReport() let through, naming those that were not. */
  describe(err: OscError): OscError {
    const n = this.unreported;
    if (n === 0) return err;
    this.unreported = 0;
    return new OscError(
      err.code,
      `${err.message} (and ${n} more bad frame${n === 1 ? '' : 's'} before it not reported one by one)`,
      err.offset,
    );
  }

  /** Why the connection is being closed, once tripped. */
  limitError(who: string): EndpointError {
    return new EndpointError(
      'LIMIT_EXCEEDED',
      `closed the connection ${who}: more than ${MAX_BAD_FRAMES_PER_SECOND} bad frames in one second (${this.total} in all)`,
      'too many bad frames',
      'LIMIT_EXCEEDED.badFrames',
      { who, max: MAX_BAD_FRAMES_PER_SECOND, total: this.total },
    );
  }
}

function normalizeAddress(a: string | undefined): string {
  if (a === undefined) return '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function describeSocketError(e: unknown, host: string, port: number): EndpointError {
  if (e instanceof EndpointError) return e;
  const code = errorCode(e);
  const where = hostPort(host, port);
  const params = { where, host, port };
  switch (code) {
    case 'EADDRINUSE':
      return new EndpointError(
        code,
        `cannot listen on ${where}: port ${port} already in use`,
        `port ${port} in use`,
        'EADDRINUSE.tcp',
        params,
      );
    case 'EADDRNOTAVAIL':
      return new EndpointError(
        code,
        `cannot listen on ${where}: no such local address`,
        `no address ${host}`,
        'EADDRNOTAVAIL.tcp',
        params,
      );
    case 'EACCES':
      return new EndpointError(
        code,
        `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`,
        'permission denied',
        'EACCES.tcp',
        params,
      );
    case 'ECONNREFUSED':
      return new EndpointError(
        code,
        `connection to ${where} refused (is the OSC server running?)`,
        'refused',
        'ECONNREFUSED.tcp',
        params,
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new EndpointError(code, `host ${host} not found`, `host ${host} not found`, `${code}.tcp`, params);
    case 'ETIMEDOUT':
      return new EndpointError(code, `connection to ${where} timed out`, 'timed out', 'ETIMEDOUT.tcp', params);
    default: {
      const detail = (e as Error | undefined)?.message ?? String(e);
      return new EndpointError(code, `${where}: ${detail}`, code.toLowerCase(), 'OTHER.tcpSocket', {
        ...params,
        code,
        detail,
      });
    }
  }
}

function checkPort(name: string, port: unknown, allowZero: boolean): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (allowZero ? 0 : 1) || port > 65535) {
    throw new RangeError(`${name} must be an integer from ${allowZero ? 0 : 1} to 65535, got ${String(port)}`);
  }
  return port;
}

function checkPositive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${name} must be a positive number, got ${String(v)}`);
  }
  return v;
}

function checkFraming<T extends string>(v: unknown, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) {
    throw new RangeError(`framing must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${String(v)}`);
  }
  return v as T;
}

/** Writes a frame, refusing when the peer has stopped reading and the kernel and Node buffers are full. */
function writeFrame(sock: net.Socket, framing: Framing, packet: Uint8Array, maxWriteBuffer: number, who: string): void {
  if (sock.writableLength > maxWriteBuffer) {
    throw new EndpointError(
      'ENOBUFS',
      `${who} is not reading: ${sock.writableLength} bytes already waiting to be sent (maxWriteBuffer ${maxWriteBuffer})`,
      'peer not reading',
      'ENOBUFS.tcp',
      { who, waiting: sock.writableLength, max: maxWriteBuffer },
    );
  }
  sock.write(encodeFrame(framing, packet));
}

/** Ends a socket gracefully, destroying it if it has not closed after a grace period; resolves on 'close'. */
function shutdown(sock: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (sock.destroyed && sock.closed) {
      resolve();
      return;
    }
    const timer = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
    timer.unref();
    sock.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    sock.end();
  });
}

// ---------------------------------------------------------------------------------------------------------
// Client

export type TcpClientState = 'connecting' | 'connected' | 'disconnected' | 'closed';

export interface TcpClientOptions {
  host: string;
  port: number;
  /** Framing for both directions (default 'slip', OSC 1.1). */
  framing?: Framing;
  /** Largest incoming packet (default 1 MiB); see StreamDecoderOptions. */
  maxFrameSize?: number;
  /** Reconnect after a failed attempt or a lost connection (default true). */
  reconnect?: boolean;
  /** First reconnect delay in ms (default 250), doubled after each failed attempt... */
  reconnectMinMs?: number;
  /** ...up to this cap (default 10 000). A successful connection resets the delay. */
  reconnectMaxMs?: number;
  /** Give up a connection attempt after this many ms (default 5000), so a silent host does not hang us. */
  connectTimeoutMs?: number;
  /** Bytes allowed to wait for a slow peer before send() refuses with 'ENOBUFS' (default 1 MiB). */
  maxWriteBuffer?: number;
}

/** Details given with each 'state' event. */
export interface TcpClientStateDetail {
  /** Why the connection was lost or could not be made. */
  error?: EndpointError;
  /** With 'disconnected': ms until the next attempt, or undefined when no reconnect follows. */
  retryInMs?: number;
}

export interface TcpClientEvents {
  /** Every state change; also emitted under the state's own name ('connected', ...) with the same detail. */
  state: [state: TcpClientState, detail: TcpClientStateDetail];
  connecting: [detail: TcpClientStateDetail];
  connected: [detail: TcpClientStateDetail];
  disconnected: [detail: TcpClientStateDetail];
  closed: [detail: TcpClientStateDetail];
  /** A complete packet from the server (not yet decoded: pass it to decodePacket). */
  packet: [packet: Buffer, remote: TcpRemote];
  /**
   * A framing error (OscError) or socket error (EndpointError). Only emitted when listened to; a fatal
   * framing error also closes the connection, which then reconnects.
   */
  error: [error: OscError | EndpointError, remote: TcpRemote];
}

type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A TCP client that keeps itself connected. Sends are refused with EndpointError 'ENOTCONN' while not
 * connected: nothing is queued, since stale control messages replayed after a reconnect would do more harm than
 * good (a fader jumping through old positions), and the caller can report each refusal.
 *
 *   const c = new OscTcpClient({ host, port, framing: 'slip' });
 *   c.on('state', (state, { error, retryInMs }) => status(state, error?.short));
 *   c.on('packet', (bytes, from) => emit(decodePacket(bytes)));
 *   c.on('error', (err, from) => warn(err));
 *   c.connect();  ...  c.send(encodePacket(msg));  ...  await c.close();
 */
export class OscTcpClient extends EventEmitter {
  readonly host: string;
  readonly port: number;
  readonly framing: Framing;
  private readonly maxFrameSize: number | undefined;
  private readonly reconnect: boolean;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly connectTimeoutMs: number;
  private readonly maxWriteBuffer: number;
  private socket: net.Socket | null = null;
  private stateValue: TcpClientState = 'disconnected';
  private closing = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closePromise: Promise<void> | null = null;

  constructor(options: TcpClientOptions) {
    super();
    if (typeof options?.host !== 'string' || options.host === '')
      throw new RangeError('host must be a non-empty string');
    this.host = options.host;
    this.port = checkPort('port', options.port, false);
    this.framing = checkFraming(options.framing, ['slip', 'length-prefix'] as const, 'slip');
    this.maxFrameSize = options.maxFrameSize;
    createStreamDecoder(this.framing, { maxFrameSize: this.maxFrameSize }); // validates maxFrameSize now
    this.reconnect = options.reconnect ?? true;
    this.minDelay = checkPositive('reconnectMinMs', options.reconnectMinMs, 250);
    this.maxDelay = Math.max(this.minDelay, checkPositive('reconnectMaxMs', options.reconnectMaxMs, 10000));
    this.connectTimeoutMs = checkPositive('connectTimeoutMs', options.connectTimeoutMs, 5000);
    this.maxWriteBuffer = checkPositive('maxWriteBuffer', options.maxWriteBuffer, DEFAULT_MAX_WRITE_BUFFER);
  }

  get state(): TcpClientState {
    return this.stateValue;
  }

  /** The server as configured. */
  get remote(): TcpRemote {
    return { address: this.host, port: this.port };
  }

  /**
   * Starts connecting (and, unless reconnect is false, keeps reconnecting). Does nothing while connected or
   * retrying, or after close(); with reconnect false, call it again to retry after a 'disconnected'.
   */
  connect(): void {
    if (this.closing || this.socket !== null || this.retryTimer !== null) return;
    this.open();
  }

  /**
   * Frames and sends one packet (encoded OSC bytes). Throws EndpointError 'ENOTCONN' when not connected,
   * 'ENOBUFS' when the server has stopped reading and maxWriteBuffer is full.
   */
  send(packet: Uint8Array): void {
    const sock = this.socket;
    if (sock === null || this.stateValue !== 'connected') {
      const where = hostPort(this.host, this.port);
      throw new EndpointError(
        'ENOTCONN',
        `not connected to ${where} (${this.stateValue}); packet not sent`,
        'not connected',
        'ENOTCONN.tcpClient',
        {
          where,
          state: this.stateValue,
        },
      );
    }
    writeFrame(sock, this.framing, packet, this.maxWriteBuffer, hostPort(this.host, this.port));
  }

  /** Stops reconnecting, flushes and closes the connection; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.closing = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const sock = this.socket;
    // Only an established connection has anything to flush; an attempt in progress is simply abandoned.
    if (sock && this.stateValue !== 'connected') sock.destroy();
    this.closePromise = (sock ? shutdown(sock) : Promise.resolve()).then(() => {
      this.socket = null;
      this.setState('closed', {});
    });
    return this.closePromise;
  }

  override on<K extends keyof TcpClientEvents>(event: K, listener: Listener<TcpClientEvents[K]>): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof TcpClientEvents>(event: K, listener: Listener<TcpClientEvents[K]>): this;
  override once(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof TcpClientEvents>(event: K, listener: Listener<TcpClientEvents[K]>): this;
  override off(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  private setState(state: TcpClientState, detail: TcpClientStateDetail): void {
    this.stateValue = state;
    this.emit('state', state, detail);
    this.emit(state, detail);
  }

  private report(error: OscError | EndpointError): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, this.remote);
  }

  private open(): void {
    const guard = new FrameErrorGuard();
    const decoder = createStreamDecoder(this.framing, {
      maxFrameSize: this.maxFrameSize,
      shouldReport: guard.shouldReport,
      onError: (err, fatal) => {
        this.report(fatal ? err : guard.describe(err));
        if (fatal) sock.destroy();
      },
    });
    let lastError: EndpointError | undefined;
    let connected = false;
    const sock = net.createConnection({ host: this.host, port: this.port });
    this.socket = sock;
    sock.on('error', (e) => {
      lastError = describeSocketError(e, this.host, this.port);
    });
    sock.setNoDelay(true);
    sock.setTimeout(this.connectTimeoutMs, () => {
      if (!connected) sock.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    });
    sock.on('connect', () => {
      connected = true;
      sock.setTimeout(0);
      sock.setKeepAlive(true, 10000);
      this.attempt = 0;
      this.setState('connected', {});
    });
    sock.on('data', (chunk: Buffer) => {
      if (guard.tripped) return;
      // Packets completed before a fatal framing error in the same chunk are sound: deliver them.
      for (const p of decoder.push(chunk)) this.emit('packet', p, this.remote);
      if (guard.tripped && !sock.destroyed) {
        lastError = guard.limitError(`to ${hostPort(this.host, this.port)}`);
        sock.destroy();
      }
    });
    sock.on('close', () => {
      if (this.socket === sock) this.socket = null;
      if (this.closing) return;
      if (connected && lastError) this.report(lastError);
      let retryInMs: number | undefined;
      if (this.reconnect) {
        retryInMs = Math.min(this.maxDelay, this.minDelay * 2 ** Math.min(this.attempt, 30));
        this.attempt++;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          if (!this.closing) this.open();
        }, retryInMs);
      }
      this.setState('disconnected', { error: lastError, retryInMs });
    });
    this.setState('connecting', {});
  }
}

// ---------------------------------------------------------------------------------------------------------
// Server

export interface TcpServerOptions {
  /** Local address to listen on (default '0.0.0.0'; '::' for IPv6 and IPv4). */
  host?: string;
  /** Local port (default 0: any free port; see address() once listening). */
  port?: number;
  /**
   * Incoming framing (default 'auto': per connection, SLIP if its first byte is END, else the size prefix;
   * liblo 0.31 clients use the size prefix, OSC 1.1 devices SLIP). Replies use the framing detected on that
   * connection; before a connection has sent anything, the fixed framing, or 'slip' under 'auto'.
   */
  framing?: DecodeFraming;
  /** Largest incoming packet (default 1 MiB). */
  maxFrameSize?: number;
  /** Connections beyond this many are refused (closed at once, reported as 'LIMIT_EXCEEDED'); default 64. */
  maxClients?: number;
  /** Bytes allowed to wait for a slow client before send() to it refuses with 'ENOBUFS' (default 1 MiB). */
  maxWriteBuffer?: number;
  /**
   * Clients allowed to connect: addresses and CIDR ranges, IPv4 or IPv6, as for osc-udp (see parseAllowList);
   * empty or absent = anyone. Others are closed at once, counted and told through 'refused', never heard.
   */
  allow?: string | readonly string[];
}

export interface TcpServerEvents {
  listening: [local: TcpRemote];
  connection: [remote: TcpRemote];
  /** A client not on the allow-list connected and was closed at once (see `rejected`). */
  refused: [remote: TcpRemote];
  /** A client went away; `error` says why when it was not a clean close. */
  disconnect: [remote: TcpRemote, error: OscError | EndpointError | undefined];
  /** A complete packet from a client (not yet decoded: pass it to decodePacket). */
  packet: [packet: Buffer, remote: TcpRemote];
  /**
   * A framing error from a client (OscError: the connection is closed when fatal), a refused connection
   * (EndpointError 'LIMIT_EXCEEDED'), or a server socket error. Only emitted when listened to.
   */
  error: [error: OscError | EndpointError, remote: TcpRemote | undefined];
}

interface Connection {
  socket: net.Socket;
  remote: TcpRemote;
  decoder: StreamDecoder;
  error?: OscError | EndpointError;
}

function clientKey(address: string, port: number): string {
  return `${normalizeAddress(address)}|${port}`;
}

/**
 * A TCP server for several OSC clients at once, each with its own decoder.
 *
 *   const s = new OscTcpServer({ port: 9000, framing: 'auto' });
 *   s.on('packet', (bytes, from) => emit(decodePacket(bytes), from));   // from = { address, port }
 *   s.on('error', (err, from) => warn(err));
 *   const { port } = await s.listen();                                   // rejects with EndpointError
 *   s.send(bytes, from);  s.broadcast(bytes);  ...  await s.close();
 */
export class OscTcpServer extends EventEmitter {
  private readonly host: string;
  private readonly port: number;
  private readonly framing: DecodeFraming;
  private readonly maxFrameSize: number | undefined;
  private readonly maxClients: number;
  private readonly maxWriteBuffer: number;
  private readonly allowList: AllowList;
  /** Connections refused because the client is not on the allow-list. */
  rejected = 0;
  private server: net.Server | null = null;
  private readonly conns = new Map<string, Connection>();
  private local: TcpRemote | null = null;
  private closePromise: Promise<void> | null = null;

  /** Whether the allow-list lets a client at `address` in (also asked for packets that arrive another way). */
  allows(address: string): boolean {
    return this.allowList.allows(address);
  }

  constructor(options: TcpServerOptions = {}) {
    super();
    this.host = options.host ?? '0.0.0.0';
    this.port = checkPort('port', options.port ?? 0, true);
    this.framing = checkFraming(options.framing, ['slip', 'length-prefix', 'auto'] as const, 'auto');
    this.maxFrameSize = options.maxFrameSize;
    createStreamDecoder(this.framing, { maxFrameSize: this.maxFrameSize }); // validates maxFrameSize now
    const mc = options.maxClients ?? DEFAULT_MAX_CLIENTS;
    if (!Number.isInteger(mc) || mc < 1)
      throw new RangeError(`maxClients must be a positive integer, got ${String(mc)}`);
    this.maxClients = mc;
    this.maxWriteBuffer = checkPositive('maxWriteBuffer', options.maxWriteBuffer, DEFAULT_MAX_WRITE_BUFFER);
    // Throws AllowListError naming the bad entry: a mistyped list must stop the deploy, not let everyone in.
    this.allowList = parseAllowList(options.allow);
  }

  /** Starts listening; resolves with the local address and port (the real one when port 0 was asked for). */
  listen(): Promise<TcpRemote> {
    if (this.closePromise) return Promise.reject(new Error('OscTcpServer: listen() after close()'));
    if (this.server) return Promise.reject(new Error('OscTcpServer: listen() called twice'));
    const server = net.createServer((sock) => this.accept(sock));
    this.server = server;
    return new Promise((resolve, reject) => {
      const onListenError = (e: Error): void => {
        this.server = null;
        reject(describeSocketError(e, this.host, this.port));
      };
      server.once('error', onListenError);
      server.listen(this.port, this.host, () => {
        server.off('error', onListenError);
        server.on('error', (e) => this.report(describeSocketError(e, this.host, this.port), undefined));
        const a = server.address() as net.AddressInfo;
        this.local = { address: normalizeAddress(a.address), port: a.port };
        this.emit('listening', this.local);
        resolve(this.local);
      });
    });
  }

  /** Where we listen, or null before listen() resolved. */
  address(): TcpRemote | null {
    return this.local;
  }

  /** The clients connected now. */
  /** How many clients are connected now. */
  get clientCount(): number {
    return this.conns.size;
  }

  clients(): TcpRemote[] {
    return [...this.conns.values()].map((c) => ({ ...c.remote }));
  }

  /**
   * Frames and sends a packet to one connected client, named by its remote address and port (as given with its
   * packets). Throws EndpointError 'ENOTCONN' when no such client is connected, 'ENOBUFS' when it is not reading.
   */
  send(packet: Uint8Array, to: TcpRemote): void {
    const conn = this.conns.get(clientKey(to.address, to.port));
    if (!conn) {
      const who = hostPort(normalizeAddress(to.address), to.port);
      throw new EndpointError(
        'ENOTCONN',
        `no client ${who} is connected; packet not sent`,
        'client not connected',
        'ENOTCONN.tcpNoSuchClient',
        { who },
      );
    }
    writeFrame(
      conn.socket,
      this.replyFraming(conn),
      packet,
      this.maxWriteBuffer,
      hostPort(conn.remote.address, conn.remote.port),
    );
  }

  /**
   * Sends a packet to every connected client; returns how many it went to. A client that is not reading is
   * skipped (and reported as an 'error' event) rather than failing the others.
   */
  broadcast(packet: Uint8Array): number {
    let sent = 0;
    for (const conn of this.conns.values()) {
      try {
        writeFrame(
          conn.socket,
          this.replyFraming(conn),
          packet,
          this.maxWriteBuffer,
          hostPort(conn.remote.address, conn.remote.port),
        );
        sent++;
      } catch (e) {
        this.report(e as EndpointError, conn.remote);
      }
    }
    return sent;
  }

  /** Stops listening and closes every connection (gracefully, then forcibly); resolves when all are closed. */
  close(): Promise<void> {
    if (this.closePromise) return this.closePromise;
    const server = this.server;
    const waits: Promise<void>[] = [...this.conns.values()].map((c) => shutdown(c.socket));
    if (server) {
      waits.push(
        new Promise((resolve) => {
          server.close(() => resolve());
        }),
      );
    }
    this.closePromise = Promise.all(waits).then(() => {
      this.server = null;
    });
    return this.closePromise;
  }

  override on<K extends keyof TcpServerEvents>(event: K, listener: Listener<TcpServerEvents[K]>): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof TcpServerEvents>(event: K, listener: Listener<TcpServerEvents[K]>): this;
  override once(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  override off<K extends keyof TcpServerEvents>(event: K, listener: Listener<TcpServerEvents[K]>): this;
  override off(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  private replyFraming(conn: Connection): Framing {
    if (this.framing !== 'auto') return this.framing;
    return (conn.decoder instanceof AutoDecoder ? conn.decoder.framing : null) ?? 'slip';
  }

  private report(error: OscError | EndpointError, remote: TcpRemote | undefined): void {
    if (this.listenerCount('error') > 0) this.emit('error', error, remote);
  }

  private accept(sock: net.Socket): void {
    // Attach the error listener first: a reset can arrive before anything else.
    let conn: Connection | undefined;
    sock.on('error', (e) => {
      if (conn && !conn.error) conn.error = describeSocketError(e, conn.remote.address, conn.remote.port);
    });
    const remote: TcpRemote = { address: normalizeAddress(sock.remoteAddress), port: sock.remotePort ?? 0 };
    if (this.closePromise) {
      sock.destroy();
      return;
    }
    // Checked once per connection, before a decoder exists: a refused client never gets a byte decoded.
    // The raw address is checked, since the list handles the IPv4-mapped form itself.
    if (!this.allowList.allows(sock.remoteAddress ?? '')) {
      sock.destroy();
      this.rejected++;
      this.emit('refused', remote);
      return;
    }
    if (this.conns.size >= this.maxClients) {
      sock.destroy();
      const who = hostPort(remote.address, remote.port);
      this.report(
        new EndpointError(
          'LIMIT_EXCEEDED',
          `connection from ${who} refused: already ${this.maxClients} clients (maxClients)`,
          'too many clients',
          'LIMIT_EXCEEDED.maxClients',
          {
            who,
            max: this.maxClients,
          },
        ),
        remote,
      );
      return;
    }
    const key = clientKey(remote.address, remote.port);
    const guard = new FrameErrorGuard();
    const c: Connection = {
      socket: sock,
      remote,
      decoder: createStreamDecoder(this.framing, {
        maxFrameSize: this.maxFrameSize,
        shouldReport: guard.shouldReport,
        onError: (err, fatal) => {
          this.report(fatal ? err : guard.describe(err), remote);
          if (fatal) {
            c.error = err;
            sock.destroy();
          }
        },
      }),
    };
    conn = c;
    this.conns.set(key, c);
    sock.setNoDelay(true);
    sock.setKeepAlive(true, 10000);
    sock.on('data', (chunk: Buffer) => {
      if (guard.tripped) return;
      for (const p of c.decoder.push(chunk)) this.emit('packet', p, remote);
      if (guard.tripped && !sock.destroyed) {
        c.error = guard.limitError(`from ${hostPort(remote.address, remote.port)}`);
        this.report(c.error, remote);
        sock.destroy();
      }
    });
    sock.on('close', () => {
      if (this.conns.get(key) === c) this.conns.delete(key);
      this.emit('disconnect', remote, c.error);
    });
    this.emit('connection', remote);
  }
}
