// A pool of UDP endpoints, reference-counted and keyed by the owner's id (the osc-udp config node's id),
// so every node naming one endpoint shares one socket: a device that answers to the port we send from
// (scsynth, X32, XR18) is then heard by the receivers on that socket. Nothing here knows Node-RED.
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as os from 'node:os';
import { Interceptors } from './intercept';
import type { PacketInterceptor } from './intercept';
import { DEFAULT_RCVBUF, UdpReceiveGuard } from './udp-guard';
import type { RecvBufferReport } from './udp-guard';

export interface UdpEndpointOptions {
  localAddress?: string;
  /** 0 = any free port. */
  localPort?: number;
  ipv?: 'udp4' | 'udp6';
  broadcast?: boolean;
  multicastGroup?: string;
  /** An interface address, or a name such as "eth0" (resolved to its address). */
  multicastInterface?: string;
  ttl?: number;
  multicastLoopback?: boolean;
  /** Senders allowed to deliver: addresses and CIDR ranges separated by commas, spaces or new lines; '' = anyone. */
  allow?: string;
  /** Receive buffer to ask the kernel for, in bytes (default 1 MiB; 0 keeps the system default). */
  rcvbuf?: number;
  /**
   * The one destination of a socket that sends nowhere else (osc-out with a fixed Host and Port): the socket is
   * connected to it, so the kernel reports a receiver that is gone (ICMP port unreachable), which it never
   * does for an unconnected socket on Linux. '' and 0: not connected.
   */
  remoteHost?: string;
  remotePort?: number;
}

/** After a refusal, this long without another while sending means the receiver is back (see UdpEndpoint). */
export const RECEIVER_RECOVERY_MS = 1500;

/** The options as saved by an editor: numbers and flags may arrive as strings. */
export interface UdpConfigProperties {
  localAddress?: string;
  localPort?: number | string;
  ipv?: string;
  broadcast?: boolean | string;
  multicastGroup?: string;
  multicastInterface?: string;
  ttl?: number | string;
  multicastLoopback?: boolean | string;
  allow?: string;
  rcvbuf?: number | string;
}

function flag(v: unknown, dflt: boolean): boolean {
  if (v === undefined || v === null || v === '') return dflt;
  return v === true || v === 'true';
}

function num(v: unknown, dflt: number): number {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return dflt;
  // Text that is not a number stays NaN, so bind() reports it instead of silently binding another port.
  return Number(v);
}

export function udpOptionsFromConfig(c: UdpConfigProperties): UdpEndpointOptions {
  return {
    localAddress: typeof c.localAddress === 'string' ? c.localAddress : undefined,
    localPort: num(c.localPort, 0),
    ipv: c.ipv === 'udp6' ? 'udp6' : 'udp4',
    broadcast: flag(c.broadcast, false),
    multicastGroup: typeof c.multicastGroup === 'string' ? c.multicastGroup : undefined,
    multicastInterface: typeof c.multicastInterface === 'string' ? c.multicastInterface : undefined,
    ttl: num(c.ttl, 64),
    multicastLoopback: flag(c.multicastLoopback, true),
    allow: typeof c.allow === 'string' ? c.allow : undefined,
    rcvbuf: num(c.rcvbuf, DEFAULT_RCVBUF),
  };
}

export type ResolvedUdpEndpointOptions = Required<UdpEndpointOptions>;

export type UdpEndpointState = 'opening' | 'open' | 'failed' | 'closed';

/** Why an endpoint could not open, or why a send failed: `code` is the system's (EADDRINUSE, ENOTFOUND...). */
export class UdpEndpointError extends Error {
  readonly code: string;
  /** A few words for a node status, e.g. "port 9000 in use". */
  readonly short: string;

  constructor(code: string, message: string, short: string) {
    super(message);
    this.name = 'UdpEndpointError';
    this.code = code;
    this.short = short;
  }
}

export interface UdpEndpointUser {
  /** Called for every datagram; `data` is the node's own fresh Buffer. Must not throw (it is guarded anyway). */
  onMessage?(data: Buffer, rinfo: dgram.RemoteInfo): void;
  /** Called when the endpoint opens, fails, or reports a socket error. */
  onStateChange?(endpoint: UdpEndpoint): void;
  /** Called when a counter moves: a sender refused by the allow-list, or kernel drops (polled every few seconds). */
  onStats?(endpoint: UdpEndpoint): void;
}

