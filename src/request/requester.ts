// osc-request without Node-RED: a msg becomes an OSC message as osc out makes it, is sent through an endpoint, and
// the first matching reply from the peer it was sent to comes back as the msg osc in would give, with the request
// msg's other properties kept and msg.rtt added. No reply in time is a TIMEOUT error. The endpoint is anything
// with send() and intercept() (a UDP or TCP endpoint handle); the Node-RED node only wires msgs to request().
import type { RemoteInfo } from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import { decodePacket, encodePacket } from '../osc/codec';
import type { NumberPolicy, OscBundle, OscMessage, OscPacket, Timetag } from '../osc/codec';
import { compilePattern, isPattern, validateAddress } from '../osc/pattern';
import type { PacketInterceptor } from '../transport/intercept';
import { OscOutputError, messageToMsg, msgToPacket } from '../nodes/convert';
import type { OutgoingOptions } from '../nodes/convert';
import type { EndpointConfig } from '../nodes/endpoint';
import { errorCode, flag, hostPort, num } from '../util';
import { DEFAULT_MAX_PENDING, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, RequestError, RequestMatcher } from './matcher';
import type { Waiting } from './matcher';
import { parseQlabReply, qlabReplyError } from './qlab';

/** How requests travel: UDP to a host and port, a TCP client's one connection, or one client of a TCP server. */
export type RequestTransport = 'udp' | 'tcp-client' | 'tcp-server';

/** 'osc': the reply's arguments as osc in gives them; 'qlab': its JSON string parsed (see qlab.ts). */
export type ReplyFormat = 'osc' | 'qlab';

/** In a reply address, stands for the address that was sent: "<address>.reply" asks /status for /status.reply. */
export const ADDRESS_PLACEHOLDER = '<address>';

export interface RequestOptions {
  transport: RequestTransport;
  /** UDP: the destination; '' and 0 take msg.ip and msg.port. */
  host: string;
  port: number;
  /** The fixed OSC address ('' = msg.topic) and the number policy, as osc out has them. */
  address: string;
  numbers: NumberPolicy;
  /** The reply address or pattern, possibly holding ADDRESS_PLACEHOLDER; '' = msg.reply, else the address sent. */
  reply: string;
  timeoutMs: number;
  /** UDP only: sends again before the timeout error, each wait a full timeout. */
  retries: number;
  maxPending: number;
  /** Keep matched replies from the endpoint's other users (osc in). */
  consume: boolean;
  format: ReplyFormat;
  /** The address family host names resolve to (that of the endpoint's socket). */
  family: 4 | 6;
}

/** The node's properties as the editor saves them: numbers and flags may arrive as strings. */
export interface RequestConfig {
  host?: string;
  port?: number | string;
  address?: string;
  numbers?: string;
  reply?: string;
  /** Seconds. */
  timeout?: number | string;
  retries?: number | string;
  maxPending?: number | string;
  consume?: boolean | string;
  format?: string;
}

/** What the requester reads of its endpoint (a UDP or TCP endpoint, as the nodes see it). */
export interface LinkView {
  readonly state: 'opening' | 'open' | 'failed' | 'closed';
  readonly error: { code: string; message: string; short: string } | undefined;
  readonly label: string;
  readonly maxDatagram: number;
  statusText?(): string;
}

/** An endpoint handle: sends, and lets the requester see packets before the endpoint's receivers. */
export interface RequestLink {
  readonly endpoint: LinkView;
  send(data: Uint8Array, port: number, host: string, cb: (err: Error | null) => void): void;
  intercept(fn: PacketInterceptor | undefined): void;
}

/**
 * How a request ends: a reply (err null, reply the msg to send on), an error, or neither when the requester is
 * closed while it waits (the msg is dropped).
 */
export type RequestCallback = (err: Error | null, reply?: Record<string, unknown>) => void;

export interface RequestStatus {
  fill: 'green' | 'yellow' | 'red';
  shape: 'dot' | 'ring';
  text: string;
}

