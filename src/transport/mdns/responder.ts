/**
 * One multicast DNS responder and browser per process (RFC 6762 / RFC 6763), shared by every advertisement and
 * every browser and open only while one exists.
 *
 * One UDP socket on 0.0.0.0:5353, bound with address reuse so the system's responder (Avahi, mDNSResponder) keeps
 * the port too, joined to 224.0.0.251 on every IPv4 interface, the loopback included. Sending goes out on one
 * interface at a time (the multicast interface is set before each datagram, and datagrams leave one after the
 * other), so each interface gets the records that hold on it. The interface a packet came in on is told by its
 * source address: our own address on that interface (our own packets and local peers), else the interface whose
 * subnet holds it; a source on none of our links is ignored (RFC 6762 section 11).
 */
import * as dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import * as os from 'node:os';
import {
  CLASS_IN,
  MdnsError,
  type Message,
  type Name,
  type Question,
  type ResourceRecord,
  type SrvData,
  TYPE_A,
  TYPE_AAAA,
  TYPE_ANY,
  TYPE_PTR,
  TYPE_SRV,
  TYPE_TXT,
  decodeMessage,
  decodeTxt,
  encodeMessage,
  isMdnsError,
  nameKey,
  nameToString,
  sameName,
} from './packet';

export const MDNS_GROUP = '224.0.0.251';
export const MDNS_PORT = 5353;

/** RFC 6762 section 10: host records 120 s, everything else 75 minutes. */
const TTL_HOST = 120;
const TTL_OTHER = 4500;
/** Packets we build stay under a typical Ethernet MTU; a larger set of answers is split. */
const MAX_SEND = 1400;

/** Caps on what others can make us hold. */
export const LIMITS = {
  /** Records in the browse cache, all kinds together. */
  cacheRecords: 1024,
  /** Service instances (PTR records) in the browse cache. */
  instances: 256,
  /** Addresses kept per host name. */
  addressesPerHost: 16,
  /** Datagrams waiting to be sent. */
  sendQueue: 512,
  /** Renames before an advertisement gives up. */
  renames: 100,
  /** Unicast answers to one-shot (legacy) queriers, per second. */
  legacyPerSecond: 20,
  /** A TXT record larger than this is not cached (RFC 6763 section 6.2 asks for under 1300 bytes). */
  txtBytes: 1300,
};

export interface Iface {
  name: string;
  loopback: boolean;
  /** IPv4 addresses with their netmasks; the first is where we send from. */
  v4: { address: string; netmask: string }[];
  v6: string[];
}

export interface Rinfo {
  address: string;
  port: number;
}

/** How the responder reaches the network; a test or the fuzzer gives its own. */
export interface Transport {
  interfaces(): Iface[];
  open(onMessage: (buf: Buffer, rinfo: Rinfo) => void, onError: (e: MdnsError) => void): void;
  /** Joins the group on interfaces that appeared, leaves it on those gone. */
  update(ifaces: Iface[]): void;
  /** Resolves once the datagram left (or was dropped). */
  send(buf: Buffer, iface: Iface | null, to: Rinfo): Promise<void>;
  close(): void;
}

// ---------------------------------------------------------------- interfaces

export function scanInterfaces(): Iface[] {
  const out: Iface[] = [];
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    if (!list) continue;
    const v4 = list.filter((a) => a.family === 'IPv4').map((a) => ({ address: a.address, netmask: a.netmask }));
    if (v4.length === 0) continue; // the group is joined over IPv4: an interface without IPv4 is not reached
    const v6 = list.filter((a) => a.family === 'IPv6').map((a) => a.address);
    out.push({ name, loopback: list.some((a) => a.internal), v4, v6 });
  }
  return out;
}

function ipv4ToInt(a: string): number {
  const p = a.split('.');
  if (p.length !== 4) return -1;
  let n = 0;
  for (const x of p) {
    const v = Number(x);
    if (!Number.isInteger(v) || v < 0 || v > 255) return -1;
    n = n * 256 + v;
  }
  return n;
}

function sameSubnet(a: string, b: string, mask: string): boolean {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(b);
  const m = ipv4ToInt(mask);
  if (x < 0 || y < 0 || m < 0) return false;
  return (x & m) >>> 0 === (y & m) >>> 0;
}

/** The interface a packet from `source` arrived on, or null when the source is on none of our links. */
export function ifaceOfSource(ifaces: readonly Iface[], source: string): Iface | null {
  const a = source.startsWith('::ffff:') ? source.slice(7) : source;
  for (const i of ifaces) if (i.v4.some((x) => x.address === a)) return i;
  for (const i of ifaces) if (i.v4.some((x) => sameSubnet(a, x.address, x.netmask))) return i;
  if (a.startsWith('127.')) return ifaces.find((i) => i.loopback) ?? null;
  return null;
}

// ---------------------------------------------------------------- the UDP transport

export class UdpTransport implements Transport {
  private socket: dgram.Socket | null = null;
  private joined = new Map<string, string>(); // interface name -> address joined on
  private queue: { buf: Buffer; iface: Iface | null; to: Rinfo; done: () => void }[] = [];
  private sending = false;
  private ready = false;
  private onError: (e: MdnsError) => void = () => {};
  dropped = 0;

  interfaces(): Iface[] {
    return scanInterfaces();
  }

  open(onMessage: (buf: Buffer, rinfo: Rinfo) => void, onError: (e: MdnsError) => void): void {
    this.onError = onError;
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    this.socket = s;
    s.on('message', onMessage);
    s.on('error', (e: NodeJS.ErrnoException) => {
      const err = new MdnsError('MDNS_SOCKET', `mDNS socket: ${e.message}`);
      (err as MdnsError & { cause?: unknown }).cause = e;
      onError(err);
    });
    s.bind(MDNS_PORT, '0.0.0.0', () => {
      if (this.socket !== s) return;
      try {
        s.setMulticastTTL(255);
        s.setMulticastLoopback(true);
      } catch (e) {
        onError(new MdnsError('MDNS_SOCKET', `mDNS socket options: ${(e as Error).message}`));
      }
      this.ready = true;
      this.update(scanInterfaces());
      this.pump();
    });
  }