export type SendCallback = (err: Error | null) => void;

/** What a user holds: send through the shared socket, and release it (resolves once the socket is closed). */
export interface UdpEndpointHandle {
  readonly endpoint: UdpEndpoint;
  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void;
  /** Sees each packet before the receivers and may consume it (see intercept.ts); undefined stops it. */
  intercept(fn: PacketInterceptor | undefined): void;
  release(): Promise<void>;
}

export const DEFAULT_UDP_OPTIONS: ResolvedUdpEndpointOptions = Object.freeze({
  localAddress: '0.0.0.0',
  localPort: 0,
  ipv: 'udp4',
  broadcast: false,
  multicastGroup: '',
  multicastInterface: '',
  ttl: 64,
  multicastLoopback: true,
  allow: '',
  rcvbuf: DEFAULT_RCVBUF,
  remoteHost: '',
  remotePort: 0,
}) as ResolvedUdpEndpointOptions;

/** The largest UDP payload: 65535 minus the IP and UDP headers (IPv6 has no header in its payload length). */
export const MAX_DATAGRAM_UDP4 = 65507;
export const MAX_DATAGRAM_UDP6 = 65527;

// Sends queued while the socket binds; beyond this a send fails rather than growing without bound.
const MAX_PENDING_SENDS = 1024;
// How long closing waits for sends still looking up their address; a lookup slower than this fails its send.
const INFLIGHT_GRACE_MS = 2000;

export function resolveUdpOptions(o: UdpEndpointOptions): ResolvedUdpEndpointOptions {
  const ipv = o.ipv === 'udp6' ? 'udp6' : 'udp4';
  const localAddress = (o.localAddress ?? '').trim() || (ipv === 'udp6' ? '::' : '0.0.0.0');
  return {
    localAddress,
    localPort: o.localPort ?? 0,
    ipv,
    broadcast: o.broadcast === true,
    multicastGroup: (o.multicastGroup ?? '').trim(),
    multicastInterface: (o.multicastInterface ?? '').trim(),
    ttl: o.ttl ?? 64,
    multicastLoopback: o.multicastLoopback !== false,
    allow: (o.allow ?? '').trim(),
    rcvbuf: o.rcvbuf ?? DEFAULT_RCVBUF,
    remoteHost: (o.remoteHost ?? '').trim(),
    remotePort: o.remotePort ?? 0,
  };
}

function sameOptions(a: ResolvedUdpEndpointOptions, b: ResolvedUdpEndpointOptions): boolean {
  return (
    a.localAddress === b.localAddress &&
    a.localPort === b.localPort &&
    a.ipv === b.ipv &&
    a.broadcast === b.broadcast &&
    a.multicastGroup === b.multicastGroup &&
    a.multicastInterface === b.multicastInterface &&
    a.ttl === b.ttl &&
    a.multicastLoopback === b.multicastLoopback &&
    a.allow === b.allow &&
    Object.is(a.rcvbuf, b.rcvbuf) &&
    a.remoteHost === b.remoteHost &&
    a.remotePort === b.remotePort
  );
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function errorCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EUNKNOWN';
}

/** Turns a bind error into words a user can act on. */
export function describeBindError(e: unknown, o: ResolvedUdpEndpointOptions): UdpEndpointError {
  const code = errorCode(e);
  const where = hostPort(o.localAddress, o.localPort);
  switch (code) {
    case 'EADDRINUSE':
      return new UdpEndpointError(
        code,
        `cannot listen on ${where}: port ${o.localPort} is already in use by another program or node (EADDRINUSE)`,
        `port ${o.localPort} in use`,
      );
    case 'EACCES':
    case 'EPERM':
      return new UdpEndpointError(
        code,
        `cannot listen on ${where}: port ${o.localPort} needs privileges (${code}); choose a port above 1023`,
        `port ${o.localPort} needs privileges`,
      );
    case 'EADDRNOTAVAIL':
      return new UdpEndpointError(
        code,
        `cannot listen on ${where}: ${o.localAddress} is not an address of this machine (EADDRNOTAVAIL)`,
        `address ${o.localAddress} not available`,
      );
    default:
      return new UdpEndpointError(
        code,
        `cannot listen on ${where} (${o.ipv}): ${(e as Error)?.message ?? String(e)}`,
        `cannot listen: ${code}`,
      );
  }
}