/** A request on its way or waiting. */
interface Pending {
  msg: Record<string, unknown>;
  cb: RequestCallback;
  bytes: Buffer;
  /** Where it goes: the resolved address (UDP), or what the endpoint's send() takes over TCP. */
  ip: string;
  port: number;
  /** The destination in words, for errors. */
  to: string;
  /** The address sent, and the reply address or pattern awaited. */
  sent: string;
  reply: string;
  waiting?: Waiting<Pending>;
}

const NAME_TTL_MS = 5000;

function validPort(p: number): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

function checkReplyAddress(reply: string): void {
  if (isPattern(reply)) compilePattern(reply);
  else validateAddress(reply);
}

/** The transport and address family of the endpoint a node chose (null: a UDP socket of its own, for `host`). */
export function transportOf(config: EndpointConfig | null, host: string | undefined): { transport: RequestTransport; family: 4 | 6 } {
  if (config?.transport === 'tcp') return { transport: config.node.tcpOptions.mode === 'server' ? 'tcp-server' : 'tcp-client', family: 4 };
  if (config?.transport === 'udp') return { transport: 'udp', family: config.node.endpointOptions.ipv === 'udp6' ? 6 : 4 };
  return { transport: 'udp', family: net.isIPv6((host ?? '').trim()) ? 6 : 4 };
}

/** The options of a saved node, and what was wrong with them (each replaced by its default, and worth a warning). */
export function requestOptionsFromConfig(
  c: RequestConfig,
  transport: RequestTransport,
  family: 4 | 6,
): { options: RequestOptions; problems: string[] } {
  const problems: string[] = [];
  const portText = String(c.port ?? '').trim();
  let timeoutS = num(c.timeout, DEFAULT_TIMEOUT_MS / 1000);
  if (!(timeoutS * 1000 >= 1 && timeoutS * 1000 <= MAX_TIMEOUT_MS)) {
    problems.push(`invalid timeout ${String(c.timeout)}: using ${DEFAULT_TIMEOUT_MS / 1000} s`);
    timeoutS = DEFAULT_TIMEOUT_MS / 1000;
  }
  let retries = num(c.retries, 0);
  if (!(Number.isInteger(retries) && retries >= 0 && retries <= 1000)) {
    problems.push(`invalid retries ${String(c.retries)}: using 0 (a whole number from 0 to 1000)`);
    retries = 0;
  }
  let maxPending = num(c.maxPending, DEFAULT_MAX_PENDING);
  if (!(Number.isInteger(maxPending) && maxPending >= 1 && maxPending <= 1e6)) {
    problems.push(`invalid most waiting ${String(c.maxPending)}: using ${DEFAULT_MAX_PENDING}`);
    maxPending = DEFAULT_MAX_PENDING;
  }
  const reply = (c.reply ?? '').trim();
  if (reply !== '') {
    try {
      checkReplyAddress(reply.split(ADDRESS_PLACEHOLDER).join('/x'));
    } catch (e) {
      problems.push(`the reply address ${JSON.stringify(reply)} is neither an OSC address nor a pattern (${(e as Error).message}): every request will fail`);
    }
  }
  return {
    options: {
      transport,
      host: transport === 'udp' ? (c.host ?? '').trim() : '',
      port: transport === 'udp' && portText !== '' ? Number(portText) : 0,
      address: (c.address ?? '').trim(),
      numbers: c.numbers === 'float' || c.numbers === 'double' ? c.numbers : 'int',
      reply,
      timeoutMs: timeoutS * 1000,
      // TCP delivers or breaks the connection: sending again could only make the device answer twice.
      retries: transport === 'udp' ? retries : 0,
      maxPending,
      consume: flag(c.consume, false),
      format: c.format === 'qlab' ? 'qlab' : 'osc',
      family,
    },
    problems,
  };
}

