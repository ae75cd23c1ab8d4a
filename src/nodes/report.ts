// How our nodes hand errors to Node-RED, and how they keep a flood of them readable.
import type { Endpoint } from '../transport/endpoint';
import { RateLimiter } from '../transport/throttle';
import type { EndpointWords } from './endpoint-words';
import type { NodeMessage } from './red';
import type { TextParams, Texts } from './texts';

/**
 * An error as a node reports it (node.error(report, msg), done(report)): one readable sentence that still carries
 * the code Catch flows match on.
 *
 * Why not an Error: the runtime builds msg.error.message from `toString()` ("OscOutputError: ..." for an Error)
 * and copies `code` only when it is an own property, and an Error nobody catches goes to the debug sidebar as a
 * collapsed object whose message is cut short, where a string shows whole. A String object carrying `code` is
 * all three: the sentence as msg.error.message, the code as msg.error.code, and a string in the sidebar and log.
 */
export interface NodeErrorReport {
  readonly code: string;
  toString(): string;
}

export function nodeError(code: string, sentence: string): NodeErrorReport {
  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- a String object is the point (above)
  const r = new String(sentence) as String & { code: string };
  r.code = code;
  return r;
}

/** A failure named by its text in the node's catalogue ("<type>.runtime.<key>") and that text's params. */
export interface KeyedError {
  readonly code: string;
  readonly key: string;
  readonly params: TextParams;
}

/** A keyed failure in the words of `texts`. */
export function reportOf(texts: Texts, e: KeyedError): NodeErrorReport {
  return nodeError(e.code, texts.t(e.key, e.params));
}

/** What a reporter needs of a node. */
export interface ReportTarget {
  error(report: string | NodeErrorReport, msg?: NodeMessage): void;
  warn(text: string): void;
}

/**
 * Errors from a hot path (one per malformed packet, per refused bundle): each reaches node.error with its msg (and
 * so Catch nodes) up to `perSecond`; the rest are counted and summed up in one warning at the end of the second.
 * Every error counts towards `count` and `lastCode`, which the status shows.
 */
export class ErrorTally {
  count = 0;
  lastCode = '';
  private readonly limiter: RateLimiter;

  constructor(
    private readonly target: ReportTarget,
    texts: Texts,
    perSecond: number,
    /** The catalogue key of the summary; its __count__ is the number not reported one by one. */
    summaryKey: string,
  ) {
    this.limiter = new RateLimiter(perSecond, 1000, (n) => target.warn(texts.t(summaryKey, { count: n })));
  }

  /**
   * Counts an error with `code`; returns whether it is to be reported in full (then the caller words it and
   * calls report(), so that a flood costs no words at all).
   */
  failed(code: string): boolean {
    this.count++;
    this.lastCode = code;
    return this.limiter.allow();
  }

  /** Reports an error failed() let through: the sentence, and `msg` for Catch nodes. */
  report(code: string, sentence: string, msg: NodeMessage): void {
    this.target.error(nodeError(code, sentence), msg);
  }

  stop(): void {
    this.limiter.stop();
  }
}

/**
 * What a node says when its endpoint changes state.
 *
 * An endpoint that cannot open (a port in use, a bad setting, an address not on this machine) is an error Catch
 * nodes get, with a msg naming the endpoint (msg.endpoint, "0.0.0.0:9000"), so a flow can alert when its port is
 * taken; once per failure: the same failure reported again (a redeploy of another node retries the port) stays in
 * the status. A connection being retried (a device switched off) is routine: a warning, and never for Catch.
 * An error while open (a socket error, a receiver gone) is a warning; for a sender, so is the receiver's return.
 */
export class EndpointReports {
  private caught: string | undefined;
  private unreachable = false;
  private unreachableTo: string | number | undefined;

  constructor(
    private readonly target: ReportTarget,
    private readonly words: EndpointWords,
    private readonly texts: Texts,
  ) {}

  stateChanged(ep: Endpoint): void {
    const e = ep.error;
    const st = ep.status();
    if (st.unreachable !== this.unreachable) {
      this.unreachable = st.unreachable;
      if (st.unreachable) {
        this.unreachableTo = e?.params.to;
        if (e !== undefined) this.target.warn(this.words.message(e));
      } else {
        this.target.warn(this.texts.t('endpoint-reachable', { to: this.unreachableTo ?? '' }));
      }
      return;
    }
    if (ep.state === 'open') {
      this.caught = undefined;
      if (e !== undefined && !st.unreachable) this.target.warn(this.words.message(e));
      return;
    }
    if (ep.state !== 'failed' || e === undefined) return;
    const text = this.words.message(e);
    if (st.retrying) {
      this.target.warn(text);
      return;
    }
    if (this.caught === e.key) return;
    this.caught = e.key;
    this.target.error(nodeError(e.code, text), { endpoint: ep.label });
  }
}
