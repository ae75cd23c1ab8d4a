// A UDP endpoint: one socket, shared by every node that registers with its holder (the osc-udp config node), so
// a device that answers to the port we send from (scsynth, X32, XR18) is heard by the receivers on that socket.
// osc-out without an endpoint holds one of its own. Nothing here knows Node-RED.
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import * as os from 'node:os';
import { errorCode, flag, hostPort, num } from '../util';
import {
  EndpointBase,
  EndpointError,
  EndpointHolder,
  openEndpointCount as openCount,
  whenEndpointsClosed,
} from './endpoint';
import type { EndpointHooks, EndpointRole, EndpointStatus, SendCallback } from './endpoint';
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

/** Turns a bind error into words a user can act on. */
export function describeBindError(e: unknown, o: ResolvedUdpEndpointOptions): EndpointError {
  const code = errorCode(e);
  const where = hostPort(o.localAddress, o.localPort);
  const params = { where, address: o.localAddress, port: o.localPort };
  switch (code) {
    case 'EADDRINUSE':
      return new EndpointError(
        code,
        `cannot listen on ${where}: port ${o.localPort} is already in use by another program or node (EADDRINUSE)`,
        `port ${o.localPort} in use`,
        'EADDRINUSE.udp',
        params,
      );
    case 'EACCES':
    case 'EPERM':
      return new EndpointError(
        code,
        `cannot listen on ${where}: port ${o.localPort} needs privileges (${code}); choose a port above 1023`,
        `port ${o.localPort} needs privileges`,
        `${code}.udp`,
        { ...params, code },
      );
    case 'EADDRNOTAVAIL':
      return new EndpointError(
        code,
        `cannot listen on ${where}: ${o.localAddress} is not an address of this machine (EADDRNOTAVAIL)`,
        `address ${o.localAddress} not available`,
        'EADDRNOTAVAIL.udp',
        params,
      );
    default: {
      const detail = (e as Error)?.message ?? String(e);
      return new EndpointError(
        code,
        `cannot listen on ${where} (${o.ipv}): ${detail}`,
        `cannot listen: ${code}`,
        'OTHER.udpListen',
        {
          ...params,
          code,
          ipv: o.ipv,
          detail,
        },
      );
    }
  }
}

/**
 * An interface given by name ("eth0") becomes the address the socket calls need: its IPv4 address for udp4,
 * "::%name" (scope id) for udp6. Throws an EndpointError when no such interface exists.
 */