  update(ifaces: Iface[]): void {
    const s = this.socket;
    if (!s || !this.ready) return;
    const now = new Map(ifaces.map((i) => [i.name, i.v4[0].address]));
    for (const [name, address] of this.joined) {
      if (now.get(name) === address) continue;
      try {
        s.dropMembership(MDNS_GROUP, address);
      } catch {
        // the interface is gone, and its membership with it
      }
      this.joined.delete(name);
    }
    for (const [name, address] of now) {
      if (this.joined.has(name)) continue;
      try {
        s.addMembership(MDNS_GROUP, address);
        this.joined.set(name, address);
      } catch (e) {
        // EADDRINUSE: this socket (or the kernel, for this interface) is already a member; anything else means
        // the interface cannot do multicast, and we do without it.
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') this.joined.set(name, address);
      }
    }
  }

  send(buf: Buffer, iface: Iface | null, to: Rinfo): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket) return resolve();
      if (this.queue.length >= LIMITS.sendQueue) {
        this.dropped++;
        return resolve();
      }
      this.queue.push({ buf, iface, to, done: resolve });
      this.pump();
    });
  }

  /** One datagram at a time: the multicast interface set for one must not change before it has left. */
  private pump(): void {
    if (this.sending || !this.ready) return;
    const s = this.socket;
    const item = this.queue.shift();
    if (!item) return;
    if (!s) return item.done();
    this.sending = true;
    const next = () => {
      this.sending = false;
      item.done();
      this.pump();
    };
    try {
      if (item.iface) s.setMulticastInterface(item.iface.v4[0].address);
      s.send(item.buf, item.to.port, item.to.address, () => next());
    } catch {
      // the interface went away between the scan and now: the datagram is not for anyone any more
      next();
    }
  }

  close(): void {
    const s = this.socket;
    this.socket = null;
    this.ready = false;
    this.joined.clear();
    for (const item of this.queue.splice(0)) item.done();
    if (s) {
      try {
        s.close();
      } catch {
        // already closed after an error
      }
    }
  }
}

// ---------------------------------------------------------------- records

export interface Binding {
  kind: 'all' | 'loopback' | 'one';
  /** 'all': whether IPv6 addresses are advertised too (bound to '::'). */
  v6: boolean;
  /** 'one' / 'loopback': the bound address. */
  address: string;
}

export function bindingOf(address: string | undefined): Binding {
  const a = (address ?? '').trim().toLowerCase();
  if (a === '' || a === '0.0.0.0') return { kind: 'all', v6: false, address: '' };
  if (a === '::' || a === '::0') return { kind: 'all', v6: true, address: '' };
  if (a === 'localhost' || a === '::1' || a.startsWith('127.'))
    return { kind: 'loopback', v6: false, address: a === 'localhost' ? '127.0.0.1' : a };
  const plain = a.split('%')[0]; // fe80::1%eth0: the zone names the interface, the address is what is compared
  return { kind: 'one', v6: false, address: plain.startsWith('::ffff:') ? plain.slice(7) : plain };
}

/** The addresses an endpoint with this binding is reached at on `iface`; none means not advertised there. */
export function addressesOn(b: Binding, iface: Iface): string[] {
  switch (b.kind) {
    case 'all':
      return [...iface.v4.map((x) => x.address), ...(b.v6 ? iface.v6 : [])];
    case 'loopback':
      return iface.loopback ? [b.address] : [];
    default:
      return iface.v4.some((x) => x.address === b.address) || iface.v6.some((x) => x.toLowerCase() === b.address)
        ? [b.address]
        : [];
  }
}

const LOCAL = 'local';
const SERVICES: Name = ['_services', '_dns-sd', '_udp', LOCAL];

export function typeName(type: string): Name {
  return [...type.split('.'), LOCAL];
}

function hostLabel(): string {
  const h = (os.hostname().split('.')[0] || 'node-red').replace(/[^A-Za-z0-9-]/g, '-').slice(0, 50);
  return `${h}-osc`;
}

function recordKey(rr: ResourceRecord): string {
  return `${nameKey(rr.name)}|${rr.type}|${dataKey(rr)}`;
}

function dataKey(rr: ResourceRecord): string {
  switch (rr.type) {
    case TYPE_A:
    case TYPE_AAAA:
      return String(rr.data);
    case TYPE_PTR:
      return nameKey(rr.data as Name);
    case TYPE_SRV: {
      const s = rr.data as SrvData;
      return `${s.priority} ${s.weight} ${s.port} ${nameKey(s.target)}`;
    }
    case TYPE_TXT:
      return (rr.data as Uint8Array[]).map((x) => Buffer.from(x).toString('hex')).join(',');
    default:
      return Buffer.from(rr.data as Uint8Array).toString('hex');
  }
}

/** Record data as the bytes RFC 6762 section 8.2 compares in a probe tie-break. */
function rdataBytes(rr: ResourceRecord): Buffer {
  const m = encodeMessage({ response: true, answers: [{ ...rr, name: ['x'] }] });
  return m.subarray(12 + 3 + 10);
}

function sameRecordData(a: ResourceRecord, b: ResourceRecord): boolean {
  return a.type === b.type && dataKey(a) === dataKey(b);
}

// ---------------------------------------------------------------- advertisements

export type AdState = 'probing' | 'announced' | 'failed' | 'closed';

export interface AdOptions {
  type: string;
  name: string;
  port: number;
  address?: string;
  txt?: Uint8Array[];
}

export class Ad extends EventEmitter {
  readonly type: string;
  readonly port: number;
  readonly binding: Binding;
  readonly txt: Uint8Array[];
  readonly baseName: string;
  name: string;
  state: AdState = 'probing';
  renames = 0;
  /** Interfaces it has been announced on (names), for goodbyes and for announcing on interfaces that appear. */
  announcedOn = new Set<string>();
  timers = new Set<NodeJS.Timeout>();
  probeRound = 0;
  closing: Promise<void> | null = null;
  lastError: MdnsError | null = null;

