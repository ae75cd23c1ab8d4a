// osc-request without Node-RED: a msg becomes an OSC message as osc out makes it, is sent through an endpoint, and
// the first matching reply from the peer it was sent to comes back as the msg osc in would give, with the request
// msg's other properties kept and msg.rtt added. No reply in time is a TIMEOUT error. The endpoint is anything
// with send() and intercept() (a UDP or TCP endpoint handle); the Node-RED node only wires msgs to request().
import type { RemoteInfo } from 'node:dgram';
import * as dns from 'node:dns';
import * as net from 'node:net';
import { decodePacket } from '../osc/codec';
import type { NumberPolicy, OscBundle, OscMessage, OscPacket, Timetag } from '../osc/codec';
import { compilePattern, isPattern, validateAddress } from '../osc/pattern';
import { DEFAULT_MAX_PENDING, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS, RequestError, RequestMatcher } from '../request/matcher';
import type { Waiting } from '../request/matcher';
import { parseQlabReply, qlabReplyError } from '../request/qlab';
import { EndpointError } from '../transport/endpoint';
import type { Endpoint, PacketInterceptor, SendCallback } from '../transport/endpoint';
import { errorCode, flag, hostPort, num } from '../util';
import { OscOutputError, encodeOutgoing, messageToMsg, msgToPacket } from './convert';
import type { OutgoingOptions } from './convert';
import { Destination } from './destination';
import { EndpointWords } from './endpoint-words';
import type { NodeMessage, NodeStatus } from './red';
import { Texts } from './texts';
import { endpointText } from './status';
import type { TextParams } from './texts';

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

/** An endpoint handle (EndpointHandle): sends, and lets the requester see packets before the endpoint's receivers. */
export interface RequestLink {
  readonly endpoint: Pick<Endpoint, 'state' | 'error' | 'label' | 'maxPacket' | 'status' | 'advertised'>;
  send(data: Uint8Array, port: number, host: string, cb: SendCallback): void;
  intercept(fn: PacketInterceptor | undefined): void;
}

/**
 * How a request ends: a reply (err null, reply the msg to send on), an error, or neither when the requester is
 * closed while it waits (the msg is dropped).
 */
export type RequestCallback = (err: Error | null, reply?: Record<string, unknown>) => void;

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

/** The English words, for a requester made without the runtime's RED._ (tests, benchmarks). */
const english = new Texts('osc-request');

function checkReplyAddress(reply: string): void {
  if (isPattern(reply)) compilePattern(reply);
  else validateAddress(reply);
}

/** The transport and address family of the endpoint a node registered with (null: a UDP socket of its own, for `host`). */
export function transportOf(ep: Endpoint | null, host: string | undefined): { transport: RequestTransport; family: 4 | 6 } {
  const e = ep as { mode?: string; options?: { ipv?: string } } | null;
  if (ep?.transport === 'tcp') return { transport: e?.mode === 'server' ? 'tcp-server' : 'tcp-client', family: 4 };
  if (ep?.transport === 'udp') return { transport: 'udp', family: e?.options?.ipv === 'udp6' ? 6 : 4 };
  return { transport: 'udp', family: net.isIPv6((host ?? '').trim()) ? 6 : 4 };
}