/**
 * An interface given by name ("eth0") becomes the address the socket calls need: its IPv4 address for udp4,
 * "::%name" (scope id) for udp6. Throws a UdpEndpointError when no such interface exists.
 */
export function resolveInterface(iface: string, ipv: 'udp4' | 'udp6'): string {
  if (iface === '' || net.isIP(iface) !== 0 || iface.includes('%')) return iface;
  const entries = os.networkInterfaces()[iface];
  if (!entries || entries.length === 0) {
    const names = Object.keys(os.networkInterfaces()).join(', ');
    throw new UdpEndpointError('ENODEV', `no network interface named "${iface}" (this machine has: ${names})`, `no interface ${iface}`);
  }
  if (ipv === 'udp6') return `::%${iface}`;
  const v4 = entries.find((e) => e.family === 'IPv4');
  if (!v4) {
    throw new UdpEndpointError('EADDRNOTAVAIL', `network interface "${iface}" has no IPv4 address`, `no IPv4 on ${iface}`);
  }
  return v4.address;
}

// dgram resolves a host name on every send (getaddrinfo on the thread pool): at thousands of messages per
// second to "mixer.local" that is the bottleneck, so answers are kept for a few seconds.
const LOOKUP_TTL_MS = 5000;
const lookupCache = new Map<string, { address: string; family: number; expires: number }>();

function cachedLookup(
  hostname: string,
  options: dns.LookupOneOptions | number,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = typeof options === 'number' ? options : (options.family as number | undefined) ?? 0;
  const ipFamily = net.isIP(hostname);
  if (ipFamily !== 0) {
    // Asynchronous like dns.lookup: dgram would otherwise emit 'listening' inside bind(), before our caller returns.
    process.nextTick(callback, null, hostname, ipFamily);
    return;
  }
  const key = `${family}/${hostname}`;
  const hit = lookupCache.get(key);
  const now = Date.now();
  if (hit !== undefined && hit.expires > now) {
    process.nextTick(callback, null, hit.address, hit.family);
    return;
  }
  dns.lookup(hostname, { family }, (err, address, fam) => {
    if (!err) {
      if (lookupCache.size > 256) lookupCache.clear();
      lookupCache.set(key, { address, family: fam, expires: Date.now() + LOOKUP_TTL_MS });
    }
    callback(err, address, fam);
  });
}

interface PendingSend {
  data: Uint8Array;
  port: number;
  host: string;
  cb: SendCallback;
}

const pool = new Map<string, UdpEndpoint>();
// Sockets being closed: a new bind waits for them, so a redeploy never meets its own old socket.
const closing = new Set<Promise<void>>();
// Every endpoint not yet closed, pooled or not: what a leak check counts.
const live = new Set<UdpEndpoint>();

export class UdpEndpoint {
  readonly key: string;
  readonly options: ResolvedUdpEndpointOptions;
  /** The largest datagram this endpoint can send. */
  readonly maxDatagram: number;
  state: UdpEndpointState = 'opening';
  /** Why the endpoint failed to open, or the last socket error while open. */
  error: UdpEndpointError | undefined;
  /** The bound address (the real port when localPort is 0), once open. */
  address: { address: string; port: number; family: string } | undefined;
  /** Allow-list, receive buffer and kernel drop count of the current socket. */
  private guard: UdpReceiveGuard | undefined;
  /** Connected to remoteHost:remotePort: sends go there only, and a receiver that is gone is reported. */
  private connected = false;
  /** Connected, and the last send was refused (nothing listens at the destination). */
  unreachable = false;
  /** Sends refused at the destination since the socket opened (one refusal can stand for several sends). */
  refusals = 0;
  private refusedAt = 0;
  private probe: NodeJS.Timeout | undefined;

