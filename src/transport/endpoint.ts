// The one contract of the transport layer: what every endpoint (UDP socket, TCP client or server, and whatever
// comes next) is to the nodes that use it, the error it reports, and who holds it. The bookkeeping every endpoint
// needs (its users, telling them what happened, closing once) lives here once, in EndpointBase; udp.ts and
// tcp-endpoint.ts only open, send and close their own kind of socket. Nothing here knows Node-RED.
import type { RemoteInfo } from 'node:dgram';
import type { OscError } from '../osc/errors';

export type Transport = 'udp' | 'tcp';

export type EndpointState = 'opening' | 'open' | 'failed' | 'closed';

/** Values interpolated into an error's or a status's English words, by name, for a translation to reuse. */
export type EndpointParams = Readonly<Record<string, string | number>>;

/**
 * Why an endpoint could not open, why a send failed, or something worth a warning. `code` is the system's
 * (EADDRINUSE, ECONNREFUSED, ENOTFOUND...) or one of ours (ENOTCONN, ENOBUFS, EINVAL, LIMIT_EXCEEDED...).
 * `message` and `short` are English; a translation renders `key` with `params`, which hold every value the
 * English words contain. Keys are a fixed set (docs/endpoints.md lists them): `<code>.<case>`, or
 * `OTHER.<case>` where the system chose the code (it is then params.code, and params.detail the system's words).
 */
export class EndpointError extends Error {
  readonly code: string;
  /** A few words for a node status, e.g. "port 9000 in use". */
  readonly short: string;
  /** Catalogue key: the code, then which of its messages this is ("EADDRINUSE.udp", "EINVAL.allowList", "OTHER.udpSocket"). */
  readonly key: string;
  readonly params: EndpointParams;

  constructor(code: string, message: string, short: string, key: string, params: EndpointParams = {}) {
    super(message);
    this.name = 'EndpointError';
    this.code = code;
    this.short = short;
    this.key = key;
    this.params = params;
  }
}

/** A peer: the sender of a packet, a client of a server, the server of a client. */
export interface Peer {
  address: string;
  port: number;
}

/** What a node using the endpoint does in it: receive, send, or both (the words of its status differ). */
export type EndpointRole = 'receive' | 'send';

export interface EndpointCounters {
  /** Datagrams (UDP) or connections (TCP server) refused by the allow-list since the endpoint opened. */
  readonly rejected: number;
  /** The last sender or client refused, "address:port". */
  readonly lastRejected: string | undefined;
  /** Datagrams the kernel dropped at the socket (receive buffer full); undefined where unknown or not UDP. */
  readonly kernelDrops: number | undefined;
  /** Sends refused at their destination (UDP connected to osc-out's fixed destination: port unreachable). */
  readonly refusals: number;
  /** Peers connected now (a TCP server's clients; 1 or 0 for a TCP client); undefined when connectionless. */
  readonly peers: number | undefined;
}

/** What status() returns: everything a node needs for its status, without knowing the transport. */
export interface EndpointStatus {
  readonly state: EndpointState;
  /**
   * English words for the state, for a node status: "opening 0.0.0.0:9000", "listening on 127.0.0.1:9000",
   * "from 127.0.0.1:41000", "connected to qlab.local:53000", "listening on tcp 0.0.0.0:9000 · 2 clients",
   * "refused · retrying 10.0.0.5:53000", "port 9000 in use", "closed". Counters are not in it.
   */
  readonly text: string;
  /** Catalogue key of `text` (see EndpointStatusKey) and its values; "failed" text is the error's `short`. */
  readonly key: EndpointStatusKey;
  readonly params: EndpointParams;
  /** Not open, and trying again by itself (a TCP client): worth a warning, not an error. */
  readonly retrying: boolean;
  /** Open, but nothing listened at the fixed destination at the last send (UDP connected): show it red. */
  readonly unreachable: boolean;
  readonly counters: EndpointCounters;
}

/**
 * opening {label} · connecting {label} · listening {label} · sendingFrom {label} · connected {label} ·
 * listeningTcp {label, clients} · retrying {reason, label} (reason: the error's short) · failed (the error's
 * short) · closed.
 */
export type EndpointStatusKey =
  | 'opening'
  | 'connecting'
  | 'listening'
  | 'sendingFrom'
  | 'connected'
  | 'listeningTcp'
  | 'retrying'
  | 'failed'
  | 'closed';