/** The options of a saved node, and what was wrong with them (each replaced by its default, and worth a warning). */
export function requestOptionsFromConfig(
  c: RequestConfig,
  transport: RequestTransport,
  family: 4 | 6,
  texts: Texts = english,
): { options: RequestOptions; problems: string[] } {
  const problems: string[] = [];
  const portText = String(c.port ?? '').trim();
  let timeoutS = num(c.timeout, DEFAULT_TIMEOUT_MS / 1000);
  if (!(timeoutS * 1000 >= 1 && timeoutS * 1000 <= MAX_TIMEOUT_MS)) {
    problems.push(texts.t('config.timeout', { value: String(c.timeout), seconds: DEFAULT_TIMEOUT_MS / 1000 }));
    timeoutS = DEFAULT_TIMEOUT_MS / 1000;
  }
  let retries = num(c.retries, 0);
  if (!(Number.isInteger(retries) && retries >= 0 && retries <= 1000)) {
    problems.push(texts.t('config.retries', { value: String(c.retries) }));
    retries = 0;
  }
  let maxPending = num(c.maxPending, DEFAULT_MAX_PENDING);
  if (!(Number.isInteger(maxPending) && maxPending >= 1 && maxPending <= 1e6)) {
    problems.push(texts.t('config.max-pending', { value: String(c.maxPending), max: DEFAULT_MAX_PENDING }));
    maxPending = DEFAULT_MAX_PENDING;
  }
  const reply = (c.reply ?? '').trim();
  if (reply !== '') {
    try {
      checkReplyAddress(reply.split(ADDRESS_PLACEHOLDER).join('/x'));
    } catch (e) {
      problems.push(texts.t('config.reply', { reply: JSON.stringify(reply), detail: (e as Error).message }));
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
  private readonly destination: Destination;
  private readonly words: EndpointWords;
  private readonly onChange: () => void;
  private readonly names = new Map<string, { address: string; expires: number }>();
  private readonly lookups = new Map<string, Array<(err: Error | null, address: string) => void>>();
  /** Requests waiting for a host name to resolve: they count towards maxPending. */
  private resolving = 0;
  private closed = false;
  private lastTimedOut = false;

  constructor(
    options: RequestOptions,
    onChange: () => void = () => undefined,
    /** osc-request's texts (its catalogue through RED._); English without. */
    private readonly texts: Texts = english,
  ) {
    this.options = options;
    this.onChange = onChange;
    this.outgoing = { address: options.address, numbers: options.numbers };
    this.destination = new Destination({ host: options.host, port: options.port === 0 ? '' : options.port }, options.transport !== 'udp');
    this.words = new EndpointWords(texts);
    this.matcher = new RequestMatcher<Pending>({
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      maxPending: options.maxPending,
      onRetry: (p) => this.transmit(p),
      onTimeout: (p, sends) => {
        this.lastTimedOut = true;
        this.onChange();
        const s = this.options.timeoutMs / 1000;
        p.cb(
          sends > 1
            ? this.err('TIMEOUT', 'timeout-retried', { reply: p.reply, to: p.to, sent: p.sent, seconds: s, sends })
            : this.err('TIMEOUT', 'timeout', { reply: p.reply, to: p.to, sent: p.sent, seconds: s }),
        );
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
      if (this.closed || link === undefined) throw this.err('ENOTCONN', 'stopping');
      if (this.matcher.size + this.resolving >= this.options.maxPending) {
        throw this.err('LIMIT_EXCEEDED', 'request.limit', { count: this.matcher.size + this.resolving, max: this.options.maxPending });
      }
      p = this.prepare(msg, cb, link.endpoint.maxPacket);
    } catch (e) {
      this.fail(cb, this.worded(e));
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
  connectionLost(why: EndpointError | undefined): void {
    const lost = this.matcher.clear();
    if (lost.length === 0) return;
    this.failed += lost.length;
    this.onChange();
    const code = why?.code ?? 'ENOTCONN';
    const detail = why !== undefined ? this.words.message(why) : code;
    for (const p of lost) p.cb(this.err(code, 'lost', { reply: p.reply, sent: p.sent, to: p.to, detail }));
  }

  /** Stops: every waiting request is dropped (its callback called with neither error nor reply). Returns how many. */
  close(): number {
    this.closed = true;
    const dropped = this.matcher.clear();
    for (const p of dropped) p.cb(null);
    return dropped.length + this.resolving;
  }

  /** What the node's status shows: the endpoint's state, then how many wait, the last round trip, the timeouts. */
  status(): NodeStatus {
    const ep = this.link?.endpoint;
    const t = this.texts;
    if (ep === undefined) return { fill: 'yellow', shape: 'ring', text: t.t('status.opening') };
    const st = ep.status('send');
    const { text: words, warn } = endpointText(this.words, ep, st);
    if (st.state === 'opening') return { fill: 'yellow', shape: 'ring', text: words };
    if (st.state !== 'open') return { fill: 'red', shape: 'ring', text: words };
    const m = this.matcher;
    const parts: string[] = [];
    if (m.size > 0) parts.push(t.t('status.waiting', { count: m.size }));
    if (m.lastRttMs !== undefined) parts.push(t.t('status.rtt', { ms: m.lastRttMs < 10 ? m.lastRttMs.toFixed(1) : Math.round(m.lastRttMs) }));
    if (m.timeouts > 0) parts.push(t.t('status.timeouts', { count: m.timeouts }));
    if (this.failed > 0) parts.push(t.t('status.failed', { count: this.failed }));
    const adv = this.words.advertised(ep.advertised);
    const ready = this.options.transport === 'udp' ? t.t('status.ready', { label: ep.label }) + (adv ? ' · ' + adv : '') : words;
    const text = parts.length > 0 ? parts.join(' · ') : ready;
    return { fill: this.lastTimedOut || warn ? 'yellow' : 'green', shape: 'dot', text };
  }

  /** A RequestError in the node's words. */
  private err(code: string, key: string, params: TextParams = {}): RequestError {
    return new RequestError(code, this.texts.t(key, params), key, params);
  }

  /** An error from below (the matcher, QLab's reply, the encoder) in the node's words, its code kept. */
  private worded(e: unknown): Error {
    if (e instanceof RequestError) return this.err(e.code, e.key, { ...e.params });
    if (e instanceof OscOutputError) return this.err(e.code, e.key, e.params);
    return e as Error;
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
    let to = this.texts.t('tcp-connection');
    if (o.transport !== 'tcp-client') {
      // Where osc out would send it (Host and Port win over msg.ip and msg.port); a server's client is named by both.
      const d = this.destination;
      const bad = d.resolve(msg as NodeMessage);
      if (bad !== undefined) throw this.err(bad.code, bad.key, bad.params);
      if (o.transport === 'tcp-server' && (d.host === '' || d.port === 0)) throw this.err('NO_DESTINATION', 'tcp-server-client');
      ip = d.host;
      port = d.port;
      to = hostPort(ip, port);
    }
    let sent: string;
    let bytes: Buffer;
    try {
      const packet = msgToPacket(msg, this.outgoing);
      if ('packets' in packet) throw this.err('BAD_REQUEST', 'bundle');
      sent = packet.address;
      bytes = encodeOutgoing(packet, this.outgoing);
    } catch (e) {
      throw this.worded(e);
    }
    if (bytes.length > maxDatagram) {
      throw this.err('LIMIT_EXCEEDED', 'too-big', { size: bytes.length, max: maxDatagram });
    }
    const template = o.reply !== '' ? o.reply : typeof msg.reply === 'string' && msg.reply.trim() !== '' ? msg.reply.trim() : ADDRESS_PLACEHOLDER;
    const reply = template.split(ADDRESS_PLACEHOLDER).join(sent);
    try {
      checkReplyAddress(reply);
    } catch (e) {
      throw this.err('BAD_ADDRESS', 'bad-reply', { reply: JSON.stringify(reply), detail: (e as Error).message });
    }
    return { msg, cb, bytes, ip, port, to, sent, reply };
  }

  private start(p: Pending): void {
    try {
      p.waiting = this.matcher.add(this.peerKey(p.ip, p.port), p.reply, p);
    } catch (e) {
      this.fail(p.cb, this.worded(e));
      return;
    }
    this.onChange();
    this.transmit(p);
  }

  private transmit(p: Pending): void {
    this.link!.send(p.bytes, p.port, p.ip, (err) => {
      if (err === null || p.waiting === undefined || !this.matcher.cancel(p.waiting)) return;
      const tcp = this.options.transport !== 'udp';
      const detail = err instanceof EndpointError ? this.words.message(err) : err.message;
      this.fail(p.cb, this.err(errorCode(err), tcp ? 'send-failed-tcp' : 'send-failed', { to: p.to, detail }));
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
        const denied = qlabReplyError(q, p.sent);
        err = denied === undefined ? undefined : this.worded(denied);
      } catch (e) {
        err = this.worded(e);
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
      const e = err ? this.err(errorCode(err, 'ENOTFOUND'), 'resolve', { host, detail: err.message }) : null;
      for (const w of waiters) w(e, address);
    });
  }
}
