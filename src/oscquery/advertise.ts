// DNS-SD advertising of an OSCQuery server, through the package's discovery facade (src/transport/discovery.ts):
// `_oscjson._tcp` for the HTTP port, and `_osc._udp` (or `_osc._tcp`) for the OSC port, which VRChat and Vezér
// use. A build without the facade advertises nothing and says so. Nothing here knows Node-RED.

export interface AdvertiseOptions {
  /** '_oscjson._tcp', '_osc._udp', '_osc._tcp'. */
  type: string;
  name: string;
  port: number;
  /** The address to announce; undefined: every address of the machine. */
  address?: string;
  txt?: Record<string, string>;
}

export interface Advertisement {
  close(): Promise<void>;
}

interface DiscoveryFacade {
  advertise(options: AdvertiseOptions): Advertisement;
}

let facade: DiscoveryFacade | null | undefined;

/** The discovery facade, or null when this build has none. */
export function discovery(): DiscoveryFacade | null {
  if (facade !== undefined) return facade;
  try {
    // Loaded at run time: the facade is optional for this module (it arrives with the mDNS work).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('../transport/discovery') as Partial<DiscoveryFacade>;
    facade = typeof m.advertise === 'function' ? (m as DiscoveryFacade) : null;
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw e;
    facade = null;
  }
  return facade;
}

/** For tests: replaces the facade (null: none). */
export function setDiscovery(f: DiscoveryFacade | null | undefined): void {
  facade = f;
}