  constructor(o: AdOptions) {
    super();
    this.type = o.type;
    this.port = o.port;
    this.binding = bindingOf(o.address);
    this.txt = o.txt ?? [];
    this.baseName = o.name;
    this.name = o.name;
  }

  get instance(): Name {
    return [this.name, ...typeName(this.type)];
  }

  srv(host: Name, ttl = TTL_OTHER): ResourceRecord {
    return {
      name: this.instance,
      type: TYPE_SRV,
      class: CLASS_IN,
      flush: true,
      ttl,
      data: { priority: 0, weight: 0, port: this.port, target: host },
    };
  }

  txtRecord(ttl = TTL_OTHER): ResourceRecord {
    return { name: this.instance, type: TYPE_TXT, class: CLASS_IN, flush: true, ttl, data: this.txt };
  }

  ptr(ttl = TTL_OTHER): ResourceRecord {
    return { name: typeName(this.type), type: TYPE_PTR, class: CLASS_IN, flush: false, ttl, data: this.instance };
  }

  servicesPtr(ttl = TTL_OTHER): ResourceRecord {
    return { name: SERVICES, type: TYPE_PTR, class: CLASS_IN, flush: false, ttl, data: typeName(this.type) };
  }

  timer(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    t.unref(); // probing and announcing never keep a process alive on their own
  }

  clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  fail(e: MdnsError): void {
    this.clearTimers();
    this.state = 'failed';
    this.lastError = e;
    // An 'error' nobody listens to would throw out of the runtime's event loop: kept in lastError instead.
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}

// ---------------------------------------------------------------- the browse cache

interface Cached {
  rr: ResourceRecord;
  iface: string;
  received: number;
  expires: number;
  refreshAt: number;
}

export type Browser = EventEmitter & { types: Set<string>; signature: string };

export interface FoundServiceData {
  name: string;
  type: string;
  host: string;
  addresses: string[];
  port: number;
  txt: Record<string, string>;
}

// ---------------------------------------------------------------- the responder

interface PendingAnswer {
  answers: Map<string, ResourceRecord>;
  additionals: Map<string, ResourceRecord>;
  probeDefense: boolean;
}

export interface ResponderStats {
  received: number;
  malformed: number;
  ignored: number;
  cacheRecords: number;
  cacheDropped: number;
  lastError: MdnsError | null;
  /** Exceptions of our own code while handling a packet (a bug): never thrown, counted here. */
  internalErrors: number;
  lastInternalError: Error | null;
}

export class Responder {
  private readonly transport: Transport;
  private ifaces: Iface[] = [];
  private readonly ads = new Set<Ad>();
  private readonly browsers = new Set<Browser>();
  private refs = 0;
  private open = false;
  private rescanTimer: NodeJS.Timeout | null = null;
  private tickTimer: NodeJS.Timeout | null = null;
  private readonly cache = new Map<string, Map<string, Cached>>(); // name|type -> data -> record
  private cacheSize = 0;
  private readonly targetRefs = new Map<string, number>(); // SRV target -> how many cached SRV records name it
  private instanceCount = 0;
  private changeTimer: NodeJS.Timeout | null = null;
  private readonly resolving = new Map<string, number>(); // what we asked for, and when
  private readonly pending = new Map<string, PendingAnswer>(); // interface -> answer being gathered
  private readonly lastMulticast = new Map<string, number>(); // interface|record -> when we last multicast it
  private legacySecond = 0;
  private legacyCount = 0;
  readonly host: Name;
  readonly stats: ResponderStats = {
    received: 0,
    malformed: 0,
    ignored: 0,
    cacheRecords: 0,
    cacheDropped: 0,
    lastError: null,
    internalErrors: 0,
    lastInternalError: null,
  };
  /** Listeners told of malformed packets (with code and sender), at most one a second. */
  readonly warnings = new EventEmitter();
  private lastWarning = 0;
  /** Set by tests and the fuzzer: the clock, in ms. */
  now: () => number = Date.now;

  constructor(transport: Transport, host: Name = [hostLabel(), LOCAL]) {
    this.transport = transport;
    this.host = host;
  }

  // ------------------------------------------------------------ lifecycle

  private acquire(): void {
    this.refs++;
    if (this.open) return;
    this.open = true;
    this.ifaces = this.transport.interfaces();
    this.transport.open(
      (buf, rinfo) => this.receive(buf, rinfo),
      (e) => this.socketError(e),
    );
    if (!this.rescanTimer) {
      this.rescanTimer = setInterval(() => this.rescan(), 10_000);
      this.rescanTimer.unref();
    }
  }

  private release(): void {
    if (--this.refs > 0) return;
    this.refs = 0;
    if (!this.open && !this.rescanTimer) return;
    this.open = false;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.tickTimer) clearInterval(this.tickTimer);
    if (this.changeTimer) clearTimeout(this.changeTimer);
    this.rescanTimer = this.tickTimer = this.changeTimer = null;
    this.cache.clear();
    this.targetRefs.clear();
    this.cacheSize = this.instanceCount = 0;
    this.stats.cacheRecords = 0;
    this.resolving.clear();
    this.pending.clear();
    this.lastMulticast.clear();
    this.transport.close();
  }

  private socketError(e: MdnsError): void {
    this.stats.lastError = e;
    if (this.open) {
      this.transport.close();
      this.open = false;
    }
    // Every advertisement fails (and lets go of the socket); browsers hear of it and keep their place, and the
    // next advertisement or browser opens a new socket.
    for (const ad of [...this.ads]) {
      if (ad.state !== 'probing' && ad.state !== 'announced') continue;
      ad.fail(e);
      this.ads.delete(ad);
      this.release();
    }
    for (const b of this.browsers) if (b.listenerCount('error') > 0) b.emit('error', e);
  }