export type SendCallback = (err: Error | null) => void;

/**
 * A user's first look at each packet, before the receivers (onMessage) get it; returns true to keep it from them
 * (the packet was consumed). osc-request sets one only while a request of its own waits, to take its replies.
 * Must not throw (it is guarded anyway).
 */
export type PacketInterceptor = (data: Buffer, from: RemoteInfo) => boolean;

/** Which way a packet passed an endpoint: received from a peer, or sent to one. */
export type TrafficDirection = 'in' | 'out';

/**
 * A look at every packet an endpoint receives or sends (the monitor, OSCQuery's current values). Runs in the
 * message path, so it must be quick, must not keep `data` (the socket may reuse it: copy what is kept), and must
 * not throw (it is guarded anyway). Received packets are seen before interceptors and receivers; sent packets
 * just before they go to the socket (a send the socket then fails was still seen). `peer` is the sender, or the
 * destination as given to send() (a TCP server's broadcast: address "" and port 0; a TCP client: its server).
 */
export type TrafficTap = (direction: TrafficDirection, data: Uint8Array, peer: Peer, endpoint: Endpoint) => void;

/** The face every endpoint shows its users, in full. */
export interface Endpoint {
  readonly transport: Transport;
  readonly state: EndpointState;
  /** "address:port": where it listens, or the server a client connects to (IPv6 in brackets). */
  readonly label: string;
  /** Why it failed to open, or the last error while open (a socket error, a receiver unreachable). */
  readonly error: EndpointError | undefined;
  /** The largest packet send() takes: one datagram (UDP), or the largest frame a peer is expected to take (TCP). */
  readonly maxPacket: number;
  /** Its state in words, with its counters. */
  status(role?: EndpointRole): EndpointStatus;
  /** How it is published on the network, when it is (see EndpointAdvertisement). */
  readonly advertised?: EndpointAdvertisement;
  /**
   * Sends one packet; `cb` is called once, never synchronously, with null or an Error with a `code`.
   * UDP: to host:port (queued while opening). TCP client: host and port are ignored (the connection is the
   * destination). TCP server: both name one connected client; both empty ('' and 0) send to every client.
   */
  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void;
}

/** What a node gives an endpoint when it registers. Every hook is optional and must not throw (it is guarded). */
export interface EndpointUser {
  /** A packet; `data` is the node's own Buffer. `from` names the peer (for a TCP client: the server). */
  onMessage?(data: Buffer, from: RemoteInfo): void;
  /** The endpoint opened, failed, closed, reports an error while open, or (TCP) a peer came or went. */
  onStateChange?(endpoint: Endpoint): void;
  /** A counter moved (see EndpointCounters): refresh the status. */
  onStats?(endpoint: Endpoint): void;
  /**
   * A stream broke its framing (OscError BAD_FRAME, LIMIT_EXCEEDED) or a connection was refused
   * (EndpointError LIMIT_EXCEEDED), with the peer. Only streams (TCP) have these. When no user has this hook,
   * the holder's onUnhandledError gets them.
   */
  onStreamError?(error: OscError | EndpointError, from: Peer | undefined): void;
  /**
   * Something to log as a warning, worded and paced by the endpoint: datagrams from senders not on the
   * allow-list (the first, then at most a line a minute), a receive buffer smaller than asked.
   */
  onWarning?(warning: EndpointError): void;
}

/** What a registered user holds. */
export interface EndpointHandle<E extends Endpoint = Endpoint> {
  readonly endpoint: E;
  /** endpoint.send(). */
  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void;
  /**
   * Sets (or with undefined clears) this user's interceptor: every interceptor sees each packet, in the order
   * they were set, before the receivers; one returning true keeps the packet from the receivers. Released
   * handles cannot set one; releasing clears it.
   */
  intercept(fn: PacketInterceptor | undefined): void;
  /** Deregisters (once; again is harmless); resolves once the endpoint is closed when this was its last user. */
  release(): Promise<void>;
}

/** What the holder of an endpoint (a config node) hears that is nobody else's to report. */
export interface EndpointHooks {
  /** Stream errors when no user has onStreamError: they are still reported somewhere. */
  onUnhandledError?(error: OscError | EndpointError, from: Peer | undefined): void;
  /** A warning about the endpoint as a whole, logged once for all its users (a TCP client refused by the allow-list). */
  onWarning?(warning: EndpointError): void;
  /**
   * What the users hear by onStateChange, and the endpoint's close: whoever publishes the endpoint on the network
   * (DNS-SD) follows its bound address from here, across the endpoints the holder makes one after another.
   */
  onStateChange?(endpoint: EndpointBase): void;
}

