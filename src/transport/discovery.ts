/**
 * Discovery of OSC services on the local network: DNS-SD over multicast DNS (RFC 6763 / RFC 6762), as TouchOSC,
 * VRChat, ossia score and the OSCQuery proposal use it. One responder per process does the work (see
 * mdns/responder.ts); this is the small surface the nodes and the editor use. No Node-RED here.
 */
import type { EventEmitter } from 'node:events';
import * as os from 'node:os';
import { MdnsError, encodeTxt } from './mdns/packet';
import { type Ad, type Browser, Responder, type ResponderStats, UdpTransport } from './mdns/responder';

export { MdnsError, isMdnsError, type MdnsErrorCode } from './mdns/packet';

export type OscServiceType = '_osc._udp' | '_osc._tcp' | '_oscjson._tcp';

export const OSC_SERVICE_TYPES: readonly OscServiceType[] = ['_osc._udp', '_osc._tcp', '_oscjson._tcp'];

export interface FoundService {
  /** The instance name, e.g. "TouchOSC on iPad". */
  name: string;
  type: OscServiceType;
  /** The host name its SRV record names, e.g. "ipad.local". */
  host: string;
  /** Its addresses as announced (IPv4 first); may be empty while they are still being asked for. */
  addresses: string[];
  port: number;
  txt: Record<string, string>;
}

export interface AdvertiseOptions {
  type: OscServiceType;
  /** The instance name; at most 63 bytes of UTF-8 (longer is cut). Renamed "Name (2)" on a conflict. */
  name: string;
  port: number;
  /**
   * The address the endpoint is bound to: '' / '0.0.0.0' / '::' = every interface (loopback included);
   * '127.0.0.1' / '::1' = loopback only; one interface's address = that interface only.
   */
  address?: string;
  /** Keys: printable ASCII without '='; each key=value at most 255 bytes. */
  txt?: Record<string, string>;
}

/**
 * One advertised service. Events: 'name' (the new name, after a conflict), 'announced' (once its first
 * announcement has left), 'error' (an MdnsError with .code: MDNS_SOCKET, MDNS_NAME_CONFLICT; also kept in
 * lastError, and not thrown when nobody listens).
 */
export interface Advertisement extends EventEmitter {
  readonly name: string;
  readonly state: 'probing' | 'announced' | 'failed' | 'closed';
  readonly lastError: MdnsError | null;
  /** Sends the goodbye (TTL 0) when it was announced; resolves once sent. */
  close(): Promise<void>;
}

/** Event 'change' when services() would return something else; 'error' (MdnsError) when the socket fails. */
export interface ServiceBrowser extends EventEmitter {
  services(): FoundService[];
  close(): void;
}

let shared: Responder | null = null;

/** The process's responder (created on first use; its socket opens only while advertisements or browsers exist). */
export function responder(): Responder {
  shared ??= new Responder(new UdpTransport());
  return shared;
}

/** Counters of the shared responder: packets received, malformed, ignored, cache size and drops, last error. */
export function discoveryStats(): ResponderStats {
  return { ...responder().stats };
}

/**
 * Tells `listener` of malformed mDNS packets (an MdnsError with .code and .sender), at most one a second.
 * Returns the function that stops it.
 */
export function onDiscoveryWarning(listener: (e: MdnsError) => void): () => void {
  const r = responder();
  r.warnings.on('warning', listener);
  return () => r.warnings.off('warning', listener);
}

const utf8 = new TextEncoder();

/** Cuts a name to what fits one DNS label with room for " (NN)", at a character boundary. */
function fitName(name: string): string {
  let s = name.trim() || defaultServiceName();
  while (utf8.encode(s).length > 58) s = Array.from(s).slice(0, -1).join('');
  return s;
}

function isServiceType(t: unknown): t is OscServiceType {
  return (OSC_SERVICE_TYPES as readonly unknown[]).includes(t);
}

/**
 * Advertises a service on the interfaces its address reaches: probes for the name (renaming on conflict),
 * announces it twice, answers queries for it until closed. Throws an MdnsError (MDNS_BAD_RDATA) at once for a
 * TXT entry that cannot be sent, a TypeError for a port or type out of range.
 */
export function advertise(o: AdvertiseOptions): Advertisement {
  if (!isServiceType(o.type)) throw new TypeError(`unknown service type ${String(o.type)}`);
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new TypeError(`port ${o.port} out of range`);
  const txt = encodeTxt(o.txt);
  const r = responder();
  const ad: Ad = r.advertise({ type: o.type, name: fitName(o.name), port: o.port, address: o.address, txt });
  const a = ad as unknown as Advertisement & { close(): Promise<void> };
  Object.defineProperty(a, 'close', { value: () => r.closeAd(ad), enumerable: false });
  return a;
}

/** Browses for services of these types (all three by default) on every interface, the loopback included. */
export function browse(types: readonly OscServiceType[] = OSC_SERVICE_TYPES): ServiceBrowser {
  for (const t of types) if (!isServiceType(t)) throw new TypeError(`unknown service type ${String(t)}`);
  const r = responder();
  const b: Browser = r.browse(types);
  const sb = b as unknown as ServiceBrowser;
  Object.defineProperty(sb, 'services', {
    value: () => r.services(b.types) as FoundService[],
    enumerable: false,
  });
  Object.defineProperty(sb, 'close', { value: () => r.closeBrowser(b), enumerable: false });
  return sb;
}

/** "Node-RED on <host name>", the host name without its domain. */
export function defaultServiceName(): string {
  return `Node-RED on ${os.hostname().split('.')[0] || 'localhost'}`;
}