  /** Looks at the interfaces again (also every 10 s while open): joins new ones and announces there. */
  rescan(): void {
    const before = new Set(this.ifaces.map((i) => `${i.name}/${i.v4.map((x) => x.address).join(',')}`));
    this.ifaces = this.transport.interfaces();
    this.transport.update(this.ifaces);
    for (const i of this.ifaces) {
      if (before.has(`${i.name}/${i.v4.map((x) => x.address).join(',')}`)) continue;
      // A new or renumbered interface: announce what is already announced elsewhere.
      for (const ad of this.ads)
        if (ad.state === 'announced' && addressesOn(ad.binding, i).length) void this.announceOn(ad, i);
    }
  }

  interfaces(): readonly Iface[] {
    return this.ifaces;
  }

  // ------------------------------------------------------------ sending

  private async sendRecords(
    iface: Iface | null,
    to: Rinfo,
    answers: ResourceRecord[],
    additionals: ResourceRecord[],
    header: Partial<Message> = {},
  ): Promise<void> {
    // Split over several packets when one would exceed the MTU; additionals go with the first packet that has room.
    const packets: Buffer[] = [];
    let batch: ResourceRecord[] = [];
    const build = (a: ResourceRecord[], add: ResourceRecord[]) =>
      encodeMessage({ response: true, ...header, answers: a, additionals: add });
    for (const rr of answers) {
      const next = [...batch, rr];
      if (batch.length && build(next, []).length > MAX_SEND) {
        packets.push(build(batch, []));
        batch = [rr];
      } else batch = next;
    }
    let extra = additionals;
    if (batch.length || !packets.length) {
      let p = build(batch, extra);
      while (p.length > MAX_SEND && extra.length) {
        extra = extra.slice(0, -1);
        p = build(batch, extra);
      }
      packets.push(p);
    }
    for (const p of packets) await this.transport.send(p, iface, to);
  }

  /** Sends records, never throwing: a record we cannot encode (a bad name or TXT) is counted, not fatal. */
  private sendSafe(
    iface: Iface | null,
    to: Rinfo,
    answers: ResourceRecord[],
    additionals: ResourceRecord[],
    header: Partial<Message> = {},
  ): Promise<void> {
    return this.sendRecords(iface, to, answers, additionals, header).catch((e: unknown) => {
      this.stats.lastError = isMdnsError(e) ? e : new MdnsError('MDNS_BAD_RDATA', String(e));
    });
  }

  private sendQuery(
    iface: Iface,
    questions: Question[],
    authorities: ResourceRecord[] = [],
    known: ResourceRecord[] = [],
  ): Promise<void> {
    try {
      let p = encodeMessage({ response: false, questions, answers: known, authorities });
      while (p.length > MAX_SEND && known.length) {
        known = known.slice(0, Math.floor(known.length / 2));
        p = encodeMessage({ response: false, questions, answers: known, authorities });
      }
      return this.transport.send(p, iface, { address: MDNS_GROUP, port: MDNS_PORT });
    } catch (e) {
      this.stats.lastError = isMdnsError(e) ? e : new MdnsError('MDNS_BAD_RDATA', String(e));
      return Promise.resolve();
    }
  }

  private hostRecords(iface: Iface, ttl = TTL_HOST): ResourceRecord[] {
    const seen = new Set<string>();
    const out: ResourceRecord[] = [];
    for (const ad of this.ads) {
      if (ad.state !== 'announced' && ad.state !== 'probing') continue;
      for (const a of addressesOn(ad.binding, iface)) {
        if (seen.has(a)) continue;
        seen.add(a);
        const v6 = a.includes(':');
        // No cache-flush bit: the same host name carries other addresses on other interfaces.
        out.push({ name: this.host, type: v6 ? TYPE_AAAA : TYPE_A, class: CLASS_IN, flush: false, ttl, data: a });
      }
    }
    return out;
  }

  // ------------------------------------------------------------ advertising

  advertise(o: AdOptions): Ad {
    const ad = new Ad(o);
    this.ads.add(ad);
    this.acquire();
    this.claimLocally(ad);
    // RFC 6762 section 8.1: wait 0-250 ms before the first probe.
    ad.timer(Math.random() * 250, () => this.probe(ad));
    return ad;
  }

  /** Two advertisements of ours never share a name: the later one takes the next free one. */
  private claimLocally(ad: Ad): void {
    const taken = (n: string) =>
      [...this.ads].some(
        (o) =>
          o !== ad &&
          o.type === ad.type &&
          (o.state === 'probing' || o.state === 'announced') &&
          o.name.toLowerCase() === n.toLowerCase(),
      );
    while (taken(ad.name)) this.rename(ad, false);
  }

  private rename(ad: Ad, emit = true): boolean {
    ad.renames++;
    if (ad.renames > LIMITS.renames) {
      ad.fail(new MdnsError('MDNS_NAME_CONFLICT', `no free name for "${ad.baseName}" after ${LIMITS.renames} tries`));
      this.ads.delete(ad);
      this.release();
      return false;
    }
    ad.name = `${ad.baseName} (${ad.renames + 1})`;
    if (emit) ad.emit('name', ad.name);
    return true;
  }

  private adIfaces(ad: Ad): Iface[] {
    return this.ifaces.filter((i) => addressesOn(ad.binding, i).length > 0);
  }

  private probe(ad: Ad): void {
    if (ad.state !== 'probing') return;
    if (ad.probeRound >= 3) {
      ad.probeRound = 0;
      this.announce(ad, 0);
      return;
    }
    ad.probeRound++;
    const q: Question = { name: ad.instance, type: TYPE_ANY, class: CLASS_IN, unicast: false };
    for (const i of this.adIfaces(ad))
      void this.sendQuery(i, [q], [ad.srv(this.host, TTL_HOST), ad.txtRecord(TTL_HOST)]);
    ad.timer(250, () => this.probe(ad));
  }

  private restartProbe(ad: Ad, delay: number): void {
    ad.clearTimers();
    ad.state = 'probing';
    ad.probeRound = 0;
    ad.timer(delay, () => this.probe(ad));
  }

