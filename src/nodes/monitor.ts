// The live monitor's runtime side: taps every endpoint only while at least one editor watches, and sends each
// watcher its batches. An editor takes a lease over the admin API (every route needs flows.read, so with
// adminAuth whoever cannot read the flows cannot read their traffic either), renews it every few seconds, and
// attaches it to its own comms connection; batches go to that connection only (never retained, never to another
// user's editor). A lease not renewed, given back, or whose connection closed is dropped; with the last one the
// taps go and the message path is as if the monitor did not exist. The bookkeeping is src/monitor's.
import { randomBytes } from 'node:crypto';
import { MonitorAggregator } from '../monitor/aggregator';
import type { Direction, MonitorFilter, Watcher } from '../monitor/aggregator';
import { watchEndpoints } from '../transport/endpoint';
import type { EndpointBase } from '../transport/endpoint';

export interface Req {
  body?: unknown;
}
export interface Res {
  status(code: number): Res;
  json(body: unknown): void;
}
type Handler = (req: Req, res: Res, next: () => void) => void;

/** What the monitor uses of the API Node-RED gives a plugin. */
export interface MonitorRED {
  httpAdmin: { post(path: string, ...handlers: Handler[]): unknown };
  auth: { needsPermission(permission: string): Handler };
  events: {
    on(event: string, fn: (arg: never) => void): unknown;
    removeListener(event: string, fn: (arg: never) => void): unknown;
    emit(event: string, arg: unknown): unknown;
  };
}

export const TOPIC = 'osc-monitor/batch';

export interface MonitorServiceOptions {
  /** How often batches go out (default 100 ms: at most 10 a second). */
  batchMs?: number;
  /** How long a lease lives without a renewal (default 15 s); the editor renews every third of that. */
  leaseMs?: number;
  /** Most leases at once (default 16). */
  maxLeases?: number;
}

interface Lease {
  watcher: Watcher;
  expires: number;
  /** The comms connection its batches go to, once the editor attached it. */
  session: string | undefined;
}

const MAX_PATTERN = 256;

function parseFilter(v: unknown): MonitorFilter | string {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object') return 'filter must be an object';
  const f = v as Record<string, unknown>;
  const out: MonitorFilter = {};
  if (f.pattern !== undefined && f.pattern !== '') {
    if (typeof f.pattern !== 'string' || f.pattern.length > MAX_PATTERN) return `pattern must be a string of at most ${MAX_PATTERN} characters`;
    out.pattern = f.pattern;
  }
  if (f.endpoint !== undefined && f.endpoint !== '') {
    if (typeof f.endpoint !== 'string' || f.endpoint.length > 200) return 'endpoint must be an id';
    out.endpoint = f.endpoint;
  }
  if (f.direction !== undefined && f.direction !== '') {
    if (f.direction !== 'in' && f.direction !== 'out') return "direction must be 'in' or 'out'";
    out.direction = f.direction as Direction;
  }
  return out;
}

function leaseOf(req: Req): string | undefined {
  const b = req.body as { lease?: unknown } | undefined;
  return b && typeof b.lease === 'string' && b.lease.length <= 64 ? b.lease : undefined;
}

export class MonitorService {
  readonly batchMs: number;
  readonly leaseMs: number;
  private readonly maxLeases: number;
  private readonly leases = new Map<string, Lease>();
  private aggregator: MonitorAggregator | undefined;
  private stopWatching: (() => void) | undefined;
  private readonly tapped = new Map<EndpointBase, { id: string; label: string; untap: () => void }>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  constructor(
    private readonly RED: MonitorRED,
    options: MonitorServiceOptions = {},
  ) {
    this.batchMs = options.batchMs ?? 100;
    this.leaseMs = options.leaseMs ?? 15000;
    this.maxLeases = options.maxLeases ?? 16;
  }

  /** Leases held now. */
  get leaseCount(): number {
    return this.leases.size;
  }

  /** Endpoints tapped now (0 whenever nobody watches). */
  get tapCount(): number {
    return this.tapped.size;
  }

  /** The admin routes and the comms events. */
  install(): void {
    const { RED } = this;
    RED.httpAdmin.post('/osc-monitor/subscribe', RED.auth.needsPermission('flows.read'), (req, res) => {
      const filter = parseFilter((req.body as { filter?: unknown } | undefined)?.filter);
      if (typeof filter === 'string') return res.status(400).json({ error: filter });
      if (this.leases.size >= this.maxLeases) return res.status(429).json({ error: 'too many monitors open' });
      const { lease, error } = this.subscribe(filter);
      res.json({ lease, renewMs: Math.floor(this.leaseMs / 3), error });
    });
    RED.httpAdmin.post('/osc-monitor/renew', RED.auth.needsPermission('flows.read'), (req, res) => {
      const l = this.leases.get(leaseOf(req) ?? '');
      if (!l) return res.status(404).json({ error: 'no such lease' });
      l.expires = Date.now() + this.leaseMs;
      res.json({ ok: true, attached: l.session !== undefined });
    });
    RED.httpAdmin.post('/osc-monitor/unsubscribe', RED.auth.needsPermission('flows.read'), (req, res) => {
      this.unsubscribe(leaseOf(req) ?? '');
      res.json({ ok: true });
    });
    RED.httpAdmin.post('/osc-monitor/filter', RED.auth.needsPermission('flows.read'), (req, res) => {
      const l = this.leases.get(leaseOf(req) ?? '');
      if (!l) return res.status(404).json({ error: 'no such lease' });
      const filter = parseFilter((req.body as { filter?: unknown } | undefined)?.filter);
      if (typeof filter === 'string') return res.status(400).json({ error: filter });
      const error = this.aggregator?.setFilter(l.watcher, filter);
      res.json({ ok: error === undefined, error });
    });
    RED.events.on('comms:message:osc-monitor/attach', this.onAttach);
    RED.events.on('comms:connection-removed', this.onConnectionRemoved);
  }

