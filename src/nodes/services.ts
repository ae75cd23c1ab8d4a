// GET <admin root>/osc/services: the OSC services DNS-SD finds on the network, for the editor's Browse lists.
// Browsing costs multicast queries and memory, so it runs only while someone asks: the first request starts a
// browser, and it stops IDLE_MS after the last. The list is capped, whatever a crowded (or hostile) network offers.
import { browse } from '../transport/discovery';
import type { FoundService, OscServiceType, ServiceBrowser } from '../transport/discovery';
import type { NodeAPI } from './red';

/** The browser stops this long after the last request (an editor dialog polls about once a second). */
export const IDLE_MS = 45000;
/** At most this many services in one answer. */
export const MAX_SERVICES = 200;

export const SERVICE_TYPES: readonly OscServiceType[] = ['_osc._udp', '_osc._tcp', '_oscjson._tcp'];

let browser: ServiceBrowser | undefined;
let idle: NodeJS.Timeout | undefined;

/** The services found so far (starting a browser if none runs), of the given types, capped. */
export function foundServices(types: readonly OscServiceType[] = SERVICE_TYPES): FoundService[] {
  if (browser === undefined) browser = browse(SERVICE_TYPES);
  if (idle !== undefined) clearTimeout(idle);
  idle = setTimeout(stopBrowsing, IDLE_MS);
  idle.unref();
  const out: FoundService[] = [];
  for (const s of browser.services()) {
    if (!types.includes(s.type)) continue;
    // Exactly the documented fields, copied: the answer is an API, not the browser's internals.
    out.push({
      name: s.name,
      type: s.type,
      host: s.host,
      addresses: [...s.addresses],
      port: s.port,
      txt: { ...s.txt },
    });
    if (out.length >= MAX_SERVICES) break;
  }
  return out;
}

/** Stops the browser now (no one asked for IDLE_MS; tests). */
export function stopBrowsing(): void {
  if (idle !== undefined) clearTimeout(idle);
  idle = undefined;
  const b = browser;
  browser = undefined;
  try {
    b?.close();
  } catch {
    // nothing left to stop
  }
}

/** The `type` query parameter: absent (every type), one type, or several (repeated or comma-separated). */
export function typesOf(q: unknown): OscServiceType[] | undefined {
  if (q === undefined || q === '') return [...SERVICE_TYPES];
  const parts = (Array.isArray(q) ? q : [q]).flatMap((v) => (typeof v === 'string' ? v.split(',') : [null]));
  const types: OscServiceType[] = [];
  for (const p of parts) {
    const t = SERVICE_TYPES.find((s) => s === (p ?? '').trim());
    if (t === undefined) return undefined;
    if (!types.includes(t)) types.push(t);
  }
  return types;
}

// Node files are loaded once per runtime, but a test harness makes a new admin app per flow load.
const served = new WeakSet<object>();

/** Adds the route to the editor's admin app (once per app); reading flows is the permission it needs. */
export function serveServices(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (app === undefined || served.has(app)) return;
  served.add(app);
  RED.httpAdmin.get('/osc/services', RED.auth.needsPermission('flows.read'), (req, res) => {
    const types = typesOf(req.query.type);
    if (types === undefined) {
      res.status(400).json({ error: `type is one of ${SERVICE_TYPES.join(', ')}` });
      return;
    }
    try {
      res.json(foundServices(types));
    } catch (e) {
      // mDNS unavailable here (no multicast, no interface): an empty list, and why.
      res.status(503).json({ error: e instanceof Error ? e.message : String(e) });
    }
  });
}
