// One osc-query node's whole serve mode without Node-RED: the address space from its table, the server (kept
// across a redeploy, registry.ts), the endpoint it describes (tapped for values, fed by the WebSocket) and the
// DNS-SD advertisements. osc-query.ts only reads the node's properties and hands over the log.
import { parseAllowList } from '../transport/allowlist';
import { EndpointBase } from '../transport/endpoint';
import type { Endpoint, EndpointHandle, EndpointUser } from '../transport/endpoint';
import { errorCode, flag, hostPort, num } from '../util';
import { discovery, type Advertisement } from './advertise';
import { adopt, park, whenReleased } from './registry';
import { OscQueryServer, type OscSide } from './server';
import { AddressSpace, type MethodSpec } from './space';

/** The node's properties, as saved in the flow. */
export interface QueryConfig {
  port?: unknown;
  localAddress?: unknown;
  allow?: unknown;
  websocket?: unknown;
  advertise?: unknown;
  serviceName?: unknown;
  methods?: unknown;
}

export interface QueryLog {
  log(text: string): void;
  warn(text: string): void;
  error(text: string): void;
}

/** What the service needs of the endpoint's config node: to register with it like osc in does. */
export interface EndpointSource {
  register(user: EndpointUser): EndpointHandle;
}

/** The address the endpoint is bound to, when it tells (UDP and TCP endpoints do, once open). */
function boundOf(ep: Endpoint): { address: string; port: number } | undefined {
  const a = (ep as { address?: { address?: unknown; port?: unknown } }).address;
  return a && typeof a.address === 'string' && typeof a.port === 'number'
    ? { address: a.address, port: a.port }
    : undefined;
}

export class QueryService {
  private server: OscQueryServer | undefined;
  private handle: EndpointHandle | undefined;
  private tapped: EndpointBase | undefined;
  private untap: (() => void) | undefined;
  private ads: Advertisement[] = [];
  private adsFor = '';
  private key = '';
  private stopped = false;
  /** Resolves once started (listening, or failed and said why). */
  readonly started: Promise<void>;

  constructor(
    private readonly id: string,
    private readonly name: string,
    config: QueryConfig,
    routeAddresses: readonly string[],
    source: EndpointSource | null,
    private readonly log: QueryLog,
  ) {
    this.started = this.start(config, routeAddresses, source).catch((e: unknown) => {
      this.log.error(`OSCQuery: ${(e as Error).message}`);
    });
  }

  get httpServer(): OscQueryServer | undefined {
    return this.server;
  }

  private async start(config: QueryConfig, routes: readonly string[], source: EndpointSource | null): Promise<void> {
    const methods = Array.isArray(config.methods) ? (config.methods as MethodSpec[]) : [];
    const space = new AddressSpace(methods, routes);
    const allowText = typeof config.allow === 'string' ? config.allow : '';
    const allow = parseAllowList(allowText);
    const port = num(config.port, 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`port ${String(config.port)} is not 0-65535`);
    const localAddress = typeof config.localAddress === 'string' ? config.localAddress.trim() : '';
    const websocket = flag(config.websocket, true);
    const serviceName = (typeof config.serviceName === 'string' ? config.serviceName.trim() : '') || this.name;
    this.key = JSON.stringify([port, localAddress, allow.entries, websocket, serviceName]);

    let server = adopt(this.id, this.key);
    if (server !== undefined) {
      server.setSpace(space);
    } else {
      await whenReleased(this.id);
      server = new OscQueryServer({ port, localAddress, allow, websocket, name: serviceName }, space);
      try {
        await server.listen();
      } catch (e) {
        void server.close();
        const code = errorCode(e);
        const where = hostPort(localAddress || '0.0.0.0', port);
        const why = code === 'EADDRINUSE' ? `port ${port} is in use (EADDRINUSE)` : (e as Error).message;
        throw new Error(`cannot serve on ${where}: ${why}`, { cause: e });
      }
      if (server.loopbackWarning !== undefined) this.log.warn(`OSCQuery: ${server.loopbackWarning}`);
    }
    this.log.log(`OSCQuery on ${server.url}`);
    if (this.stopped) {
      void server.close();
      return;
    }
    this.server = server;
    if (source === null) return;
    const handle = source.register({
      onStateChange: (ep) => this.endpointChanged(ep, flag(config.advertise, true), serviceName, localAddress),
    });
    this.handle = handle;
    this.endpointChanged(handle.endpoint, flag(config.advertise, true), serviceName, localAddress);
  }

