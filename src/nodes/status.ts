// Node status composition, without Node-RED: what each node shows under it, from its counters and its endpoint.
// Statuses go to every open editor, so nodes refresh them at most once per STATUS_INTERVAL_MS (a Throttle).
import type { SchedulerStats } from '../osc/scheduler';
import { Throttle } from '../transport/throttle';
import type { EndpointAdvertisement, EndpointError, EndpointRole, EndpointStatus } from '../transport/endpoint';
import type { EndpointWords } from './endpoint-words';
import type { NodeStatus } from './red';
import type { Texts } from './texts';

/** How often at most a node's status is refreshed while packets flow. */
export const STATUS_INTERVAL_MS = 500;

/** Runs `update` at most once per STATUS_INTERVAL_MS after mark(), at once on now(). */
export function statusThrottle(update: () => void): Throttle {
  return new Throttle(STATUS_INTERVAL_MS, update);
}

/** Parts of a status line are joined by this. */
const SEP = ' · ';

/** osc-codec: what it decoded, encoded, and failed to (with the code of the last failure). */
export function codecStatus(texts: Texts, c: { decoded: number; encoded: number; failed: number; lastCode: string }): NodeStatus {
  const parts: string[] = [];
  if (c.decoded > 0) parts.push(texts.t('status.decoded', { count: c.decoded }));
  if (c.encoded > 0) parts.push(texts.t('status.encoded', { count: c.encoded }));
  if (c.failed > 0) parts.push(texts.t('status.failed', { count: c.failed, code: c.lastCode }));
  return { fill: c.failed > 0 ? 'yellow' : 'green', shape: 'dot', text: parts.join(SEP) };
}

/** What a status reads of an endpoint (an Endpoint). */
export interface EndpointView {
  readonly error: EndpointError | undefined;
  status(role?: EndpointRole): EndpointStatus;
  /** How the endpoint is published by DNS-SD, when its config node advertises it. */
  readonly advertised?: EndpointAdvertisement;
}

/**
 * The endpoint's state in words, with how it is published ("listening on 0.0.0.0:8000 · advertised as Node-RED
 * on studio"), and whether publishing failed (a warning: the endpoint itself works).
 */
export function endpointText(words: EndpointWords, ep: EndpointView, st: EndpointStatus): { text: string; warn: boolean } {
  const text = words.status(st, ep.error);
  const adv = st.state === 'open' ? words.advertised(ep.advertised) : undefined;
  if (adv === undefined) return { text, warn: false };
  return { text: text + SEP + adv, warn: ep.advertised?.state === 'failed' };
}

/** What osc-in counted (a PacketReceiver). */
export interface InCounters {
  readonly received: number;
  readonly errors: { readonly count: number; readonly lastCode: string };
  readonly scheduled?: { stats(): SchedulerStats };
}

/**
 * osc-in: the endpoint's state ("listening on 0.0.0.0:9000", "port 9000 in use"), then what arrived, what waits
 * (scheduled bundles), what could not be used, and what the endpoint refused or the OS dropped. Yellow while
 * opening, red when it cannot receive.
 */
export function inStatus(texts: Texts, words: EndpointWords, ep: EndpointView, c: InCounters, now: number): NodeStatus {
  const st = ep.status('receive');
  const { text, warn } = endpointText(words, ep, st);
  if (st.state === 'opening') return { fill: 'yellow', shape: 'ring', text };
  if (st.state !== 'open') return { fill: 'red', shape: 'ring', text };
  const parts = [text];
  if (c.received > 0) parts.push(texts.t('status.received', { count: c.received }));
  if (c.scheduled !== undefined) {
    const s = c.scheduled.stats();
    if (s.waiting > 0) {
      const next = s.nextDue === null ? 0 : Math.max(0, s.nextDue - now) / 1000;
      parts.push(texts.t('status.waiting', { count: s.waiting, seconds: next < 10 ? next.toFixed(1) : Math.round(next) }));
    }
    if (s.dropped > 0) parts.push(texts.t('status.late-dropped', { count: s.dropped }));
    else if (s.late > 0) parts.push(texts.t('status.late', { count: s.late }));
  }
  if (c.errors.count > 0) parts.push(texts.t('status.bad', { count: c.errors.count, code: c.errors.lastCode }));
  else if (ep.error) parts.push(words.short(ep.error));
  // Counted at the endpoint, so every osc in on it shows the same numbers.
  if (st.counters.rejected > 0) parts.push(texts.t('status.not-allowed', { count: st.counters.rejected }));
  if (st.counters.kernelDrops) parts.push(texts.t('status.os-dropped', { count: st.counters.kernelDrops }));
  return { fill: warn ? 'yellow' : 'green', shape: 'dot', text: parts.join(SEP) };
}

/** What osc-out counted. */
export interface OutCounters {
  readonly sent: number;
  readonly failed: number;
  readonly lastCode: string;
}

/**
 * osc-out: where it sends ("→ 10.0.0.5:9001", "→ msg.ip"; over TCP the connection's state), what it sent and
 * what failed. `to` is the destination (UDP), undefined over TCP. Yellow while opening or once a send failed, red
 * when it cannot send or nothing listens at its fixed destination.
 */
export function outStatus(texts: Texts, words: EndpointWords, ep: EndpointView, to: string | undefined, c: OutCounters): NodeStatus {
  const st = ep.status('send');
  const sent = c.sent > 0 ? SEP + texts.t('status.sent', { count: c.sent }) : '';
  if (st.state === 'opening') return { fill: 'yellow', shape: 'ring', text: words.status(st, ep.error) };
  if (st.state !== 'open') return { fill: 'red', shape: 'ring', text: words.status(st, ep.error) };
  if (st.unreachable) return { fill: 'red', shape: 'ring', text: texts.t('status.unreachable', { to: to ?? '' }) + sent };
  // Over TCP the endpoint's words (a server: how it is published too); over UDP where it sends.
  const own = to === undefined ? endpointText(words, ep, st) : { text: texts.t('status.to', { to }), warn: false };
  let text = own.text + sent;
  if (c.failed > 0) text += SEP + texts.t('status.failed', { count: c.failed, code: c.lastCode });
  return { fill: c.failed > 0 || own.warn ? 'yellow' : 'green', shape: 'dot', text };
}