  private announcement(ad: Ad, iface: Iface, ttl = TTL_OTHER): [ResourceRecord[], ResourceRecord[]] {
    const answers = [ad.ptr(ttl), ad.srv(this.host, ttl), ad.txtRecord(ttl)];
    if (ttl > 0) {
      answers.push(ad.servicesPtr(ttl));
      return [answers, this.hostRecords(iface)];
    }
    return [answers, []];
  }

  private announceOn(ad: Ad, iface: Iface): Promise<void> {
    ad.announcedOn.add(iface.name);
    const [answers, additionals] = this.announcement(ad, iface);
    this.noteMulticast(iface, [...answers, ...additionals]);
    return this.sendSafe(iface, { address: MDNS_GROUP, port: MDNS_PORT }, [...answers, ...additionals], []);
  }

  private announce(ad: Ad, round: number): void {
    if (ad.state !== 'probing' && ad.state !== 'announced') return;
    const first = round === 0;
    const sent = this.adIfaces(ad).map((i) => this.announceOn(ad, i));
    if (first) {
      ad.state = 'announced';
      void Promise.all(sent).then(() => {
        if (ad.state === 'announced') ad.emit('announced');
      });
      // RFC 6762 section 8.3: a second announcement one second later.
      ad.timer(1000, () => this.announce(ad, 1));
    }
  }

  closeAd(ad: Ad): Promise<void> {
    if (ad.closing) return ad.closing;
    const wasAnnounced = ad.state === 'announced';
    const live = ad.state === 'probing' || ad.state === 'announced';
    ad.clearTimers();
    ad.state = 'closed';
    ad.closing = (async () => {
      if (wasAnnounced && this.open) {
        // Goodbye: the same records with TTL 0 (RFC 6762 section 10.1), on every interface it was announced on.
        const on = this.ifaces.filter((i) => ad.announcedOn.has(i.name));
        await Promise.all(
          on.map((i) => {
            const [answers] = this.announcement(ad, i, 0);
            return this.sendSafe(i, { address: MDNS_GROUP, port: MDNS_PORT }, answers, []);
          }),
        );
      }
      if (this.ads.delete(ad) && live) this.release();
    })();
    return ad.closing;
  }

  // ------------------------------------------------------------ receiving

  /** Handles one datagram from the network; never throws. */
  receive(buf: Buffer, rinfo: Rinfo): void {
    this.stats.received++;
    let m: Message;
    try {
      m = decodeMessage(buf);
    } catch (e) {
      if (isMdnsError(e)) this.malformed(e, rinfo);
      else this.internal(e);
      return;
    }
    const iface = ifaceOfSource(this.ifaces, rinfo.address);
    if (!iface) {
      this.stats.ignored++;
      return;
    }
    try {
      this.handle(m, iface, rinfo);
    } catch (e) {
      this.internal(e);
    }
  }

  /** A bug of ours met by a packet: counted and kept (the fuzzer reports it), never thrown into the runtime. */
  private internal(e: unknown): void {
    this.stats.internalErrors++;
    this.stats.lastInternalError = e instanceof Error ? e : new Error(String(e));
  }

  private malformed(e: MdnsError, rinfo: Rinfo): void {
    e.sender = { address: rinfo.address, port: rinfo.port };
    this.stats.malformed++;
    this.stats.lastError = e;
    const t = this.now();
    if (t - this.lastWarning >= 1000) {
      this.lastWarning = t;
      this.warnings.emit('warning', e);
    }
  }

  /** A decoded message from `iface`; exposed for the fuzzer. */
  handle(m: Message, iface: Iface, rinfo: Rinfo): void {
    // An opcode other than QUERY, or a non-zero response code: RFC 6762 sections 18.3 and 18.11 say ignore.
    if ((m.flags & 0x780f) !== 0) return;
    if (m.response) {
      if (rinfo.port !== MDNS_PORT) return; // RFC 6762 section 6: responses come from port 5353
      this.checkConflicts(m.answers, m.additionals);
      if (this.browsers.size) this.ingest([...m.answers, ...m.additionals], iface);
    } else {
      this.checkProbeTieBreak(m);
      if (m.questions.length) this.answer(m, iface, rinfo);
    }
  }

  private checkConflicts(...sections: ResourceRecord[][]): void {
    for (const ad of this.ads) {
      if (ad.state !== 'probing' && ad.state !== 'announced') continue;
      const mine = [ad.srv(this.host), ad.txtRecord()];
      let conflict = false;
      for (const list of sections)
        for (const rr of list) {
          if (rr.ttl === 0 || !sameName(rr.name, ad.instance)) continue;
          // Our own records coming back (multicast loopback), or the same service from another responder: no
          // conflict (RFC 6762 section 9).
          if (mine.some((x) => sameRecordData(x, rr))) continue;
          if (rr.type !== TYPE_SRV && rr.type !== TYPE_TXT && ad.state === 'announced') continue;
          conflict = true;
        }
      if (!conflict) continue;
      if (ad.state === 'probing') {
        if (this.rename(ad)) {
          this.claimLocally(ad);
          this.restartProbe(ad, 0);
        }
      } else {
        // Section 9: announced records contradicted: probe again, which renames if the other holds on.
        this.restartProbe(ad, Math.random() * 250);
      }
    }
  }

  /** RFC 6762 section 8.2: two hosts probing for the same name at once; the lexicographically later data wins. */
  private checkProbeTieBreak(m: Message): void {
    if (!m.authorities.length) return;
    for (const ad of this.ads) {
      if (ad.state !== 'probing') continue;
      const theirs = m.authorities.filter((rr) => sameName(rr.name, ad.instance));
      if (!theirs.length) continue;
      const ours = [ad.srv(this.host, TTL_HOST), ad.txtRecord(TTL_HOST)];
      const order = (a: ResourceRecord, b: ResourceRecord) =>
        a.class - b.class || a.type - b.type || Buffer.compare(rdataBytes(a), rdataBytes(b));
      theirs.sort(order);
      ours.sort(order);
      let cmp = 0;
      for (let i = 0; i < Math.min(theirs.length, ours.length) && cmp === 0; i++) cmp = order(ours[i], theirs[i]);
      if (cmp === 0) cmp = ours.length - theirs.length;
      if (cmp < 0) this.restartProbe(ad, 1000); // we lose: wait a second, then probe again (and meet theirs)
    }
  }

