// The live monitor's bookkeeping, without Node-RED: taps feed it raw packets (direction, bytes, peer, endpoint),
// it decodes them with our codec and keeps what the editor shows: one row per endpoint, direction, peer and
// address (the latest values, a count and a rate, so a 60 Hz fader is one row), a ring of the last messages, and
// per-endpoint counters. Everything is bounded: rows per endpoint (the least recently seen go first), the log,
// the values (short strings, blobs as their size and first bytes), and what one batch to a watcher holds.
// Packets are only fed while someone watches; nothing here is logged or kept beyond these bounds.
import { decodePacket } from '../osc/codec';
import type { OscArg, OscPacket, Timetag } from '../osc/types';
import { compilePattern } from '../osc/address-pattern';
import type { CompiledPattern } from '../osc/address-pattern';
import type { MonitorArg } from './format';

export type { MonitorArg } from './format';

export type Direction = 'in' | 'out';

export interface MonitorPeer {
  address: string;
  port: number;
}

/** How the editor names an endpoint: its config node (name or label, id) or "osc out <name> (own socket)". */
export interface MonitorEndpointInfo {
  /** Stable while the endpoint lives: the owner's id, or a generated one. */
  id: string;
  name: string;
  /** Where it listens or connects ("0.0.0.0:9000"). */
  label: string;
  transport: string;
}

export interface MonitorMessage {
  endpoint: string;
  direction: Direction;
  peer: MonitorPeer;
  address: string;
  /** Type tags without the comma ("ifsb"). */
  types: string;
  args: MonitorArg[];
  /** ms since the epoch when the packet passed the endpoint. */
  at: number;
  /** The enclosing bundle's timetag, when the message came in one (the innermost). */
  timetag?: Timetag;
}

export interface MonitorRow extends MonitorMessage {
  key: string;
  count: number;
  /** Messages per second over the last second or so. */
  rate: number;
}

export interface EndpointCounts {
  /** Packets the codec refused, seen while watching. */
  malformed: number;
  /** Packets or connections the allow-list refused (the endpoint's own counter). */
  rejected: number;
  /** Datagrams the kernel dropped (the endpoint's own counter, UDP on Linux). */
  kernelDrops: number | null;
  /** Messages seen while watching. */
  messages: number;
}

export interface MonitorEndpointState extends MonitorEndpointInfo {
  counts: EndpointCounts;
  closed?: true;
}

export interface MonitorFilter {
  /** An OSC address pattern (same rules as osc route); empty: every address. */
  pattern?: string;
  endpoint?: string;
  direction?: Direction;
  /** Send the log (default true); the "by address" view and learn need only the rows. */
  log?: boolean;
}

/** What a watcher is sent: everything changed since its previous batch (or, with reset, a snapshot). */
export interface MonitorBatch {
  seq: number;
  at: number;
  /** A snapshot: forget the rows and log held so far. */
  reset: boolean;
  endpoints: MonitorEndpointState[];
  /** Rows changed since the last batch (oldest first), every one regardless of the filter (learn needs them). */
  rows: MonitorRow[];
  /** Rows evicted or gone with their endpoint since the last batch. */
  removed: string[];
  /** New messages passing the watcher's filter, oldest first. */
  log: MonitorMessage[];
  /** Messages passing the filter that did not fit into this batch. */
  skipped: number;
}