  /** Takes a lease: the first one taps every endpoint. */
  subscribe(filter: MonitorFilter = {}): { lease: string; error: string | undefined } {
    this.start();
    const lease = randomBytes(16).toString('hex');
    const watcher = this.aggregator!.addWatcher(filter);
    this.leases.set(lease, { watcher, expires: Date.now() + this.leaseMs, session: undefined });
    return { lease, error: watcher.filter.error };
  }

  /** Gives a lease back: the last one untaps everything. */
  unsubscribe(lease: string): void {
    const l = this.leases.get(lease);
    if (!l) return;
    this.leases.delete(lease);
    this.aggregator?.removeWatcher(l.watcher);
    if (this.leases.size === 0) this.stop();
  }

  /** Sends a lease's batches to one comms connection (the editor that holds it). */
  attach(lease: string, session: string): boolean {
    const l = this.leases.get(lease);
    if (!l) return false;
    l.session = session;
    return true;
  }

  private readonly onAttach = (e: { session?: unknown; data?: unknown }): void => {
    const lease = (e.data as { lease?: unknown } | undefined)?.lease;
    if (typeof e.session === 'string' && typeof lease === 'string') this.attach(lease, e.session);
  };

  private readonly onConnectionRemoved = (e: { session?: unknown }): void => {
    for (const [k, l] of this.leases) if (l.session !== undefined && l.session === e.session) this.unsubscribe(k);
  };

  /** Removes the routes' effects: every lease and tap (Node-RED stopping, tests). */
  close(): void {
    for (const k of [...this.leases.keys()]) this.unsubscribe(k);
    this.RED.events.removeListener('comms:message:osc-monitor/attach', this.onAttach);
    this.RED.events.removeListener('comms:connection-removed', this.onConnectionRemoved);
  }

  private start(): void {
    if (this.aggregator) return;
    const agg = new MonitorAggregator();
    this.aggregator = agg;
    const used = new Set<string>();
    this.stopWatching = watchEndpoints((ep, event) => {
      if (event === 'created') {
        if (this.tapped.has(ep) || ep.closing) return;
        // Two endpoints of one owner (osc out's IPv4 and IPv6 sockets, a redeploy's old and new) stay apart.
        const base = ep.owner?.id ?? `${ep.transport}:${ep.label}`;
        let id = base;
        for (let n = 2; used.has(id); n++) id = `${base}#${n}`;
        used.add(id);
        agg.addEndpoint({ id, name: ep.owner?.name ?? `osc ${ep.transport}`, label: ep.label, transport: ep.transport });
        const untap = ep.tap((direction, data, peer) => agg.feed(direction, data, peer, id));
        this.tapped.set(ep, { id, label: ep.label, untap });
      } else {
        const t = this.tapped.get(ep);
        if (!t) return;
        this.tapped.delete(ep);
        t.untap();
        used.delete(t.id);
        agg.removeEndpoint(t.id);
      }
    });
    this.timer = setInterval(() => this.tick(), this.batchMs);
    this.timer.unref();
  }

  private stop(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    for (const t of this.tapped.values()) t.untap();
    this.tapped.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // Nothing seen is kept once nobody watches.
    this.aggregator = undefined;
  }

  /** Expires leases, refreshes counters and rates, and sends each attached lease its batch. */
  tick(): void {
    const agg = this.aggregator;
    if (!agg) return;
    const now = Date.now();
    for (const [k, l] of this.leases) if (l.expires <= now) this.unsubscribe(k);
    if (this.aggregator !== agg) return;
    for (const [ep, t] of this.tapped) {
      // The label may change once the socket is bound (port 0); counters are the endpoint's own.
      if (ep.label !== t.label) {
        t.label = ep.label;
        agg.addEndpoint({ id: t.id, name: ep.owner?.name ?? `osc ${ep.transport}`, label: t.label, transport: ep.transport });
      }
      const c = ep.status().counters;
      agg.setCounters(t.id, c.rejected, c.kernelDrops);
    }
    if (++this.ticks * this.batchMs >= 1000) {
      this.ticks = 0;
      agg.updateRates();
    }
    for (const l of this.leases.values()) {
      if (l.session === undefined) continue;
      const batch = agg.batch(l.watcher);
      if (batch) this.RED.events.emit('comms', { topic: TOPIC, data: batch, retain: false, session: l.session });
    }
  }
}
