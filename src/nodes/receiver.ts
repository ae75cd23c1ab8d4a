// What osc-in does with each packet, without Node-RED: decode it, send each OSC message on as a msg (or a bundle
// whole, or hold it until due), and turn what cannot be used into errors Catch nodes can handle, at a bounded rate.
import { decodePacket } from '../osc/codec';
import type { DecodeOptions, OscPacket } from '../osc/codec';
import { errorCode, flag, hostPort } from '../util';
import { bundleToMsg, messageToMsg, splitBundle } from './convert';
import type { OscInMsg } from './convert';
import { ErrorTally } from './report';
import type { ReportTarget } from './report';
import { ScheduledBundles, scheduleSettings } from './scheduling';
import type { ScheduleConfig } from './scheduling';
import { nextMsgId } from './red';
import type { NodeMessage } from './red';
import type { Texts } from './texts';

/** Malformed packets reported per second; the rest are counted and summed up in one warning. */
export const ERRORS_PER_SECOND = 10;

/** osc-in's properties that decide what becomes of a packet. */
export interface ReceiveConfig extends ScheduleConfig {
  payloadArray?: boolean | string;
  bundles?: string;
  lenient?: boolean | string;
  /** Hold bundles until their timetags are due. */
  schedule?: boolean | string;
}

/** Where the receiver's output goes: the node. */
export interface ReceiverOutput extends ReportTarget {
  /** One msg, to send at once (it has its _msgid). */
  send(msg: OscInMsg): void;
  /** The msgs of one scheduled group, to send as one group. */
  sendGroup(msgs: OscInMsg[]): void;
  log(text: string): void;
  /** Something the status shows changed. */
  changed(): void;
  /** Something the status shows changed that the user must see at once. */
  changedNow(): void;
}

export class PacketReceiver {
  /** Msgs sent at once (the scheduled ones are counted by `scheduled`). */
  private sentNow = 0;
  /** Packets and stream errors that could not be used, and the code of the last one. */
  readonly errors: ErrorTally;
  /** The bundles held until due, when the node schedules. */
  readonly scheduled: ScheduledBundles | undefined;
  private readonly alwaysArray: boolean;
  private readonly whole: boolean;
  private readonly decodeOptions: DecodeOptions;

  constructor(
    config: ReceiveConfig,
    private readonly texts: Texts,
    private readonly out: ReceiverOutput,
  ) {
    this.alwaysArray = flag(config.payloadArray, false);
    this.whole = config.bundles === 'whole';
    this.decodeOptions = { lenient: flag(config.lenient, false) };
    this.errors = new ErrorTally(out, texts, ERRORS_PER_SECOND, 'receive.more-malformed');
    if (flag(config.schedule, false)) {
      const settings = scheduleSettings(config);
      if (settings.warning) out.warn(texts.t(settings.warning.key, settings.warning.params));
      this.scheduled = new ScheduledBundles(settings, this.whole, this.alwaysArray, texts, {
        sendGroup: (msgs) => {
          out.sendGroup(msgs);
          out.changed();
        },
        warn: (text) => out.warn(text),
        changed: () => out.changed(),
        error: (e) => out.error(e instanceof Error ? e.message : String(e)),
      });
    }
  }

  /** Msgs sent so far. */
  get received(): number {
    return this.sentNow + (this.scheduled?.sent ?? 0);
  }

  /** A packet from address:port. */
  packet(data: Buffer, address: string, port: number): void {
    let packet: OscPacket;
    try {
      packet = decodePacket(data, this.decodeOptions);
    } catch (e) {
      this.refuse(e, 'receive.malformed', data, address, port);
      return;
    }
    if (!('packets' in packet)) {
      this.sentNow++;
      this.emit(messageToMsg(packet, address, port, this.alwaysArray));
    } else if (this.scheduled !== undefined) {
      const s = this.scheduled;
      const waited = s.stats().waiting;
      try {
        s.schedule(packet, address, port);
      } catch (e) {
        this.refuse(e, 'receive.not-scheduled', data, address, port);
        return;
      }
      // The first bundle to wait shows at once (it may be due before a throttled status would appear).
      if (waited === 0 && s.stats().waiting > 0) this.out.changedNow();
      else this.out.changed();
      return;
    } else if (this.whole) {
      this.sentNow++;
      this.emit(bundleToMsg(packet, address, port));
    } else {
      const msgs = splitBundle(packet, address, port, this.alwaysArray);
      this.sentNow += msgs.length;
      // One send per msg, in order, back to back: a send of an array would make Node-RED deep-clone every msg
      // after the first. (Scheduled bundles keep one send, as a group.)
      for (let k = 0; k < msgs.length; k++) this.emit(msgs[k]);
    }
    this.out.changed();
  }

  /** A stream (TCP) that broke its framing, or a refused connection, with the peer when known. */
  streamError(e: unknown, from: { address: string; port: number } | undefined): void {
    const code = errorCode(e, 'ERROR');
    this.out.changed();
    if (!this.errors.failed(code)) return;
    const detail = e instanceof Error ? e.message : String(e);
    const text = from
      ? this.texts.t('receive.stream-from', { from: hostPort(from.address, from.port), code, detail })
      : this.texts.t('receive.stream', { code, detail });
    this.errors.report(code, text, from ? { ip: from.address, port: from.port } : {});
  }

  /** Stops the scheduler and the rate limits. */
  close(): void {
    this.errors.stop();
    const n = this.scheduled?.close() ?? 0;
    if (n > 0) this.out.log(this.texts.t('schedule.discarded', { count: n }));
  }

  /** A msg of ours goes with an id of ours: cheaper than the runtime's (see nextMsgId). */
  private emit(msg: OscInMsg): void {
    msg._msgid = nextMsgId();
    this.out.send(msg);
  }

  private refuse(e: unknown, key: string, data: Buffer, address: string, port: number): void {
    const code = errorCode(e, 'ERROR');
    this.out.changed();
    if (!this.errors.failed(code)) return;
    const text = this.texts.t(key, { from: hostPort(address, port), bytes: data.length, code, detail: (e as Error).message });
    // The msg lets a Catch node see the raw bytes and the sender.
    const msg: NodeMessage = { payload: data, ip: address, port };
    this.errors.report(code, text, msg);
  }
}