  private answer(m: Message, iface: Iface, rinfo: Rinfo): void {
    const legacy = rinfo.port !== MDNS_PORT;
    const answers: ResourceRecord[] = [];
    const additionals: ResourceRecord[] = [];
    const have = new Set<string>();
    const push = (list: ResourceRecord[], rr: ResourceRecord) => {
      const k = recordKey(rr);
      if (have.has(k)) return;
      have.add(k);
      list.push(rr);
    };
    // Known-answer suppression (RFC 6762 section 7.1): what the querier holds with at least half its TTL left.
    const known = new Set(m.answers.filter((rr) => rr.ttl > 0).map((rr) => `${recordKey(rr)}|${rr.ttl}`));
    const knows = (rr: ResourceRecord) => {
      for (const k of known) {
        const cut = k.lastIndexOf('|');
        if (k.slice(0, cut) === recordKey(rr) && Number(k.slice(cut + 1)) >= rr.ttl / 2) return true;
      }
      return false;
    };
    let shared = false;
    for (const q of m.questions) {
      if (q.class !== CLASS_IN && q.class !== TYPE_ANY) continue;
      const any = q.type === TYPE_ANY;
      for (const ad of this.ads) {
        if (ad.state !== 'announced' || addressesOn(ad.binding, iface).length === 0) continue;
        const host = this.hostRecords(iface);
        if ((any || q.type === TYPE_PTR) && sameName(q.name, typeName(ad.type))) {
          const ptr = ad.ptr();
          if (knows(ptr)) continue;
          shared = true;
          push(answers, ptr);
          push(additionals, ad.srv(this.host));
          push(additionals, ad.txtRecord());
          for (const h of host) push(additionals, h);
        } else if ((any || q.type === TYPE_PTR) && sameName(q.name, SERVICES)) {
          const ptr = ad.servicesPtr();
          if (knows(ptr)) continue;
          shared = true;
          push(answers, ptr);
        } else if (sameName(q.name, ad.instance)) {
          if (any || q.type === TYPE_SRV) {
            push(answers, ad.srv(this.host));
            for (const h of host) push(additionals, h);
          }
          if (any || q.type === TYPE_TXT) push(answers, ad.txtRecord());
        } else if (sameName(q.name, this.host)) {
          for (const h of host)
            if (any || (q.type === TYPE_A && h.type === TYPE_A) || (q.type === TYPE_AAAA && h.type === TYPE_AAAA))
              push(answers, h);
        }
      }
    }
    if (!answers.length) return;
    if (legacy) {
      // RFC 6762 section 6.7: a one-shot querier (not on port 5353) gets a unicast answer with its id and
      // question, TTLs of at most 10 s and no cache-flush bits. Capped per second: its source may be forged.
      const second = Math.floor(this.now() / 1000);
      if (second !== this.legacySecond) {
        this.legacySecond = second;
        this.legacyCount = 0;
      }
      if (++this.legacyCount > LIMITS.legacyPerSecond) return;
      const extra = additionals.filter((rr) => !answers.some((a) => recordKey(a) === recordKey(rr)));
      const fix = (rr: ResourceRecord) => ({ ...rr, ttl: Math.min(rr.ttl, 10), flush: false });
      void this.sendSafe(null, rinfo, answers.map(fix), extra.map(fix), {
        id: m.id,
        questions: m.questions.slice(0, 8),
      });
      return;
    }
    // Answers to queries on one interface are gathered while they wait, so a burst of queries costs one answer
    // per interface; section 6: a shared answer (PTR) waits 20-120 ms, so many responders do not answer at once.
    let p = this.pending.get(iface.name);
    const first = !p;
    if (!p) {
      p = { answers: new Map(), additionals: new Map(), probeDefense: false };
      this.pending.set(iface.name, p);
    }
    for (const rr of answers) p.answers.set(recordKey(rr), rr);
    for (const rr of additionals) p.additionals.set(recordKey(rr), rr);
    if (m.authorities.length) p.probeDefense = true;
    const pending = p;
    if (first) this.defer(shared ? 20 + Math.random() * 100 : 0, () => this.flushAnswers(iface, pending));
  }

  /** Runs fn after ms (0: after the current packet); the fuzzer replaces it to run at once. */
  defer: (ms: number, fn: () => void) => void = (ms, fn) => {
    if (ms <= 0) setImmediate(fn);
    else setTimeout(fn, ms).unref();
  };

  private flushAnswers(iface: Iface, p: PendingAnswer): void {
    if (this.pending.get(iface.name) === p) this.pending.delete(iface.name);
    if (!this.open) return;
    const now = this.now();
    // Section 6: a record is multicast on an interface at most once a second (a quarter second to defend a name
    // against a probe): the querier and everyone else on the link heard the last one.
    const gap = p.probeDefense ? 250 : 1000;
    const fresh = (rr: ResourceRecord) => {
      const k = `${iface.name}|${recordKey(rr)}`;
      const last = this.lastMulticast.get(k);
      return last === undefined || now - last >= gap;
    };
    const answers = [...p.answers.values()].filter(fresh);
    if (!answers.length) return;
    const extra = [...p.additionals.entries()].filter(([k, rr]) => !p.answers.has(k) && fresh(rr)).map(([, rr]) => rr);
    this.noteMulticast(iface, [...answers, ...extra]);
    void this.sendSafe(iface, { address: MDNS_GROUP, port: MDNS_PORT }, answers, extra);
  }

  private noteMulticast(iface: Iface, records: ResourceRecord[]): void {
    // Only our own records are noted, and they are few; the bound guards against a churn of renames.
    if (this.lastMulticast.size > 4096) this.lastMulticast.clear();
    const now = this.now();
    for (const rr of records) this.lastMulticast.set(`${iface.name}|${recordKey(rr)}`, now);
  }

  // ------------------------------------------------------------ browsing