  private endpointChanged(ep: Endpoint, advertise: boolean, name: string, localAddress: string): void {
    const server = this.server;
    if (server === undefined || this.stopped) return;
    if (ep.state !== 'open') {
      if (this.tapped === ep) this.detach();
      return;
    }
    if (this.tapped === ep || !(ep instanceof EndpointBase)) return;
    if ((ep as { mode?: unknown }).mode === 'client') {
      // A TCP client has no OSC port of ours to describe: it is the device's.
      this.log.error('OSCQuery: the endpoint is a TCP client; describe an osc udp, or an osc tcp server');
      return;
    }
    this.detach();
    this.tapped = ep;
    const osc: OscSide = {
      transport: ep.transport === 'tcp' ? 'TCP' : 'UDP',
      bound: () => boundOf(ep),
      deliver: (data, peer) => {
        ep.deliver(data, peer);
      },
    };
    server.setOsc(osc);
    // The tap is the whole per-packet cost: a lookup of the address among the declared ones.
    this.untap = ep.tap((_direction, data) => server.packet(data));
    if (advertise) void this.advertise(server, ep, name, localAddress);
  }

  private detach(): void {
    this.untap?.();
    this.untap = undefined;
    this.tapped = undefined;
    this.server?.setOsc(undefined);
  }

  private async advertise(server: OscQueryServer, ep: Endpoint, name: string, localAddress: string): Promise<void> {
    const facade = discovery();
    if (facade === null) {
      this.log.warn('OSCQuery: this build cannot advertise (no DNS-SD); clients must be given the address');
      return;
    }
    const osc = boundOf(ep);
    const key = `${server.port} ${osc?.port ?? ''}`;
    if (key === this.adsFor) return;
    await this.unadvertise();
    if (this.stopped) return;
    this.adsFor = key;
    const address =
      localAddress === '' || localAddress === '0.0.0.0' || localAddress === '::' ? undefined : localAddress;
    try {
      this.ads.push(
        facade.advertise({ type: '_oscjson._tcp', name, port: server.port, address, txt: { txtvers: '1' } }),
      );
      if (osc !== undefined) {
        const type = ep.transport === 'tcp' ? '_osc._tcp' : '_osc._udp';
        // The OSC port is announced where the endpoint listens, which may be narrower than the HTTP server.
        const wild = osc.address === '0.0.0.0' || osc.address === '::';
        const oscAddress = wild ? address : osc.address;
        this.ads.push(facade.advertise({ type, name, port: osc.port, address: oscAddress, txt: { txtvers: '1' } }));
      }
    } catch (e) {
      this.log.warn(`OSCQuery: cannot advertise: ${(e as Error).message}`);
    }
  }

  private unadvertise(): Promise<void> {
    const ads = this.ads;
    this.ads = [];
    this.adsFor = '';
    return Promise.allSettled(ads.map((a) => a.close())).then(() => undefined);
  }

  /**
   * Stops: a node removed closes its server; a node only stopped (a redeploy) parks it for the node replacing it.
   * Resolves once the endpoint is released, the advertisements withdrawn and, when closed, the port free.
   */
  async close(removed: boolean): Promise<void> {
    this.stopped = true;
    await this.started;
    this.detach();
    const released = this.handle?.release();
    await Promise.all([released, this.unadvertise()]);
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    if (removed) await server.close();
    else park(this.id, this.key, server);
  }
}
