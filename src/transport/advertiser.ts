// Publishes an endpoint by DNS-SD (osc udp's and an osc tcp server's Advertise): while the endpoint is open, its
// real bound port and address as one service instance; a goodbye when it closes. It follows the endpoints of one
// holder (a config node), not one endpoint: a redeploy that restarts only the users closes the endpoint and opens
// an equal one straight away, and the service then stays as it was (no goodbye, no probing again, no rename).
// Nothing here knows Node-RED; an mDNS failure is something to show, never an exception.
import { advertise as publish, defaultServiceName } from './discovery';
import type { Advertisement, AdvertiseOptions, OscServiceType } from './discovery';
import type { EndpointAdvertisement, EndpointBase, EndpointHooks } from './endpoint';

/** After the endpoint closes, how long the service stays published waiting for an equal endpoint (a redeploy). */
export const REDEPLOY_GRACE_MS = 3000;

export interface AdvertiserOptions {
  type: OscServiceType;
  /** The instance name; blank: defaultServiceName() ("Node-RED on <host name>"). */
  name?: string;
  /** Where the endpoint is bound, once open (undefined before, and for an endpoint not to publish: a TCP client). */
  boundOf: (endpoint: EndpointBase) => { address: string; port: number } | undefined;
  /** The facade's advertise(); tests give another. */
  advertise?: (o: AdvertiseOptions) => Advertisement;
  graceMs?: number;
  /** Publishing failed (once per distinct reason): for the holder's log, as a warning. */
  onProblem?: (reason: string) => void;
}

export class EndpointAdvertiser {
  private readonly name: string;
  private readonly publish: (o: AdvertiseOptions) => Advertisement;
  private readonly graceMs: number;
  private ad: Advertisement | undefined;
  /** "address port" of what `ad` publishes. */
  private adKey = '';
  /** The endpoint shown as advertised (its users' statuses). */
  private shownOn: EndpointBase | undefined;
  private goodbye: NodeJS.Timeout | undefined;
  private lastError: string | undefined;
  private warned: string | undefined;
  private stopped = false;

  constructor(private readonly options: AdvertiserOptions) {
    this.name = (options.name ?? '').trim() || defaultServiceName();
    this.publish = options.advertise ?? publish;
    this.graceMs = options.graceMs ?? REDEPLOY_GRACE_MS;
  }

  /** Hooks to give the holder (merged with the holder's own). */
  hooks(other: EndpointHooks = {}): EndpointHooks {
    return {
      ...other,
      onStateChange: (ep) => {
        other.onStateChange?.(ep);
        this.seen(ep);
      },
    };
  }

  /** The name now published (after any rename), or the one asked for. */
  get serviceName(): string {
    return this.ad?.name ?? this.name;
  }

  /** Withdraws the service (goodbye) at once; resolves once the goodbye is sent. */
  close(): Promise<void> {
    this.stopped = true;
    this.clearGoodbye();
    this.shownOn = undefined;
    return this.withdraw();
  }

  private seen(ep: EndpointBase): void {
    if (this.stopped) return;
    if (ep.state === 'open' && !ep.closing) {
      const bound = this.options.boundOf(ep);
      if (bound === undefined) return;
      this.clearGoodbye();
      const key = `${bound.address} ${bound.port}`;
      if (this.ad === undefined || key !== this.adKey) {
        void this.withdraw();
        this.start(bound.address, bound.port, key);
      }
      this.shownOn = ep;
      this.show();
      return;
    }
    if (ep !== this.shownOn && this.shownOn !== undefined) return;
    if (ep.state === 'closed' || ep.state === 'failed' || ep.closing) {
      this.shownOn = undefined;
      if (this.ad !== undefined && this.goodbye === undefined) {
        this.goodbye = setTimeout(() => {
          this.goodbye = undefined;
          void this.withdraw();
        }, this.graceMs);
        this.goodbye.unref();
      }
    }
  }

  private start(address: string, port: number, key: string): void {
    this.lastError = undefined;
    let ad: Advertisement;
    try {
      ad = this.publish({ type: this.options.type, name: this.name, port, address });
    } catch (e) {
      this.problem(e);
      return;
    }
    this.ad = ad;
    this.adKey = key;
    const changed = (): void => {
      if (this.ad === ad) this.show();
    };
    ad.on('name', changed);
    ad.on('announced', changed);
    ad.on('error', (e: unknown) => {
      if (this.ad !== ad) return;
      this.problem(e);
      this.show();
    });
  }

  private problem(e: unknown): void {
    const reason = e instanceof Error ? e.message : String(e);
    this.lastError = reason;
    if (reason === this.warned) return;
    this.warned = reason;
    try {
      this.options.onProblem?.(reason);
    } catch {
      // the log's fault must not stop the endpoint
    }
  }

  private withdraw(): Promise<void> {
    const ad = this.ad;
    this.ad = undefined;
    this.adKey = '';
    if (ad === undefined) return Promise.resolve();
    // A goodbye that fails has nothing left to withdraw.
    return ad.close().catch(() => undefined);
  }

  private clearGoodbye(): void {
    if (this.goodbye !== undefined) clearTimeout(this.goodbye);
    this.goodbye = undefined;
  }

  /** What the users' statuses show. */
  private view(): EndpointAdvertisement {
    const ad = this.ad;
    if (ad === undefined) return { name: this.name, state: 'failed', reason: this.lastError ?? 'not published' };
    // An error after the announcement (a socket error on one interface) leaves it published where it was.
    if (ad.state === 'failed' || (this.lastError !== undefined && ad.state !== 'announced'))
      return { name: ad.name, state: 'failed', reason: this.lastError ?? ad.lastError?.message ?? 'mDNS failed' };
    return { name: ad.name, state: ad.state === 'announced' ? 'announced' : 'probing' };
  }

  private show(): void {
    const ep = this.shownOn;
    if (ep !== undefined && !ep.closing) ep.setAdvertised(this.view());
  }
}
