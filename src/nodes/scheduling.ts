// osc-in's "hold bundles until their timetags are due", without Node-RED: the node's settings checked, a
// BundleScheduler fed with decoded bundles, each due group turned into the msgs it sends as one group, late drops
// warned about at a bounded rate.
import type { OscBundle, OscMessage, Timetag } from '../osc/codec';
import { BundleScheduler, DEFAULT_MAX_QUEUE } from '../osc/scheduler';
import type { DueInfo, SchedulerStats } from '../osc/scheduler';
import { RateLimiter } from '../transport/throttle';
import { hostPort, num } from '../util';
import { bundleToMsg, messageToMsg } from './convert';
import type { OscInMsg } from './convert';
import type { Texts } from './texts';

export const DEFAULT_HORIZON_S = 3600;
/** Late drops warned about one by one per second; the rest are summed up in one line. */
const LATE_WARNINGS_PER_SECOND = 10;

/** osc-in's scheduling properties, as saved in the flow. */
export interface ScheduleConfig {
  /** Most bundles waiting at once. */
  queueSize?: number | string;
  /** How far ahead a bundle may be, in seconds. */
  horizon?: number | string;
  late?: string;
}

export interface ScheduleSettings {
  maxQueue: number;
  horizonMs: number;
  late: 'emit' | 'drop';
  /** What was wrong with the properties (a default is used instead), for a warning; undefined when nothing. */
  warning: { key: string; params: Record<string, string | number> } | undefined;
}

/** The scheduler settings of an osc-in, a property that is not valid replaced by its default (and warned about). */
export function scheduleSettings(c: ScheduleConfig): ScheduleSettings {
  const queueSize = num(c.queueSize, DEFAULT_MAX_QUEUE);
  const horizon = num(c.horizon, DEFAULT_HORIZON_S);
  const badQueue = !Number.isInteger(queueSize) || queueSize < 1;
  const badHorizon = !Number.isFinite(horizon) || horizon <= 0;
  const params = { queue: String(c.queueSize), horizon: String(c.horizon), defaultQueue: DEFAULT_MAX_QUEUE, defaultHorizon: DEFAULT_HORIZON_S };
  const key = badQueue && badHorizon ? 'schedule.invalid-both' : badQueue ? 'schedule.invalid-queue' : badHorizon ? 'schedule.invalid-horizon' : undefined;
  return {
    maxQueue: badQueue ? DEFAULT_MAX_QUEUE : queueSize,
    horizonMs: (badHorizon ? DEFAULT_HORIZON_S : horizon) * 1000,
    late: c.late === 'drop' ? 'drop' : 'emit',
    warning: key === undefined ? undefined : { key, params },
  };
}

/** Where a scheduled message came from, and the timetag of the bundle that held it (as split bundles give it). */
interface Origin {
  address: string;
  port: number;
  timetag: Timetag;
}

export interface ScheduledOutput {
  /** The msgs of one due group, to go on in order with nothing in between (one send of an array). */
  sendGroup(msgs: OscInMsg[]): void;
  warn(text: string): void;
  /** Something the status shows changed (a drop). */
  changed(): void;
  /** An exception thrown while sending a group. */
  error(e: unknown): void;
}

export class ScheduledBundles {
  /** Msgs sent so far. */
  sent = 0;
  private readonly scheduler: BundleScheduler;
  private readonly origins = new WeakMap<OscMessage, Origin>();
  private readonly lateLimiter: RateLimiter;

  constructor(
    settings: ScheduleSettings,
    private readonly whole: boolean,
    private readonly alwaysArray: boolean,
    texts: Texts,
    out: ScheduledOutput,
  ) {
    this.lateLimiter = new RateLimiter(LATE_WARNINGS_PER_SECOND, 1000, (n) => out.warn(texts.t('schedule.more-late', { count: n })));
    this.scheduler = new BundleScheduler({
      maxQueue: settings.maxQueue,
      maxHorizonMs: settings.horizonMs,
      latePolicy: settings.late,
      onDue: (messages, info) => {
        if (messages.length === 0) return;
        const msgs = this.toMsgs(messages, info);
        this.sent += msgs.length;
        out.sendGroup(msgs);
      },
      onDrop: (messages, info) => {
        out.changed();
        if (!this.lateLimiter.allow()) return;
        const o = this.origins.get(messages[0]);
        const params = { count: messages.length, ms: info.lateBy };
        out.warn(o ? texts.t('schedule.late-from', { ...params, from: hostPort(o.address, o.port) }) : texts.t('schedule.late', params));
      },
      onError: (e) => out.error(e),
    });
  }

  /** Holds a bundle from address:port until due. Throws (OscError) when refused: queue full, beyond the horizon. */
  schedule(b: OscBundle, address: string, port: number): void {
    this.mark(b, address, port);
    this.scheduler.schedule(b);
  }

  stats(): SchedulerStats {
    return this.scheduler.stats();
  }

  /** Stops the timer; returns how many groups were waiting (they are discarded). */
  close(): number {
    this.lateLimiter.stop();
    return this.scheduler.close();
  }

  private mark(b: OscBundle, address: string, port: number): void {
    for (const p of b.packets) {
      if ('packets' in p) this.mark(p, address, port);
      else this.origins.set(p, { address, port, timetag: b.timetag });
    }
  }

  private toMsgs(messages: OscMessage[], info: DueInfo): OscInMsg[] {
    if (this.whole) {
      const o = this.origins.get(messages[0]);
      return [bundleToMsg({ timetag: info.timetag, packets: messages }, o?.address ?? '', o?.port ?? 0)];
    }
    return messages.map((m) => {
      const o = this.origins.get(m);
      return messageToMsg(m, o?.address ?? '', o?.port ?? 0, this.alwaysArray, o?.timetag ?? info.timetag);
    });
  }
}