  private socket: dgram.Socket | undefined;
  private readonly users = new Set<UdpEndpointUser>();
  // A plain array of receivers: iterated for every datagram.
  private receivers: UdpEndpointUser[] = [];
  private readonly interceptors = new Interceptors<UdpEndpointUser>();
  private pending: PendingSend[] = [];
  // Unconnected sends handed to dgram and not yet called back. dgram holds each one until its address lookup
  // answers (a tick for an IP address, the resolver for a name) and drops it without calling back when the socket
  // closes meanwhile, so closing waits for them and fails what is left.
  private readonly inflight = new Set<SendCallback>();
  private drained: (() => void) | undefined;
  private closeWanted = false;
  private closedPromise: Promise<void> | undefined;
  private generation = 0;

  constructor(key: string, options: ResolvedUdpEndpointOptions) {
    this.key = key;
    this.options = options;
    this.maxDatagram = options.ipv === 'udp6' ? MAX_DATAGRAM_UDP6 : MAX_DATAGRAM_UDP4;
    live.add(this);
  }

  get userCount(): number {
    return this.users.size;
  }

  /** Datagrams refused because their sender is not on the allow-list (since the socket opened). */
  get rejected(): number {
    return this.guard?.rejected ?? 0;
  }

  /** The last sender refused by the allow-list, as "address:port". */
  get lastRejected(): string | undefined {
    return this.guard?.lastRejected;
  }

  /** Datagrams the kernel dropped at this socket (its receive buffer was full); undefined where the OS does not tell. */
  get kernelDrops(): number | undefined {
    return this.guard?.kernelDrops;
  }

  /** The receive buffer asked for and what the kernel granted, once open. */
  get recvBuffer(): RecvBufferReport | undefined {
    return this.guard?.recvBuffer;
  }

  /** Why the receive buffer is smaller than asked, once open; undefined when it is not. */
  get recvBufferWarning(): string | undefined {
    return this.guard?.recvBufferWarning();
  }

  /** Reads the kernel's drop counter now instead of at the next poll (tests, and a status refresh). */
  refreshKernelStats(): Promise<boolean> {
    return this.guard?.refreshKernelStats() ?? Promise.resolve(false);
  }

  /** "0.0.0.0:9000" once open, else the configured address and port. */
  get label(): string {
    const a = this.address;
    return a ? hostPort(a.address, a.port) : hostPort(this.options.localAddress, this.options.localPort);
  }

  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void {
    const socket = this.socket;
    if (this.state === 'open' && socket !== undefined) {
      try {
        if (!this.connected) {
          socket.send(data, port, host, this.track(cb));
        } else if (port === this.options.remotePort && host === this.options.remoteHost) {
          socket.send(data, this.unreachable ? this.sentWhileUnreachable(cb) : cb);
        } else {
          throw new UdpEndpointError('EISCONN', `endpoint ${this.label} only sends to ${hostPort(this.options.remoteHost, this.options.remotePort)}`, 'wrong destination');
        }
      } catch (e) {
        // dgram throws synchronously for a bad port or a closed socket; report it like an async failure.
        process.nextTick(cb, e as Error);
      }
    } else if (this.state === 'opening' && !this.closeWanted) {
      if (this.pending.length >= MAX_PENDING_SENDS) {
        process.nextTick(cb, new UdpEndpointError('ENOBUFS', `endpoint ${this.label} is still opening and ${MAX_PENDING_SENDS} packets are waiting`, 'send queue full'));
      } else {
        this.pending.push({ data, port, host, cb });
      }
    } else {
      const why = this.error ? `: ${this.error.message}` : '';
      process.nextTick(cb, new UdpEndpointError(this.error?.code ?? 'ENOTCONN', `endpoint ${this.label} is not open${why}`, 'endpoint not open'));
    }
  }

  private track(cb: SendCallback): SendCallback {
    const tracked: SendCallback = (err) => {
      // Called once: by dgram, or by failInflight() when the socket went first.
      if (!this.inflight.delete(tracked)) return;
      cb(err);
      if (this.inflight.size === 0) this.drained?.();
    };
    this.inflight.add(tracked);
    return tracked;
  }

  private failInflight(err: UdpEndpointError): void {
    for (const tracked of this.inflight) process.nextTick(tracked, err);
  }