/** How the endpoint is published by DNS-SD (mDNS), for its users' statuses: set by whoever advertises it. */
export interface EndpointAdvertisement {
  /** The service instance name, after any renaming on a conflict ("Node-RED on studio (2)"). */
  readonly name: string;
  /** probing: claiming the name; announced: published; failed: not published (`reason` says why). */
  readonly state: 'probing' | 'announced' | 'failed';
  readonly reason?: string;
}

// Per transport, since only sockets of one kind compete for a port: endpoints being closed (an endpoint about to
// bind waits for them, so a redeploy never meets its own old socket), and every endpoint not yet closed.
const registries: Record<Transport, { closing: Set<Promise<void>>; live: Set<EndpointBase> }> = {
  udp: { closing: new Set(), live: new Set() },
  tcp: { closing: new Set(), live: new Set() },
};

/** Resolves once every endpoint of that transport being closed is closed; a failed close does not hold it up. */
export function whenEndpointsClosed(transport: Transport): Promise<void> {
  const closing = registries[transport].closing;
  if (closing.size === 0) return Promise.resolve();
  return Promise.allSettled([...closing]).then(() => undefined);
}

/**
 * Who an endpoint belongs to, in words a user recognises (the monitor lists endpoints by it): the config node's
 * id and name or label, or "osc out <name> (own socket)". Set by whoever creates the holder; the transport layer
 * only carries it.
 */
export interface EndpointOwner {
  readonly id: string;
  readonly name: string;
}

/** Hears each endpoint created, and each closed (its socket let go); see watchEndpoints(). */
export type EndpointWatcher = (endpoint: EndpointBase, event: 'created' | 'closed') => void;
const watchers = new Set<EndpointWatcher>();

function tellWatchers(endpoint: EndpointBase, event: 'created' | 'closed'): void {
  for (const w of watchers) {
    try {
      w(endpoint, event);
    } catch {
      // A watcher's fault must not stop an endpoint opening or closing.
    }
  }
}

/**
 * Calls `fn` for every endpoint not yet closed (now, as 'created') and then for each created and each closed
 * from now on, until the returned function is called. Whoever observes all traffic (the monitor) starts here.
 */
export function watchEndpoints(fn: EndpointWatcher): () => void {
  watchers.add(fn);
  for (const ep of [...registries.udp.live, ...registries.tcp.live]) {
    try {
      fn(ep, 'created');
    } catch {
      // see tellWatchers()
    }
  }
  return () => {
    watchers.delete(fn);
  };
}

/** Endpoints not closed yet (of one transport, or all): tests use it to prove a redeploy leaks nothing. */
export function openEndpointCount(transport?: Transport): number {
  if (transport !== undefined) return registries[transport].live.size;
  return registries.udp.live.size + registries.tcp.live.size;
}

/**
 * The bookkeeping every endpoint shares: its users, telling them what happened, and closing once. A subclass
 * opens (open(), called for the first user, and again when a user joins a failed endpoint that canRetry()),
 * sends, and shuts its socket down (shutdown(), called once, after the last user left or the holder closed).
 */
export abstract class EndpointBase implements Endpoint {
  readonly transport: Transport;
  state: EndpointState = 'opening';
  error: EndpointError | undefined;
  /** Who holds it (see EndpointOwner); undefined when nobody said. */
  owner: EndpointOwner | undefined;
  advertised: EndpointAdvertisement | undefined;
  abstract readonly maxPacket: number;
  abstract get label(): string;
  abstract status(role?: EndpointRole): EndpointStatus;
  abstract send(data: Uint8Array, port: number, host: string, cb: SendCallback): void;

  protected readonly hooks: EndpointHooks;
  private readonly users = new Set<EndpointUser>();
  // A plain array of the users with onMessage: iterated for every packet.
  private receivers: EndpointUser[] = [];
  // Likewise for interceptors, one per user at most; usually empty, which costs dispatch one length check.
  private interceptors: PacketInterceptor[] = [];
  private readonly interceptorOf = new Map<EndpointUser, PacketInterceptor>();
  // Taps, likewise usually empty: subclasses check the length before calling tapped(), so no tap costs one check.
  protected taps: TrafficTap[] = [];
  private closedPromise: Promise<void> | undefined;
  private started = false;