export interface AggregatorOptions {
  /** Rows kept per endpoint (default 256). */
  maxRowsPerEndpoint?: number;
  /** Messages kept in the log (default 500). */
  logSize?: number;
  /** Most log messages in one batch (default 200). */
  maxLogPerBatch?: number;
  /** Most rows in one batch (default 500; the rest follow in the next). */
  maxRowsPerBatch?: number;
  /** Longest string value kept, in characters (default 64). */
  maxString?: number;
  /** Bytes of a blob kept, as hex (default 16). */
  maxBlobBytes?: number;
  /** Arguments kept per message (default 16). */
  maxArgs?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** A filter compiled once; `error` says why the pattern is not one (then nothing passes). */
export interface CompiledFilter {
  readonly source: MonitorFilter;
  readonly error: string | undefined;
  /** The watcher wants the log. */
  readonly log: boolean;
  passes(m: { endpoint: string; direction: Direction; address: string }): boolean;
}

export function compileFilter(filter: MonitorFilter = {}): CompiledFilter {
  let pattern: CompiledPattern | undefined;
  let error: string | undefined;
  const text = (filter.pattern ?? '').trim();
  if (text !== '') {
    try {
      pattern = compilePattern(text);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
  }
  const ep = filter.endpoint || undefined;
  const dir = filter.direction === 'in' || filter.direction === 'out' ? filter.direction : undefined;
  const log = filter.log !== false;
  return {
    source: { pattern: text, endpoint: ep, direction: dir, log },
    error,
    log,
    passes(m) {
      if (error !== undefined) return false;
      if (ep !== undefined && m.endpoint !== ep) return false;
      if (dir !== undefined && m.direction !== dir) return false;
      return pattern === undefined || pattern.match(m.address);
    },
  };
}

const HEX = '0123456789abcdef';
function hex(bytes: Uint8Array, n: number): string {
  let s = '';
  const end = Math.min(n, bytes.length);
  for (let i = 0; i < end; i++) s += HEX[bytes[i] >> 4] + HEX[bytes[i] & 15];
  return s;
}

interface Limits {
  maxString: number;
  maxBlobBytes: number;
  maxArgs: number;
}

/** A short, JSON-able copy of one argument (nothing of the packet's buffer is kept). */
export function truncateArg(a: OscArg, lim: Limits, depth = 0): MonitorArg {
  switch (a.type) {
    case 'i':
    case 'f':
    case 'd':
      // NaN, Infinity and -0 are not JSON (-0 would arrive as 0): their names travel instead.
      if (Object.is(a.value, -0)) return { type: a.type, value: '-0' };
      return { type: a.type, value: Number.isFinite(a.value) ? a.value : String(a.value) };
    case 'h':
      return { type: 'h', value: a.value.toString() };
    case 's':
    case 'S':
    case 'c': {
      const v = a.value;
      return v.length > lim.maxString
        ? { type: a.type, value: v.slice(0, lim.maxString), truncated: true }
        : { type: a.type, value: v };
    }
    case 'b': {
      const out: MonitorArg = { type: 'b', value: hex(a.value, lim.maxBlobBytes), size: a.value.length };
      if (a.value.length > lim.maxBlobBytes) out.truncated = true;
      return out;
    }
    case 'm':
      return { type: 'm', value: hex(a.value, 4) };
    case 't':
      return { type: 't', value: { seconds: a.value.seconds, fraction: a.value.fraction } };
    case 'r':
      return { type: 'r', value: { r: a.value.r, g: a.value.g, b: a.value.b, a: a.value.a } };
    case 'T':
      return { type: 'T', value: true };
    case 'F':
      return { type: 'F', value: false };
    case 'N':
    case 'I':
      return { type: a.type, value: null };
    case '[': {
      if (depth >= 4) return { type: '[', value: [], truncated: true };
      const items = a.value.slice(0, lim.maxArgs).map((x) => truncateArg(x, lim, depth + 1));
      const out: MonitorArg = { type: '[', value: items };
      if (a.value.length > lim.maxArgs) out.truncated = true;
      return out;
    }
  }
}

/** The type tags of the arguments, arrays bracketed, without the leading comma. */
export function typeTags(args: readonly OscArg[]): string {
  let s = '';
  for (const a of args) s += a.type === '[' ? `[${typeTags(a.value)}]` : a.type;
  return s;
}

/** Rows are moved to the back of their endpoint's map (least recently seen first) at most this often. */
const TOUCH_MS = 1000;
const RATE_WINDOW_MS = 1000;

interface Row extends MonitorRow {
  // The count when the rate was last computed, and when.
  rateCount: number;
  rateAt: number;
}

interface EndpointEntry {
  info: MonitorEndpointInfo;
  counts: EndpointCounts;
  rows: Map<string, Row>;
  closed: boolean;
}

/** A watcher's view: its filter, and what it has not been sent yet. */
export class Watcher {
  filter: CompiledFilter;
  /** The next batch is a snapshot. */
  needsReset = true;
  readonly changed = new Set<string>();
  readonly removed = new Set<string>();
  log: MonitorMessage[] = [];
  skipped = 0;
  seq = 0;

  constructor(filter: MonitorFilter = {}) {
    this.filter = compileFilter(filter);
  }
}

export class MonitorAggregator {
  private readonly maxRows: number;
  private readonly logSize: number;
  private readonly maxLogPerBatch: number;
  private readonly maxRowsPerBatch: number;
  private readonly limits: Limits;
  private readonly now: () => number;
  private readonly endpoints = new Map<string, EndpointEntry>();
  private readonly watchers = new Set<Watcher>();
  // The log ring: the last logSize messages, oldest at `logStart`.
  private readonly ring: MonitorMessage[] = [];
  private logStart = 0;

  constructor(options: AggregatorOptions = {}) {
    this.maxRows = Math.max(1, options.maxRowsPerEndpoint ?? 256);
    this.logSize = Math.max(1, options.logSize ?? 500);
    this.maxLogPerBatch = Math.max(1, options.maxLogPerBatch ?? 200);
    this.maxRowsPerBatch = Math.max(1, options.maxRowsPerBatch ?? 500);
    this.limits = {
      maxString: options.maxString ?? 64,
      maxBlobBytes: options.maxBlobBytes ?? 16,
      maxArgs: options.maxArgs ?? 16,
    };
    this.now = options.now ?? Date.now;
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Rows held now, over every endpoint. */
  get rowCount(): number {
    let n = 0;
    for (const e of this.endpoints.values()) n += e.rows.size;
    return n;
  }

  get logLength(): number {
    return this.ring.length;
  }

  addWatcher(filter?: MonitorFilter): Watcher {
    const w = new Watcher(filter);
    this.watchers.add(w);
    return w;
  }

  removeWatcher(w: Watcher): void {
    this.watchers.delete(w);
  }

  /** A new filter: the next batch is a snapshot under it. Returns the pattern's error, if any. */
  setFilter(w: Watcher, filter: MonitorFilter): string | undefined {
    w.filter = compileFilter(filter);
    w.needsReset = true;
    return w.filter.error;
  }

  /** An endpoint appeared (or was renamed). */
  addEndpoint(info: MonitorEndpointInfo): void {
    const e = this.endpoints.get(info.id);
    if (e) {
      e.info = { ...info };
      e.closed = false;
      return;
    }
    this.endpoints.set(info.id, {
      info: { ...info },
      counts: { malformed: 0, rejected: 0, kernelDrops: null, messages: 0 },
      rows: new Map(),
      closed: false,
    });
  }

  /** An endpoint closed: its rows go; it is forgotten once every watcher has been told. */
  removeEndpoint(id: string): void {
    const e = this.endpoints.get(id);
    if (!e) return;
    for (const key of e.rows.keys()) this.rowGone(key);
    e.rows.clear();
    e.closed = true;
    if (this.watchers.size === 0) this.endpoints.delete(id);
  }

  /** The endpoint's own counters (status().counters), refreshed by the runtime at each batch. */
  setCounters(id: string, rejected: number, kernelDrops: number | undefined): void {
    const e = this.endpoints.get(id);
    if (!e) return;
    e.counts.rejected = rejected;
    e.counts.kernelDrops = kernelDrops ?? null;
  }

  /** Forgets rows, log and counts (the runtime side of "clear" is the editor's: this is for tests and reset). */
  clear(): void {
    for (const e of this.endpoints.values()) {
      for (const key of e.rows.keys()) this.rowGone(key);
      e.rows.clear();
    }
    this.ring.length = 0;
    this.logStart = 0;
  }

  /** A packet passed an endpoint. `data` is only read here, never kept. */
  feed(direction: Direction, data: Uint8Array, peer: MonitorPeer, endpointId: string): void {
    const e = this.endpoints.get(endpointId);
    if (!e || e.closed) return;
    let packet: OscPacket;
    try {
      packet = decodePacket(data);
    } catch {
      e.counts.malformed++;
      return;
    }
    const at = this.now();
    // A tap's peer is made for each packet (see TrafficTap): kept as it is.
    this.visit(e, direction, peer, packet, at, undefined, 0);
  }

  private visit(
    e: EndpointEntry,
    direction: Direction,
    peer: MonitorPeer,
    p: OscPacket,
    at: number,
    timetag: Timetag | undefined,
    depth: number,
  ): void {
    if ('packets' in p) {
      if (depth > 8) return;
      const tt = { seconds: p.timetag.seconds, fraction: p.timetag.fraction };
      for (const q of p.packets) this.visit(e, direction, peer, q, at, tt, depth + 1);
      return;
    }
    e.counts.messages++;
    const lim = this.limits;
    const n = Math.min(p.args.length, lim.maxArgs);
    const args: MonitorArg[] = new Array<MonitorArg>(n);
    for (let i = 0; i < n; i++) args[i] = truncateArg(p.args[i], lim);
    const m: MonitorMessage = {
      endpoint: e.info.id,
      direction,
      peer,
      address: p.address,
      types: typeTags(p.args),
      args,
      at,
    };
    if (timetag) m.timetag = timetag;
    this.record(e, m);
  }

  private record(e: EndpointEntry, m: MonitorMessage): void {
    const key = `${m.endpoint}|${m.direction}|${m.peer.address}|${m.peer.port}|${m.address}`;
    let row = e.rows.get(key);
    if (row === undefined) {
      if (e.rows.size >= this.maxRows) {
        // The least recently seen row (approximately: see TOUCH_MS) makes room.
        const oldest = e.rows.keys().next().value as string;
        e.rows.delete(oldest);
        this.rowGone(oldest);
      }
      // Written out rather than spread: a spread of m takes a slow path, and this runs for each new address.
      row = {
        endpoint: m.endpoint,
        direction: m.direction,
        peer: m.peer,
        address: m.address,
        types: m.types,
        args: m.args,
        at: m.at,
        timetag: m.timetag,
        key,
        count: 1,
        rate: 0,
        rateCount: 0,
        rateAt: m.at,
      };
      e.rows.set(key, row);
    } else {
      if (m.at - row.at >= TOUCH_MS) {
        e.rows.delete(key);
        e.rows.set(key, row);
      }
      row.types = m.types;
      row.args = m.args;
      row.at = m.at;
      row.peer = m.peer;
      // Assigned, never deleted: a delete would turn the row into a slow dictionary object.
      row.timetag = m.timetag;
      row.count++;
    }
    if (this.ring.length < this.logSize) this.ring.push(m);
    else {
      this.ring[this.logStart] = m;
      this.logStart = (this.logStart + 1) % this.logSize;
    }
    for (const w of this.watchers) {
      w.changed.add(key);
      if (!w.filter.log || !w.filter.passes(m)) continue;
      if (w.log.length < this.maxLogPerBatch) w.log.push(m);
      else {
        // Keep the newest: the oldest pending message gives way (counted).
        w.log.shift();
        w.log.push(m);
        w.skipped++;
      }
    }
  }

  private rowGone(key: string): void {
    for (const w of this.watchers) {
      w.changed.delete(key);
      w.removed.add(key);
      // Addresses churning faster than batches go out: a snapshot says it in fewer words than every key gone.
      if (w.removed.size > this.maxRowsPerBatch) w.needsReset = true;
    }
  }

  /** The log, oldest first. */
  recent(): MonitorMessage[] {
    return [...this.ring.slice(this.logStart), ...this.ring.slice(0, this.logStart)];
  }

  /** Recomputes the rates (call about once a second): rows quiet for a window drop to 0 and are sent again. */
  updateRates(): void {
    const now = this.now();
    for (const e of this.endpoints.values()) {
      for (const [key, r] of e.rows) {
        const dt = now - r.rateAt;
        if (dt < RATE_WINDOW_MS) continue;
        const rate = Math.round(((r.count - r.rateCount) * 1000) / dt);
        r.rateCount = r.count;
        r.rateAt = now;
        if (rate !== r.rate) {
          r.rate = rate;
          for (const w of this.watchers) w.changed.add(key);
        }
      }
    }
  }

  private endpointStates(): MonitorEndpointState[] {
    const out: MonitorEndpointState[] = [];
    for (const [id, e] of this.endpoints) {
      const s: MonitorEndpointState = { ...e.info, counts: { ...e.counts } };
      if (e.closed) {
        // Told once; a watcher that missed it drops the endpoint when its rows are gone anyway.
        s.closed = true;
        this.endpoints.delete(id);
      }
      out.push(s);
    }
    return out;
  }

  private findRow(key: string): Row | undefined {
    const id = key.slice(0, key.indexOf('|'));
    return this.endpoints.get(id)?.rows.get(key);
  }

  /** Everything the watcher has not been sent, or a snapshot when it needs one; undefined when nothing changed. */
  batch(w: Watcher, force = false): MonitorBatch | undefined {
    const at = this.now();
    if (w.needsReset) {
      w.needsReset = false;
      w.changed.clear();
      w.removed.clear();
      w.skipped = 0;
      const rows: MonitorRow[] = [];
      for (const e of this.endpoints.values()) for (const r of e.rows.values()) rows.push(publicRow(r));
      rows.sort((a, b) => a.at - b.at);
      const log = w.filter.log ? this.recent().filter((m) => w.filter.passes(m)) : [];
      w.log = [];
      // Sent once; the older rows beyond a batch still reach the editor in the next ones.
      for (const r of rows.splice(0, Math.max(0, rows.length - this.maxRowsPerBatch))) w.changed.add(r.key);
      return {
        seq: ++w.seq,
        at,
        reset: true,
        endpoints: this.endpointStates(),
        rows,
        removed: [],
        log: log.slice(-this.maxLogPerBatch),
        skipped: Math.max(0, log.length - this.maxLogPerBatch),
      };
    }
    if (!force && w.changed.size === 0 && w.removed.size === 0 && w.log.length === 0 && w.skipped === 0)
      return undefined;
    const rows: MonitorRow[] = [];
    for (const key of w.changed) {
      if (rows.length >= this.maxRowsPerBatch) break;
      w.changed.delete(key);
      const r = this.findRow(key);
      if (r) rows.push(publicRow(r));
    }
    rows.sort((a, b) => a.at - b.at);
    const b: MonitorBatch = {
      seq: ++w.seq,
      at,
      reset: false,
      endpoints: this.endpointStates(),
      rows,
      removed: [...w.removed],
      log: w.log,
      skipped: w.skipped,
    };
    w.removed.clear();
    w.log = [];
    w.skipped = 0;
    return b;
  }
}

function publicRow(r: Row): MonitorRow {
  const out: MonitorRow = {
    key: r.key,
    endpoint: r.endpoint,
    direction: r.direction,
    peer: r.peer,
    address: r.address,
    types: r.types,
    args: r.args,
    at: r.at,
    count: r.count,
    rate: r.rate,
  };
  if (r.timetag) out.timetag = r.timetag;
  return out;
}