  /** @internal */
  addUser(user: UdpEndpointUser): void {
    this.users.add(user);
    if (user.onMessage) this.receivers = [...this.receivers, user];
    // A failed endpoint gets another try when a user (re)joins: a partial redeploy after freeing the port works.
    if (this.state === 'failed') {
      this.state = 'opening';
      this.error = undefined;
      this.open();
    }
  }

  /** @internal A user's first look at every packet (see intercept.ts); undefined removes it. */
  setInterceptor(user: UdpEndpointUser, fn: PacketInterceptor | undefined): void {
    if (fn !== undefined && !this.users.has(user)) return; // released: nothing to intercept for
    this.interceptors.set(user, fn);
  }

  /** Interceptors set now (osc-request sets one only while a request of its own waits). */
  get interceptorCount(): number {
    return this.interceptors.list.length;
  }

  /** @internal Resolves once the socket is closed, when this was the last user. */
  removeUser(user: UdpEndpointUser): Promise<void> {
    if (!this.users.delete(user)) return this.closedPromise ?? Promise.resolve();
    if (user.onMessage) this.receivers = this.receivers.filter((u) => u !== user);
    this.interceptors.set(user, undefined);
    if (this.users.size > 0) return Promise.resolve();
    if (pool.get(this.key) === this) pool.delete(this.key);
    return this.close();
  }

  /** @internal */
  open(): void {
    const gen = ++this.generation;
    const start = (): void => {
      if (gen !== this.generation || this.closeWanted) return;
      this.bind();
    };
    // Always deferred, so users hear about the outcome only after acquire() has returned their handle;
    // allSettled: a failed close must not stop the next bind.
    void Promise.allSettled([...closing]).then(start);
  }