  protected constructor(transport: Transport, hooks: EndpointHooks = {}) {
    this.transport = transport;
    this.hooks = hooks;
    registries[transport].live.add(this);
    if (watchers.size !== 0) queueMicrotask(() => tellWatchers(this, 'created'));
  }

  /** Opens the socket (never synchronously reporting the outcome: the user must hold its handle first). */
  protected abstract open(): void;
  /** Closes the socket; resolves once it is closed. Called once. Must not reject. */
  protected abstract shutdown(): Promise<void>;
  /** Whether a user joining a failed endpoint makes it try again (a port freed since). */
  protected abstract canRetry(): boolean;

  get userCount(): number {
    return this.users.size;
  }

  /** Interceptors set now (osc-request sets one only while a request of its own waits). */
  get interceptorCount(): number {
    return this.interceptors.length;
  }

  /** Taps set now (the monitor sets them only while an editor watches). */
  get tapCount(): number {
    return this.taps.length;
  }

  /** close() was called: the endpoint is closed or closing, and will not open again. */
  get closing(): boolean {
    return this.closedPromise !== undefined;
  }

  /** @internal EndpointHolder's. */
  addUser(user: EndpointUser): void {
    this.users.add(user);
    if (user.onMessage) this.receivers = [...this.receivers, user];
    if (!this.started) {
      this.started = true;
      this.open();
    } else if (this.state === 'failed' && this.canRetry()) {
      // A partial redeploy after the port was freed works without restarting the config node.
      this.open();
    }
  }

  /** @internal EndpointHolder's. Resolves once closed, when this was the last user. */
  removeUser(user: EndpointUser): Promise<void> {
    if (!this.users.delete(user)) return this.closedPromise ?? Promise.resolve();
    if (user.onMessage) this.receivers = this.receivers.filter((u) => u !== user);
    this.setInterceptor(user, undefined);
    if (this.users.size > 0) return Promise.resolve();
    return this.close();
  }

  /** @internal EndpointHolder's: a registered user's interceptor, or undefined to clear it. */
  setInterceptor(user: EndpointUser, fn: PacketInterceptor | undefined): void {
    if (fn === undefined) {
      if (!this.interceptorOf.delete(user)) return;
    } else {
      // A released handle has nothing to intercept for.
      if (!this.users.has(user) || this.interceptorOf.get(user) === fn) return;
      this.interceptorOf.set(user, fn);
    }
    this.interceptors = [...this.interceptorOf.values()];
  }

  /**
   * Adds a look at every packet this endpoint receives and sends from now on; returns the function that removes
   * it. See TrafficTap.
   */
  tap(fn: TrafficTap): () => void {
    this.taps = [...this.taps, fn];
    return () => {
      this.taps = this.taps.filter((t) => t !== fn);
    };
  }

  /** Shows a packet to the taps; callers check `taps.length !== 0` first, so the message path pays nothing else. */
  protected tapped(direction: TrafficDirection, data: Uint8Array, address: string, port: number): void {
    const taps = this.taps;
    const peer: Peer = { address, port };
    for (let i = 0; i < taps.length; i++) {
      try {
        taps[i](direction, data, peer, this);
      } catch {
        // see dispatch()
      }
    }
  }

  /** Sets (or clears) how the endpoint is published, and tells the users so their statuses show it. */
  setAdvertised(a: EndpointAdvertisement | undefined): void {
    const was = this.advertised;
    if (was === a || (was && a && was.name === a.name && was.state === a.state && was.reason === a.reason)) return;
    this.advertised = a;
    if (this.state !== 'closed') this.notify();
  }