export function resolveInterface(iface: string, ipv: 'udp4' | 'udp6'): string {
  if (iface === '' || net.isIP(iface) !== 0 || iface.includes('%')) return iface;
  const entries = os.networkInterfaces()[iface];
  if (!entries || entries.length === 0) {
    const names = Object.keys(os.networkInterfaces()).join(', ');
    throw new EndpointError(
      'ENODEV',
      `no network interface named "${iface}" (this machine has: ${names})`,
      `no interface ${iface}`,
      'ENODEV.interface',
      {
        iface,
        names,
      },
    );
  }
  if (ipv === 'udp6') return `::%${iface}`;
  const v4 = entries.find((e) => e.family === 'IPv4');
  if (!v4) {
    throw new EndpointError(
      'EADDRNOTAVAIL',
      `network interface "${iface}" has no IPv4 address`,
      `no IPv4 on ${iface}`,
      'EADDRNOTAVAIL.interface',
      {
        iface,
      },
    );
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
  const family = typeof options === 'number' ? options : ((options.family as number | undefined) ?? 0);
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

/** How often at most the users hear again about senders refused by the allow-list; the status counts them all. */
const REJECTED_WARNING_INTERVAL_MS = 60000;

export class UdpEndpoint extends EndpointBase {
  readonly options: ResolvedUdpEndpointOptions;
  /** The largest datagram this endpoint can send. */
  readonly maxPacket: number;
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
  private rejectedWarned = 0;
  private rejectedWarnedAt = -Infinity;
  private bufferWarned: string | undefined;

  private socket: dgram.Socket | undefined;
  private pending: PendingSend[] = [];
  // Unconnected sends handed to dgram and not yet called back. dgram holds each one until its address lookup
  // answers (a tick for an IP address, the resolver for a name) and drops it without calling back when the socket
  // closes meanwhile, so closing waits for them and fails what is left.
  private readonly inflight = new Set<SendCallback>();
  private drained: (() => void) | undefined;
  private resolveClosed: (() => void) | undefined;
  private generation = 0;

  constructor(options: UdpEndpointOptions, hooks?: EndpointHooks) {
    super('udp', hooks);
    this.options = resolveUdpOptions(options);
    this.maxPacket = this.options.ipv === 'udp6' ? MAX_DATAGRAM_UDP6 : MAX_DATAGRAM_UDP4;
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

  protected override admits(address: string): boolean {
    return this.guard ? this.guard.allowList.allows(address) : false;
  }

  /** "0.0.0.0:9000" once open, else the configured address and port. */
  get label(): string {
    const a = this.address;
    return a ? hostPort(a.address, a.port) : hostPort(this.options.localAddress, this.options.localPort);
  }

  status(role: EndpointRole = 'receive'): EndpointStatus {
    const label = this.label;
    const counters = {
      rejected: this.rejected,
      lastRejected: this.lastRejected,
      kernelDrops: this.kernelDrops,
      refusals: this.refusals,
      peers: undefined,
    };
    const base = {
      state: this.state,
      retrying: false,
      unreachable: this.state === 'open' && this.unreachable,
      counters,
    };
    switch (this.state) {
      case 'opening':
        return { ...base, text: `opening ${label}`, key: 'opening', params: { label } };
      case 'open':
        return role === 'send'
          ? { ...base, text: `from ${label}`, key: 'sendingFrom', params: { label } }
          : { ...base, text: `listening on ${label}`, key: 'listening', params: { label } };
      default:
        return this.error
          ? { ...base, text: this.error.short, key: 'failed', params: {} }
          : { ...base, text: 'closed', key: 'closed', params: {} };
    }
  }

  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void {
    const socket = this.socket;
    if (this.state === 'open' && socket !== undefined) {
      try {
        if (!this.connected) {
          if (this.taps.length !== 0) this.tapped('out', data, host, port);
          socket.send(data, port, host, this.track(cb));
        } else if (port === this.options.remotePort && host === this.options.remoteHost) {
          if (this.taps.length !== 0) this.tapped('out', data, host, port);
          socket.send(data, this.unreachable ? this.sentWhileUnreachable(cb) : cb);
        } else {
          const to = hostPort(this.options.remoteHost, this.options.remotePort);
          throw new EndpointError(
            'EISCONN',
            `endpoint ${this.label} only sends to ${to}`,
            'wrong destination',
            'EISCONN.udp',
            { label: this.label, to },
          );
        }
      } catch (e) {
        // dgram throws synchronously for a bad port or a closed socket; report it like an async failure.
        process.nextTick(cb, e as Error);
      }
    } else if (this.state === 'opening' && !this.closing) {
      if (this.pending.length >= MAX_PENDING_SENDS) {
        process.nextTick(
          cb,
          new EndpointError(
            'ENOBUFS',
            `endpoint ${this.label} is still opening and ${MAX_PENDING_SENDS} packets are waiting`,
            'send queue full',
            'ENOBUFS.opening',
            {
              label: this.label,
              count: MAX_PENDING_SENDS,
            },
          ),
        );
      } else {
        this.pending.push({ data, port, host, cb });
      }
    } else {
      const why = this.error ? `: ${this.error.message}` : '';
      process.nextTick(
        cb,
        new EndpointError(
          this.error?.code ?? 'ENOTCONN',
          `endpoint ${this.label} is not open${why}`,
          'endpoint not open',
          'ENOTCONN.udpNotOpen',
          {
            label: this.label,
            reason: this.error?.message ?? '',
          },
        ),
      );
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

  private failInflight(err: EndpointError): void {
    for (const tracked of this.inflight) process.nextTick(tracked, err);
  }

  protected canRetry(): boolean {
    return true;
  }

  protected open(): void {
    this.state = 'opening';
    this.error = undefined;
    const gen = ++this.generation;
    const start = (): void => {
      if (gen !== this.generation || this.closing) return;
      this.bind();
    };
    // Always deferred, so users hear about the outcome only after register() has returned their handle, and
    // after every UDP socket still closing is gone (a redeploy binding its own port again).
    void whenEndpointsClosed('udp').then(start);
  }

  private bind(): void {
    const o = this.options;
    const port = o.localPort;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      this.fail(
        new EndpointError(
          'EINVAL',
          `local port "${String(port)}" is not a port number (0-65535, 0 = any free port)`,
          'bad local port',
          'EINVAL.localPort',
          {
            port: String(port),
          },
        ),
      );
      return;
    }
    let guard: UdpReceiveGuard;
    try {
      guard = new UdpReceiveGuard(o.allow, o.rcvbuf);
    } catch (e) {
      const bufferProblem = e instanceof RangeError;
      const detail = (e as Error).message;
      this.fail(
        bufferProblem
          ? new EndpointError('EINVAL', detail, 'bad receive buffer', 'EINVAL.rcvbuf', { value: String(o.rcvbuf) })
          : new EndpointError('EINVAL', detail, 'bad allow-list', 'EINVAL.allowList', { detail }),
      );
      return;
    }
    this.guard = guard;
    this.rejectedWarned = 0;
    this.rejectedWarnedAt = -Infinity;
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
    socket.on('message', (data, rinfo) => this.receive(data, rinfo));
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
    if (this.closing) {
      this.finishClose();
      return;
    }
    try {
      if (o.broadcast) socket.setBroadcast(true);
      if (o.multicastGroup !== '' || o.ttl !== DEFAULT_UDP_OPTIONS.ttl) this.setupMulticast(socket);
    } catch (e) {
      if (e instanceof EndpointError) {
        this.fail(e);
      } else {
        const code = errorCode(e);
        const where = hostPort(o.localAddress, o.localPort);
        const detail = (e as Error).message;
        this.fail(
          new EndpointError(code, `cannot set up ${where}: ${detail}`, `setup failed: ${code}`, 'OTHER.udpSetup', {
            code,
            where,
            detail,
          }),
        );
      }
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
        if (this.closing) {
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
    const warning = this.recvBufferWarning;
    const r = this.recvBuffer;
    if (warning !== undefined && r !== undefined && warning !== this.bufferWarned) {
      this.bufferWarned = warning;
      const usable = process.platform === 'linux' ? r.granted / 2 : r.granted;
      this.warnUsers(
        new EndpointError('RCVBUF', `${this.label}: ${warning}`, 'small receive buffer', 'RCVBUF.capped', {
          label: this.label,
          asked: r.asked,
          granted: usable,
          detail: warning,
        }),
      );
    }
  }

  private setupMulticast(socket: dgram.Socket): void {
    const o = this.options;
    const ttl = Number(o.ttl);
    if (!Number.isInteger(ttl) || ttl < 0 || ttl > 255) {
      throw new EndpointError(
        'EINVAL',
        `multicast TTL ${String(o.ttl)} is not an integer from 0 to 255`,
        'bad TTL',
        'EINVAL.ttl',
        { ttl: String(o.ttl) },
      );
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
      const [key, hint] =
        code === 'EINVAL' && !net.isIP(group)
          ? ['EINVAL.multicastNotIp', `${group} is not an IP address`]
          : code === 'EINVAL'
            ? [
                'EINVAL.multicastNotGroup',
                `${group} is not a multicast address, or ${o.multicastInterface || 'the interface'} does not fit ${o.ipv}`,
              ]
            : code === 'ENODEV' || code === 'EADDRNOTAVAIL'
              ? [`${code}.multicastNoInterface`, `no such interface${on}`]
              : ['OTHER.multicast', (e as Error).message];
      throw new EndpointError(
        code,
        `cannot join multicast group ${group}${on}: ${hint} (${code})`,
        `multicast ${group}: ${code}`,
        key,
        {
          code,
          group,
          iface: o.multicastInterface,
          ipv: o.ipv,
          detail: hint,
        },
      );
    }
  }

  private receive(data: Buffer, rinfo: dgram.RemoteInfo): void {
    const guard = this.guard;
    // Refused before decoding: a stranger's packet costs one address check, never a msg.
    if (guard !== undefined && !guard.admit(rinfo.address, rinfo.port)) {
      this.refused(guard);
      return;
    }
    this.dispatch(data, rinfo);
  }

  /** A line when strangers start sending, then at most one a minute: the status keeps the running count. */
  private refused(guard: UdpReceiveGuard): void {
    this.notifyStats();
    const now = Date.now();
    if (guard.rejected <= this.rejectedWarned || now - this.rejectedWarnedAt < REJECTED_WARNING_INTERVAL_MS) return;
    const n = guard.rejected - this.rejectedWarned;
    this.rejectedWarned = guard.rejected;
    this.rejectedWarnedAt = now;
    const last = guard.lastRejected ?? '?';
    this.warnUsers(
      new EndpointError(
        'NOT_ALLOWED',
        `dropped ${n} packet${n === 1 ? '' : 's'} from senders not in the allow-list of ${this.label} (last from ${last})`,
        'not allowed',
        'NOT_ALLOWED.udp',
        { count: n, label: this.label, last },
      ),
    );
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
    const code = errorCode(err);
    if (this.connected && code === 'ECONNREFUSED') {
      // Not a socket failure: the kernel's word that the last datagram found nobody listening.
      this.refusals++;
      this.refusedAt = Date.now();
      if (this.unreachable) return;
      this.unreachable = true;
      const to = hostPort(this.options.remoteHost, this.options.remotePort);
      this.error = new EndpointError(
        'ECONNREFUSED',
        `receiver ${to} unreachable: nothing is listening on that port (the system answered "port unreachable")`,
        'receiver unreachable',
        'ECONNREFUSED.udp',
        { to },
      );
      this.notify();
      return;
    }
    this.error = new EndpointError(
      code,
      `socket error on ${this.label}: ${err.message}`,
      `socket error ${code}`,
      'OTHER.udpSocket',
      {
        code,
        label: this.label,
        detail: err.message,
      },
    );
    this.notify();
  }

  private fail(err: EndpointError): void {
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
    if (this.closing) {
      this.finishClose();
      return;
    }
    this.notify();
  }

  protected shutdown(): Promise<void> {
    this.generation++;
    const closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    // A socket still binding finishes (listening or error) first; both paths then call finishClose().
    if (this.state !== 'opening' || this.socket === undefined) this.finishClose();
    return closed;
  }

  private finishClose(): void {
    this.guard?.stop();
    if (this.probe !== undefined) clearTimeout(this.probe);
    this.probe = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.state = 'closed';
    this.address = undefined;
    const resolve = this.resolveClosed;
    this.resolveClosed = undefined;
    const closedEarly = new EndpointError(
      'ENOTCONN',
      `endpoint ${this.label} closed before the packet was sent`,
      'closed',
      'ENOTCONN.udpClosed',
      {
        label: this.label,
      },
    );
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

/** The holder of one UDP endpoint with these options: what an osc-udp config node, or osc-out for its own socket, keeps. */
export function udpEndpointHolder(options: UdpEndpointOptions, hooks?: EndpointHooks): EndpointHolder<UdpEndpoint> {
  return new EndpointHolder(() => new UdpEndpoint(options, hooks));
}

/** Resolves once every UDP socket being closed is closed (a config node's close waits on this). */
export function whenSocketsClosed(): Promise<void> {
  return whenEndpointsClosed('udp');
}

/** How many UDP endpoints are not closed yet: tests use it to prove a redeploy leaks nothing. */
export function openEndpointCount(): number {
  return openCount('udp');
}