  private bind(): void {
    const o = this.options;
    const port = o.localPort;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      this.fail(new UdpEndpointError('EINVAL', `local port "${String(port)}" is not a port number (0-65535, 0 = any free port)`, 'bad local port'));
      return;
    }
    let guard: UdpReceiveGuard;
    try {
      guard = new UdpReceiveGuard(o.allow, o.rcvbuf);
    } catch (e) {
      const bufferProblem = e instanceof RangeError;
      this.fail(new UdpEndpointError('EINVAL', (e as Error).message, bufferProblem ? 'bad receive buffer' : 'bad allow-list'));
      return;
    }
    this.guard = guard;
    let socket: dgram.Socket;
    try {
      // Sharing a port between programs only makes sense for multicast; unicast keeps it exclusive so a
      // busy port is reported instead of silently splitting the traffic.
      socket = dgram.createSocket({ type: o.ipv, reuseAddr: o.multicastGroup !== '', lookup: cachedLookup });
    } catch (e) {
      this.fail(describeBindError(e, o));
      return;
    }
    this.socket = socket;
    const onBindError = (err: Error): void => {
      socket.removeListener('listening', onListening);
      this.fail(describeBindError(err, o));
    };
    const onListening = (): void => {
      socket.removeListener('error', onBindError);
      socket.on('error', (err) => this.socketError(err));
      this.listening(socket);
    };
    socket.once('error', onBindError);
    socket.once('listening', onListening);
    socket.on('message', (data, rinfo) => this.dispatch(data, rinfo));
    try {
      socket.bind({ port, address: o.localAddress, exclusive: true });
    } catch (e) {
      socket.removeListener('error', onBindError);
      socket.removeListener('listening', onListening);
      this.fail(describeBindError(e, o));
    }
  }

  private listening(socket: dgram.Socket): void {
    const o = this.options;
    if (this.closeWanted) {
      this.finishClose();
      return;
    }
    try {
      if (o.broadcast) socket.setBroadcast(true);
      if (o.multicastGroup !== '' || o.ttl !== DEFAULT_UDP_OPTIONS.ttl) this.setupMulticast(socket);
    } catch (e) {
      this.fail(
        e instanceof UdpEndpointError
          ? e
          : new UdpEndpointError(errorCode(e), `cannot set up ${hostPort(o.localAddress, o.localPort)}: ${(e as Error).message}`, `setup failed: ${errorCode(e)}`),
      );
      return;
    }
    try {
      // A burst (a bundle storm, a fader sweep) outruns a busy event loop; the kernel's default buffer (~200 KB,
      // a few hundred datagrams) then drops packets. The size is the rcvbuf property (1 MiB unless set); the
      // kernel caps the request at its own maximum, and the guard reads back what it granted.
      this.guard?.applyRecvBuffer(socket);
    } catch {
      // refused by the platform: the default buffer still works
    }
    if (o.remoteHost !== '' && o.remotePort > 0) {
      // @types/node declares no argument, but Node passes the lookup or connect error to this callback.
      socket.connect(o.remotePort, o.remoteHost, (err?: Error) => {
        if (this.socket !== socket) return; // failed meanwhile
        if (this.closeWanted) {
          this.finishClose();
          return;
        }
        // A host that does not resolve yet (a .local name before the network is up): send unconnected, each
        // send looking the name up again and reporting its own failure, as without a fixed destination.
        this.connected = !err;
        this.markOpen(socket);
      });
      return;
    }
    this.markOpen(socket);
  }

  private markOpen(socket: dgram.Socket): void {
    const o = this.options;
    const a = socket.address();
    this.address = { address: a.address, port: a.port, family: a.family };
    this.state = 'open';
    this.guard?.startKernelStats(a.port, o.ipv, () => this.notifyStats());
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) this.send(p.data, p.port, p.host, p.cb);
    this.notify();
  }

  private setupMulticast(socket: dgram.Socket): void {
    const o = this.options;
    const ttl = Number(o.ttl);
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) {
      throw new UdpEndpointError('EINVAL', `multicast TTL ${String(o.ttl)} is not an integer from 0 to 255`, 'bad TTL');
    }
    socket.setMulticastTTL(ttl);
    socket.setMulticastLoopback(o.multicastLoopback);
    if (o.multicastGroup === '') return;
    const group = o.multicastGroup;
    const iface = resolveInterface(o.multicastInterface, o.ipv);
    try {
      if (iface !== '') socket.setMulticastInterface(iface);
      if (iface !== '') socket.addMembership(group, iface);
      else socket.addMembership(group);
    } catch (e) {
      const code = errorCode(e);
      const on = iface !== '' ? ` on interface ${o.multicastInterface}` : '';
      const hint =
        code === 'EINVAL' && !net.isIP(group)
          ? `${group} is not an IP address`
          : code === 'EINVAL'
            ? `${group} is not a multicast address, or ${o.multicastInterface || 'the interface'} does not fit ${o.ipv}`
            : code === 'ENODEV' || code === 'EADDRNOTAVAIL'
              ? `no such interface${on}`
              : (e as Error).message;
      throw new UdpEndpointError(code, `cannot join multicast group ${group}${on}: ${hint} (${code})`, `multicast ${group}: ${code}`);
    }
  }

  private dispatch(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const guard = this.guard;
    // Refused before decoding: a stranger's packet costs one address check, never a msg.
    if (guard !== undefined && !guard.admit(rinfo.address, rinfo.port)) {
      this.notifyStats();
      return;
    }
    if (this.interceptors.list.length !== 0 && this.interceptors.run(data, rinfo)) return;
    const receivers = this.receivers;
    for (let i = 0; i < receivers.length; i++) {
      try {
        receivers[i].onMessage!(data, rinfo);
      } catch {
        // A throw here would escape into the event loop and stop Node-RED; receivers report their own errors.
      }
    }
  }

  /**
   * A send while the receiver was last seen gone: once it went out, wait a little for a refusal. None means the
   * receiver is back. A timer rather than the next send: ICMP errors are rate-limited (Linux: about one a
   * second per destination), so one send without a refusal proves nothing by itself.
   */
  private sentWhileUnreachable(cb: SendCallback): SendCallback {
    return (err) => {
      if (!err && this.unreachable && this.probe === undefined && this.state === 'open') {
        const since = Date.now();
        this.probe = setTimeout(() => {
          this.probe = undefined;
          if (!this.unreachable || this.state !== 'open' || this.refusedAt >= since) return;
          this.unreachable = false;
          if (this.error?.code === 'ECONNREFUSED') this.error = undefined;
          this.notify();
        }, RECEIVER_RECOVERY_MS);
        this.probe.unref();
      }
      cb(err);
    };
  }

  private socketError(err: Error): void {
    if (this.connected && errorCode(err) === 'ECONNREFUSED') {
      // Not a socket failure: the kernel's word that the last datagram found nobody listening.
      this.refusals++;
      this.refusedAt = Date.now();
      if (this.unreachable) return;
      this.unreachable = true;
      const to = hostPort(this.options.remoteHost, this.options.remotePort);
      this.error = new UdpEndpointError('ECONNREFUSED', `receiver ${to} unreachable: nothing is listening on that port (the system answered "port unreachable")`, 'receiver unreachable');
      this.notify();
      return;
    }
    this.error = new UdpEndpointError(errorCode(err), `socket error on ${this.label}: ${err.message}`, `socket error ${errorCode(err)}`);
    this.notify();
  }

  private fail(err: UdpEndpointError): void {
    this.guard?.stop();
    this.state = 'failed';
    this.error = err;
    this.address = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners('message');
      // Keep an error listener: a late error on a socket being dropped must not become an uncaught exception.
      socket.on('error', () => undefined);
      try {
        socket.close();
      } catch {
        // never bound: nothing to release
      }
    }
    this.failInflight(err);
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) process.nextTick(p.cb, err);
    if (this.closeWanted) {
      this.finishClose();
      return;
    }
    this.notify();
  }

  private notifyStats(): void {
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

  private close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closeWanted = true;
    this.generation++;
    this.closedPromise = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    const p = this.closedPromise;
    closing.add(p);
    void p.then(() => closing.delete(p));
    // A socket still binding finishes (listening or error) first; both paths then call finishClose().
    if (this.state !== 'opening' || this.socket === undefined) this.finishClose();
    return p;
  }

  private resolveClosed: (() => void) | undefined;

  private finishClose(): void {
    this.guard?.stop();
    if (this.probe !== undefined) clearTimeout(this.probe);
    this.probe = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.state = 'closed';
    this.address = undefined;
    live.delete(this);
    const resolve = this.resolveClosed;
    this.resolveClosed = undefined;
    const closedEarly = new UdpEndpointError('ENOTCONN', `endpoint ${this.label} closed before the packet was sent`, 'closed');
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) process.nextTick(p.cb, closedEarly);
    if (!resolve) return;
    if (!socket) {
      resolve();
      return;
    }
    socket.removeAllListeners('message');
    socket.on('error', () => undefined);
    let grace: NodeJS.Timeout | undefined;
    const closeSocket = (): void => {
      if (grace !== undefined) clearTimeout(grace);
      this.drained = undefined;
      this.failInflight(closedEarly);
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    };
    // Sends made just before the release (a flow's last messages at a redeploy) still go out.
    if (this.inflight.size === 0) {
      closeSocket();
      return;
    }
    grace = setTimeout(closeSocket, INFLIGHT_GRACE_MS);
    grace.unref();
    this.drained = closeSocket;
  }
}