  browse(types: readonly string[]): Browser {
    const b = new EventEmitter() as Browser;
    b.types = new Set(types);
    b.signature = '[]';
    this.browsers.add(b);
    this.acquire();
    if (!this.tickTimer) {
      this.tickTimer = setInterval(() => this.tick(), 1000);
      this.tickTimer.unref();
    }
    // RFC 6762 section 5.2: continuous querying, the interval doubling from one second up to an hour.
    let interval = 1000;
    const query = () => {
      if (!this.browsers.has(b)) return;
      this.queryTypes([...b.types]);
      const t = setTimeout(query, interval);
      t.unref();
      (b as Browser & { timer?: NodeJS.Timeout }).timer = t;
      interval = Math.min(interval * 2, 3_600_000);
    };
    // Give the socket a moment to bind and join before the first query (section 5.2 asks for 20-120 ms anyway).
    const t = setTimeout(query, 20 + Math.random() * 100);
    t.unref();
    (b as Browser & { timer?: NodeJS.Timeout }).timer = t;
    return b;
  }

  closeBrowser(b: Browser): void {
    if (!this.browsers.delete(b)) return;
    const t = (b as Browser & { timer?: NodeJS.Timeout }).timer;
    if (t) clearTimeout(t);
    if (this.browsers.size === 0 && this.tickTimer) {
      clearInterval(this.tickTimer);
      this.tickTimer = null;
    }
    this.release();
  }

  private queryTypes(types: string[]): void {
    const questions = types.map((t) => ({ name: typeName(t), type: TYPE_PTR, class: CLASS_IN, unicast: false }));
    const now = this.now();
    for (const i of this.ifaces) {
      const known: ResourceRecord[] = [];
      for (const t of types)
        for (const c of this.cache.get(`${nameKey(typeName(t))}|${TYPE_PTR}`)?.values() ?? []) {
          const left = (c.expires - now) / 1000;
          if (c.iface === i.name && left > c.rr.ttl / 2) known.push({ ...c.rr, ttl: Math.floor(left) });
        }
      void this.sendQuery(i, questions, [], known);
    }
  }

  private browsedTypes(): Set<string> {
    const s = new Set<string>();
    for (const b of this.browsers) for (const t of b.types) s.add(nameKey(typeName(t)));
    return s;
  }

  /** Puts the records of a response into the cache, within its caps. */
  private ingest(records: ResourceRecord[], iface: Iface): void {
    const types = this.browsedTypes();
    const now = this.now();
    // SRV targets named in this packet, so that their addresses are kept even before the SRV is cached.
    const targets = new Set<string>();
    const relevant = (rr: ResourceRecord): boolean => {
      if (rr.class !== CLASS_IN) return false;
      if (rr.type === TYPE_PTR) return types.has(nameKey(rr.name));
      if (rr.type === TYPE_SRV || rr.type === TYPE_TXT)
        return rr.name.length > 3 && types.has(nameKey(rr.name.slice(1))) && this.hasPtrTo(rr.name, records);
      if (rr.type === TYPE_A || rr.type === TYPE_AAAA) {
        const k = nameKey(rr.name);
        return targets.has(k) || this.targetRefs.has(k);
      }
      return false;
    };
    for (const rr of records) if (rr.type === TYPE_SRV) targets.add(nameKey((rr.data as SrvData).target));
    let changed = false;
    const flushed = new Set<string>();
    for (let rr of records) {
      if (!relevant(rr)) continue;
      if (rr.type === TYPE_TXT) {
        // Copied out of the packet (a view would keep the whole datagram alive), and only when of a sane size.
        const strings = rr.data as Uint8Array[];
        if (strings.reduce((n, x) => n + x.length + 1, 0) > LIMITS.txtBytes) {
          this.stats.cacheDropped++;
          continue;
        }
        rr = { ...rr, data: strings.map((x) => Uint8Array.from(x)) };
      }
      const key = `${nameKey(rr.name)}|${rr.type}`;
      let set = this.cache.get(key);
      const dk = dataKey(rr);
      if (rr.ttl === 0) {
        // A goodbye: forget it now (the RFC's one second grace is for caches shared by many; ours answers a list).
        const c = set?.get(dk);
        if (c && set) {
          this.drop(key, set, dk, c);
          changed = true;
        }
        continue;
      }
      if (rr.flush && set && !flushed.has(key)) {
        // Cache flush (section 10.2): older records of this name and type from this interface go.
        flushed.add(key);
        for (const [k, c] of set)
          if (c.iface === iface.name && k !== dk && now - c.received > 1000) {
            this.drop(key, set, k, c);
            changed = true;
          }
      }
      const existing = set?.get(dk);
      const entry: Cached = {
        rr,
        iface: iface.name,
        received: now,
        expires: now + rr.ttl * 1000,
        refreshAt: now + rr.ttl * 800 + Math.random() * rr.ttl * 20,
      };
      if (existing) {
        set!.set(dk, entry);
        if (existing.rr.ttl === 0) changed = true;
        continue;
      }
      if (this.cacheSize >= LIMITS.cacheRecords) {
        this.stats.cacheDropped++;
        continue;
      }
      if (rr.type === TYPE_PTR && this.instanceCount >= LIMITS.instances) {
        this.stats.cacheDropped++;
        continue;
      }
      if ((rr.type === TYPE_A || rr.type === TYPE_AAAA) && this.addressCount(rr.name) >= LIMITS.addressesPerHost) {
        this.stats.cacheDropped++;
        continue;
      }
      if (!set) {
        set = new Map();
        this.cache.set(key, set);
      }
      set.set(dk, entry);
      this.cacheSize++;
      if (rr.type === TYPE_PTR) this.instanceCount++;
      if (rr.type === TYPE_SRV) {
        const tk = nameKey((rr.data as SrvData).target);
        this.targetRefs.set(tk, (this.targetRefs.get(tk) ?? 0) + 1);
      }
      changed = true;
    }
    this.stats.cacheRecords = this.cacheSize;
    if (changed) {
      // Only instances this packet named in a PTR: a packet must not cost a walk over the whole cache.
      const named = records.filter((rr) => rr.type === TYPE_PTR && types.has(nameKey(rr.name)) && rr.ttl > 0);
      this.resolveMissing(
        iface,
        named.slice(0, 20).map((rr) => rr.data as Name),
      );
      this.changed();
    }
  }