  /** Closes whoever still uses it; resolves once the socket is closed. */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    const registry = registries[this.transport];
    // Assigned before shutdown() runs, so the subclass sees `closing` while it shuts down.
    let done!: () => void;
    const p = new Promise<void>((resolve) => (done = resolve));
    this.closedPromise = p;
    registry.closing.add(p);
    const finish = (): void => {
      this.state = 'closed';
      registry.live.delete(this);
      registry.closing.delete(p);
      this.taps = [];
      if (watchers.size !== 0) tellWatchers(this, 'closed');
      this.tellHolder();
      done();
    };
    // A shutdown that went wrong has still let go of what it could: nobody waits on it forever.
    void this.shutdown().then(finish, finish);
    return p;
  }

  /**
   * Delivers a packet that reached this machine some other way than the endpoint's socket (OSCQuery's WebSocket)
   * as if it had arrived on it, from `peer`: taps, interceptors and receivers see it alike. False, and nothing
   * delivered, while the endpoint is not open or when its allow-list refuses the peer.
   */
  deliver(data: Buffer, peer: Peer): boolean {
    if (this.state !== 'open' || !this.admits(peer.address)) return false;
    const family = peer.address.includes(':') ? 'IPv6' : 'IPv4';
    this.dispatch(data, { address: peer.address, port: peer.port, family, size: data.length });
    return true;
  }

  /** Whether the endpoint's allow-list (if it has one) lets `address` send to it; deliver() asks. */
  protected admits(_address: string): boolean {
    return true;
  }

  /** Delivers a packet to every receiver, unless an interceptor consumed it. */
  protected dispatch(data: Buffer, from: RemoteInfo): void {
    if (this.taps.length !== 0) this.tapped('in', data, from.address, from.port);
    if (this.interceptors.length !== 0 && this.intercepted(data, from)) return;
    const receivers = this.receivers;
    for (let i = 0; i < receivers.length; i++) {
      try {
        receivers[i].onMessage!(data, from);
      } catch {
        // A throw here would escape into the socket's event handler and stop Node-RED; users report their own.
      }
    }
  }

  // Every interceptor looks (two request nodes may both wait for the packet); true when one consumed it.
  private intercepted(data: Buffer, from: RemoteInfo): boolean {
    const list = this.interceptors;
    let consumed = false;
    for (let i = 0; i < list.length; i++) {
      try {
        if (list[i](data, from) === true) consumed = true;
      } catch {
        // see dispatch()
      }
    }
    return consumed;
  }

  protected notify(): void {
    for (const u of this.users) {
      try {
        u.onStateChange?.(this);
      } catch {
        // see dispatch()
      }
    }
    this.tellHolder();
  }

  private tellHolder(): void {
    try {
      this.hooks.onStateChange?.(this);
    } catch {
      // see dispatch()
    }
  }

  protected notifyStats(): void {
    for (const u of this.users) {
      try {
        u.onStats?.(this);
      } catch {
        // see dispatch()
      }
    }
  }

  /** To the users that hear stream errors, or to the holder when none does. */
  protected streamError(err: OscError | EndpointError, from: Peer | undefined): void {
    let handled = false;
    for (const r of this.users) {
      if (!r.onStreamError) continue;
      handled = true;
      try {
        r.onStreamError(err, from);
      } catch {
        // see dispatch()
      }
    }
    if (handled) return;
    try {
      this.hooks.onUnhandledError?.(err, from);
    } catch {
      // see dispatch()
    }
  }

  /** A warning for each user that logs warnings. */
  protected warnUsers(warning: EndpointError): void {
    for (const u of this.users) {
      try {
        u.onWarning?.(warning);
      } catch {
        // see dispatch()
      }
    }
  }

  /** A warning logged once, by the holder, for all users. */
  protected warnHolder(warning: EndpointError): void {
    try {
      this.hooks.onWarning?.(warning);
    } catch {
      // see dispatch()
    }
  }
}

/**
 * Who holds an endpoint: a config node (osc-udp, osc-tcp), or osc-out for a socket of its own. Nodes register
 * with it (opening the endpoint for the first) and release their handle (closing it after the last); a user
 * coming back after that gets a fresh endpoint. close() ends it whoever still uses it.
 */
export class EndpointHolder<E extends EndpointBase = EndpointBase> {
  private current: E | undefined;
  private owner: EndpointOwner | undefined;

  constructor(private readonly create: () => E) {}

  /** Names who holds the endpoint, now and for every endpoint it creates later (see EndpointOwner). */
  describe(owner: EndpointOwner): this {
    this.owner = owner;
    if (this.current) this.current.owner = owner;
    return this;
  }

  /** The endpoint now in use, if any. */
  get endpoint(): E | undefined {
    return this.current;
  }

  register(user: EndpointUser): EndpointHandle<E> {
    if (this.current === undefined || this.current.closing) {
      this.current = this.create();
      this.current.owner = this.owner;
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

  /** Closes the endpoint whoever still uses it (the holder is stopping, and so are its users). */
  close(): Promise<void> {
    return this.current ? this.current.close() : Promise.resolve();
  }
}