/**
 * Joins the endpoint `key` (opening it for the first user). A live endpoint with the same key but other options
 * (a config node changed while an old user still holds it) is left to its users; the newcomer gets a new one.
 */
export function acquireUdpEndpoint(key: string, options: UdpEndpointOptions, user: UdpEndpointUser): UdpEndpointHandle {
  const resolved = resolveUdpOptions(options);
  let endpoint = pool.get(key);
  if (endpoint === undefined || endpoint.state === 'closed' || !sameOptions(endpoint.options, resolved)) {
    endpoint = new UdpEndpoint(key, resolved);
    pool.set(key, endpoint);
    endpoint.addUser(user);
    endpoint.open();
  } else {
    endpoint.addUser(user);
  }
  const ep = endpoint;
  let released: Promise<void> | undefined;
  return {
    endpoint: ep,
    send: (data, port, host, cb) => ep.send(data, port, host, cb),
    intercept: (fn) => ep.setInterceptor(user, fn),
    release: () => (released ??= ep.removeUser(user)),
  };
}

/** Resolves once every socket being closed is closed (a config node's close waits on this). */
export function whenSocketsClosed(): Promise<void> {
  if (closing.size === 0) return Promise.resolve();
  return Promise.allSettled([...closing]).then(() => undefined);
}

/** How many endpoints are not closed yet: tests use it to prove a redeploy leaks nothing. */
export function openEndpointCount(): number {
  return live.size;
}