  private hasPtrTo(instance: Name, records: ResourceRecord[]): boolean {
    const k = nameKey(instance);
    const ptrs = this.cache.get(`${nameKey(instance.slice(1))}|${TYPE_PTR}`);
    if (ptrs?.has(k)) return true;
    return records.some((rr) => rr.type === TYPE_PTR && nameKey(rr.data as Name) === k);
  }

  private addressCount(host: Name): number {
    const k = nameKey(host);
    return (this.cache.get(`${k}|${TYPE_A}`)?.size ?? 0) + (this.cache.get(`${k}|${TYPE_AAAA}`)?.size ?? 0);
  }

  private drop(key: string, set: Map<string, Cached>, dk: string, c: Cached): void {
    set.delete(dk);
    if (set.size === 0) this.cache.delete(key);
    this.cacheSize--;
    if (c.rr.type === TYPE_PTR) this.instanceCount--;
    if (c.rr.type === TYPE_SRV) {
      const tk = nameKey((c.rr.data as SrvData).target);
      const n = (this.targetRefs.get(tk) ?? 1) - 1;
      if (n > 0) this.targetRefs.set(tk, n);
      else this.targetRefs.delete(tk);
    }
  }

  /** Asks for what a listed instance still lacks (SRV, TXT, addresses), at most once a second each. */
  private resolveMissing(iface: Iface, instances: Name[]): void {
    const now = this.now();
    const questions: Question[] = [];
    const ask = (name: Name, type: number) => {
      const k = `${nameKey(name)}|${type}`;
      if (now - (this.resolving.get(k) ?? -Infinity) < 1000) return;
      if (this.resolving.size > LIMITS.instances * 4) this.resolving.clear();
      this.resolving.set(k, now);
      questions.push({ name, type, class: CLASS_IN, unicast: false });
    };
    for (const instance of instances) {
      const srv = this.cache.get(`${nameKey(instance)}|${TYPE_SRV}`);
      if (!srv) ask(instance, TYPE_SRV);
      if (!this.cache.get(`${nameKey(instance)}|${TYPE_TXT}`)) ask(instance, TYPE_TXT);
      if (srv)
        for (const s of srv.values()) {
          const target = (s.rr.data as SrvData).target;
          if (this.addressCount(target) === 0) ask(target, TYPE_A);
        }
      if (questions.length > 20) break;
    }
    if (questions.length) void this.sendQuery(iface, questions.slice(0, 20));
  }

  /** Expires records and asks again for those near their end; runs every second while a browser exists. */
  tick(): void {
    const now = this.now();
    let changed = false;
    const refresh = new Map<string, Set<string>>(); // interface -> types to ask again
    for (const [key, set] of [...this.cache]) {
      for (const [dk, c] of [...set]) {
        if (c.expires <= now) {
          this.drop(key, set, dk, c);
          changed = true;
        } else if (c.rr.type === TYPE_PTR && c.refreshAt <= now) {
          // Section 5.2: ask again at 80% of the TTL, so a live service is refreshed before it expires.
          c.refreshAt = Infinity;
          const t = refresh.get(c.iface) ?? new Set<string>();
          t.add(c.rr.name.slice(0, -1).join('.'));
          refresh.set(c.iface, t);
        }
      }
    }
    for (const [name, types] of refresh) {
      const i = this.ifaces.find((x) => x.name === name);
      if (i)
        void this.sendQuery(
          i,
          [...types].map((t) => ({ name: typeName(t), type: TYPE_PTR, class: CLASS_IN, unicast: false })),
        );
    }
    this.stats.cacheRecords = this.cacheSize;
    if (changed) this.changed();
  }

  private changed(): void {
    if (this.changeTimer) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = null;
      for (const b of this.browsers) {
        const list = this.services(b.types);
        const sig = JSON.stringify(list);
        if (sig === b.signature) continue;
        b.signature = sig;
        b.emit('change');
      }
    }, 10);
    this.changeTimer.unref();
  }

  /** The services found of these types: a PTR and its SRV at least; TXT and addresses as far as known. */
  services(types: ReadonlySet<string>): FoundServiceData[] {
    const out: FoundServiceData[] = [];
    for (const type of types) {
      const tn = typeName(type);
      const ptrs = this.cache.get(`${nameKey(tn)}|${TYPE_PTR}`);
      if (!ptrs) continue;
      const seen = new Set<string>();
      for (const c of ptrs.values()) {
        const instance = c.rr.data as Name;
        const ik = nameKey(instance);
        if (seen.has(ik) || instance.length !== tn.length + 1 || !sameName(instance.slice(1), tn)) continue;
        seen.add(ik);
        const srvs = this.cache.get(`${ik}|${TYPE_SRV}`);
        if (!srvs) continue;
        const srv = [...srvs.values()].sort((a, b) => b.received - a.received)[0].rr.data as SrvData;
        const txts = this.cache.get(`${ik}|${TYPE_TXT}`);
        const txt = txts
          ? decodeTxt([...txts.values()].sort((a, b) => b.received - a.received)[0].rr.data as Uint8Array[])
          : {};
        const tk = nameKey(srv.target);
        const v4 = [...(this.cache.get(`${tk}|${TYPE_A}`)?.keys() ?? [])];
        const v6 = [...(this.cache.get(`${tk}|${TYPE_AAAA}`)?.keys() ?? [])];
        out.push({
          name: instance[0],
          type,
          host: nameToString(srv.target),
          addresses: [...v4.sort(), ...v6.sort()],
          port: srv.port,
          txt,
        });
      }
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  }

  get advertisementCount(): number {
    return this.ads.size;
  }

  get browserCount(): number {
    return this.browsers.size;
  }

  get isOpen(): boolean {
    return this.open;
  }
}