function encodeError(e: unknown): Error {
  if (e instanceof OscOutputError || e instanceof RequestError) return e;
  const err = e as Error & { argIndex?: number };
  const detail = err.argIndex !== undefined ? ` (argument ${err.argIndex})` : '';
  return new OscOutputError(errorCode(err, 'ERROR'), `cannot encode the message${detail}: ${err.message}`);
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

export class OscRequester {
  readonly options: RequestOptions;
  /** Requests refused or failed before a reply or a timeout (bad msg, send error, error reply). */
  failed = 0;

  private link: RequestLink | undefined;
  private readonly matcher: RequestMatcher<Pending>;
  private readonly outgoing: OutgoingOptions;
  private readonly onChange: () => void;
  private readonly names = new Map<string, { address: string; expires: number }>();
  private readonly lookups = new Map<string, Array<(err: Error | null, address: string) => void>>();
  /** Requests waiting for a host name to resolve: they count towards maxPending. */
  private resolving = 0;
  private closed = false;
  private lastTimedOut = false;

  constructor(options: RequestOptions, onChange: () => void = () => undefined) {
    this.options = options;
    this.onChange = onChange;
    this.outgoing = { address: options.address, numbers: options.numbers };
    this.matcher = new RequestMatcher<Pending>({
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      maxPending: options.maxPending,
      onRetry: (p) => this.transmit(p),
      onTimeout: (p, sends) => {
        this.lastTimedOut = true;
        this.onChange();
        const s = this.options.timeoutMs / 1000;
        const times = sends > 1 ? ` (sent ${sends} times, ${s} s each)` : '';
        p.cb(new RequestError('TIMEOUT', `no reply ${p.reply} from ${p.to} to ${p.sent} within ${s} s${times}`));
      },
      // Only while something waits does the endpoint show us its packets: otherwise its path does no request work.
      onBusy: (busy) => this.link?.intercept(busy ? this.onPacket : undefined),
    });
  }

  /** The endpoint to send through and hear the replies from. */
  use(link: RequestLink): void {
    this.link = link;
  }

  /** Requests waiting for their replies now. */
  get waiting(): number {
    return this.matcher.size;
  }

  stats(): { waiting: number; answered: number; timeouts: number; failed: number; lastRttMs: number | undefined } {
    const m = this.matcher;
    return { waiting: m.size, answered: m.answered, timeouts: m.timeouts, failed: this.failed, lastRttMs: m.lastRttMs };
  }

  /** Sends the request the msg describes; `cb` is called once, with the reply msg or an error. */
  request(msg: Record<string, unknown>, cb: RequestCallback): void {
    const link = this.link;
    let p: Pending;
    try {
      if (this.closed || link === undefined) throw new RequestError('ENOTCONN', 'the node is stopping: request not sent');
      if (this.matcher.size + this.resolving >= this.options.maxPending) {
        throw new RequestError('LIMIT_EXCEEDED', `${this.matcher.size + this.resolving} requests are waiting for their replies already (at most ${this.options.maxPending})`);
      }
      p = this.prepare(msg, cb, link.endpoint.maxDatagram);
    } catch (e) {
      this.fail(cb, e as Error);
      return;
    }
    if (this.options.transport !== 'udp' || net.isIP(p.ip) !== 0) {
      this.start(p);
      return;
    }
    this.resolving++;
    this.resolve(p.ip, (err, address) => {
      this.resolving--;
      if (this.closed) return cb(null);
      if (err) return this.fail(cb, err);
      p.ip = address;
      this.start(p);
    });
  }

  /**
   * The connection the requests went out on is gone (a TCP peer closed it, the endpoint failed): their replies
   * cannot come, so each ends now with an error of that code instead of waiting for its timeout.
   */
  connectionLost(why: { code: string; message: string } | undefined): void {
    const lost = this.matcher.clear();
    if (lost.length === 0) return;
    this.failed += lost.length;
    this.onChange();
    const code = why?.code ?? 'ENOTCONN';
    for (const p of lost) p.cb(new RequestError(code, `no reply ${p.reply} to ${p.sent}: the connection to ${p.to} was lost (${why?.message ?? code})`));
  }

  /** Stops: every waiting request is dropped (its callback called with neither error nor reply). Returns how many. */
  close(): number {
    this.closed = true;
    const dropped = this.matcher.clear();
    for (const p of dropped) p.cb(null);
    return dropped.length + this.resolving;
  }

  /** What the node's status shows: the endpoint's state, then how many wait, the last round trip, the timeouts. */
  status(): RequestStatus {
    const ep = this.link?.endpoint;
    if (ep === undefined || ep.state === 'opening') {
      return { fill: 'yellow', shape: 'ring', text: ep?.statusText ? ep.statusText() : `opening ${ep?.label ?? ''}`.trim() };
    }
    if (ep.state === 'failed' || ep.state === 'closed') {
      return { fill: 'red', shape: 'ring', text: ep.statusText ? ep.statusText() : ep.error ? ep.error.short : 'closed' };
    }
    const m = this.matcher;
    const parts: string[] = [];
    if (m.size > 0) parts.push(`${m.size} waiting`);
    if (m.lastRttMs !== undefined) parts.push(`rtt ${m.lastRttMs < 10 ? m.lastRttMs.toFixed(1) : Math.round(m.lastRttMs)} ms`);
    if (m.timeouts > 0) parts.push(`${m.timeouts} timeout${m.timeouts === 1 ? '' : 's'}`);
    if (this.failed > 0) parts.push(`${this.failed} failed`);
    const text = parts.length > 0 ? parts.join(' · ') : ep.statusText ? ep.statusText() : `ready · ${ep.label}`;
    return { fill: this.lastTimedOut ? 'yellow' : 'green', shape: 'dot', text };
  }

  private fail(cb: RequestCallback, err: Error): void {
    this.failed++;
    this.onChange();
    cb(err);
  }

  /** Destination, bytes and reply address of a msg; throws what makes it unsendable. */
  private prepare(msg: Record<string, unknown>, cb: RequestCallback, maxDatagram: number): Pending {
    const o = this.options;
    let ip = '';
    let port = 0;
    let to = 'the TCP connection';
    if (o.transport === 'udp') {
      // Configured values win over msg.ip/msg.port, as in osc out.
      ip = o.host !== '' ? o.host : typeof msg.ip === 'string' ? msg.ip : '';
      port = o.port !== 0 ? o.port : Number(msg.port);
      if (ip === '') throw new RequestError('NO_DESTINATION', 'no destination host: set Host in the node, or msg.ip');
      if (!validPort(port)) {
        const given = o.port !== 0 ? `Port ${o.port}` : msg.port === undefined ? 'no msg.port' : `msg.port ${String(msg.port)}`;
        throw new RequestError('NO_DESTINATION', `no valid destination port (1-65535): ${given}`);
      }
      to = hostPort(ip, port);
    } else if (o.transport === 'tcp-server') {
      ip = typeof msg.ip === 'string' ? msg.ip : '';
      port = Number(msg.port);
      if (ip === '' || !validPort(port)) {
        throw new RequestError('NO_DESTINATION', 'through an osc tcp server, msg.ip and msg.port name the client to ask (as osc in gives them)');
      }
      to = hostPort(ip, port);
    }
    let sent: string;
    let bytes: Buffer;
    try {
      const packet = msgToPacket(msg, this.outgoing);
      if ('packets' in packet) throw new RequestError('BAD_REQUEST', 'a request is one OSC message: a bundle has no single address to answer');
      sent = packet.address;
      bytes = encodePacket(packet, { numbers: o.numbers });
    } catch (e) {
      throw encodeError(e);
    }
    if (bytes.length > maxDatagram) {
      throw new RequestError('LIMIT_EXCEEDED', `the packet is ${bytes.length} bytes, more than the ${maxDatagram} the endpoint can send at once`);
    }
    const template = o.reply !== '' ? o.reply : typeof msg.reply === 'string' && msg.reply.trim() !== '' ? msg.reply.trim() : ADDRESS_PLACEHOLDER;
    const reply = template.split(ADDRESS_PLACEHOLDER).join(sent);
    try {
      checkReplyAddress(reply);
    } catch (e) {
      throw new RequestError('BAD_ADDRESS', `the reply address ${JSON.stringify(reply)} is neither an OSC address nor a pattern: ${(e as Error).message}`);
    }
    return { msg, cb, bytes, ip, port, to, sent, reply };
  }

  private start(p: Pending): void {
    try {
      p.waiting = this.matcher.add(this.peerKey(p.ip, p.port), p.reply, p);
    } catch (e) {
      this.fail(p.cb, e as Error);
      return;
    }
    this.onChange();
    this.transmit(p);
  }

  private transmit(p: Pending): void {
    this.link!.send(p.bytes, p.port, p.ip, (err) => {
      if (err === null || p.waiting === undefined || !this.matcher.cancel(p.waiting)) return;
      const tcp = this.options.transport !== 'udp';
      this.fail(p.cb, new RequestError(errorCode(err), tcp ? `send over TCP failed: ${err.message}` : `send to ${p.to} failed: ${err.message}`));
    });
  }

  /** Who a reply must come from: the host and port sent to; for a TCP client, its one connection. */
  private peerKey(address: string, port: number): string {
    return this.options.transport === 'tcp-client' ? '' : `${address}|${port}`;
  }

  private readonly onPacket: PacketInterceptor = (data: Buffer, rinfo: RemoteInfo): boolean => {
    if (this.matcher.size === 0) return false;
    let packet: OscPacket;
    try {
      packet = decodePacket(data);
    } catch {
      return false; // osc in reports it
    }
    const peer = this.peerKey(rinfo.address, rinfo.port);
    const all = 'packets' in packet ? this.answerBundle(packet, peer, rinfo) : this.answer(packet, peer, rinfo, undefined);
    return all && this.options.consume;
  };

  /** True when every message of the bundle was a reply: only then may the whole packet be consumed. */
  private answerBundle(b: OscBundle, peer: string, rinfo: RemoteInfo): boolean {
    let all = b.packets.length > 0;
    for (const p of b.packets) {
      const took = 'packets' in p ? this.answerBundle(p, peer, rinfo) : this.answer(p, peer, rinfo, b.timetag);
      if (!took) all = false;
    }
    return all;
  }

  private answer(m: OscMessage, peer: string, rinfo: RemoteInfo, timetag: Timetag | undefined): boolean {
    const hit = this.matcher.take(peer, m.address);
    if (hit === undefined) return false;
    this.lastTimedOut = false;
    this.onChange();
    const p = hit.item;
    const r = messageToMsg(m, rinfo.address, rinfo.port, false, timetag);
    // The request msg carries on, as the core http request node's does: what it asked replaced by the answer.
    const out = p.msg;
    out.topic = r.topic;
    out.payload = r.payload;
    out.osc = r.osc;
    out.ip = r.ip;
    out.port = r.port;
    out.rtt = roundMs(hit.rttMs);
    // It typed the request's arguments: left on, an osc out downstream would force them onto the reply's.
    delete out.types;
    if (this.options.format === 'qlab') {
      let err: Error | undefined;
      try {
        const q = parseQlabReply(r.payload, m.address);
        out.payload = q;
        err = qlabReplyError(q, p.sent);
      } catch (e) {
        err = e as Error;
      }
      if (err !== undefined) {
        this.fail(p.cb, err);
        return true;
      }
    }
    p.cb(null, out);
    return true;
  }

  /** A host name's address, looked up once for all the requests made while the lookup runs, in their order. */
  private resolve(host: string, cb: (err: Error | null, address: string) => void): void {
    const hit = this.names.get(host);
    if (hit !== undefined && hit.expires > Date.now()) {
      cb(null, hit.address);
      return;
    }
    const queued = this.lookups.get(host);
    if (queued !== undefined) {
      queued.push(cb);
      return;
    }
    const waiters = [cb];
    this.lookups.set(host, waiters);
    dns.lookup(host, { family: this.options.family }, (err, address) => {
      this.lookups.delete(host);
      if (!err) {
        if (this.names.size >= 64) this.names.clear();
        this.names.set(host, { address, expires: Date.now() + NAME_TTL_MS });
      }
      const e = err ? new RequestError(errorCode(err, 'ENOTFOUND'), `cannot resolve ${host}: ${err.message}`) : null;
      for (const w of waiters) w(e, address);
    });
  }
}
