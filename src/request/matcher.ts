// Pairs the replies a device sends with the requests that asked for them. OSC has no request ids: an X32 answers
// /ch/01/mix/fader on /ch/01/mix/fader, scsynth answers /status on /status.reply. So a reply is recognised by who
// sent it (the peer) and its address, and goes to the oldest request still waiting for that peer and address:
// two quick requests for the same fader get their answers in the order they were asked.
//
// Finding the request costs a map lookup, however many wait: requests are kept in a queue per peer and reply
// address. A reply address that is a pattern (/reply/cue/*/name) is kept in a queue per peer and pattern, so a
// reply is tested against each distinct pattern of its peer, never against each waiting request.
//
// Every request gets the same timeout, so deadlines fall in the order requests were sent (a resend goes to the
// back); one timer, armed for the oldest deadline, serves them all. Nothing here knows sockets or Node-RED.
import { performance } from 'node:perf_hooks';
import { compilePattern, isPattern } from '../osc/pattern';
import type { CompiledPattern } from '../osc/pattern';

/**
 * Why a request was refused or ended without a reply; `code` is what a Catch node sees in msg.error.code. The
 * `message` is English; a translation renders `key` (osc-request's catalogue, under "runtime") with `params`,
 * which hold every value the English words contain.
 */
export class RequestError extends Error {
  readonly code: string;
  readonly key: string;
  readonly params: Readonly<Record<string, string | number>>;
  constructor(code: string, message: string, key: string, params: Readonly<Record<string, string | number>> = {}) {
    super(message);
    this.name = 'RequestError';
    this.code = code;
    this.key = key;
    this.params = params;
  }
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MAX_PENDING = 100;
/** setTimeout's largest delay (about 24.8 days); a longer one would fire at once. */
export const MAX_TIMEOUT_MS = 2147483647;

export interface MatcherOptions<T> {
  /** How long each send waits for its reply, in ms. */
  timeoutMs: number;
  /** How many times a request is sent again before it times out (0: never). */
  retries?: number;
  /** Most requests waiting at once; add() refuses more with LIMIT_EXCEEDED. */
  maxPending?: number;
  /** A request's wait ended without a reply and it has retries left: send it again (attempt counts from 1). */
  onRetry?(item: T, attempt: number): void;
  /** A request's last wait ended without a reply. It is no longer waiting. */
  onTimeout(item: T, sends: number): void;
  /** The first request started waiting (true), or the last one stopped (false). */
  onBusy?(busy: boolean): void;
}

/** A reply paired with its request. */
export interface Answered<T> {
  item: T;
  /** From the last send of the request to the reply, in ms. */
  rttMs: number;
  /** How many times it was sent (1 + the resends). */
  sends: number;
}

/** A request waiting for its reply; what add() returns and cancel() takes. */
export interface Waiting<T> {
  readonly item: T;
  /** The peer and reply address (or pattern) it waits for. */
  readonly peer: string;
  readonly reply: string;
}

class Entry<T> implements Waiting<T> {
  sentAt = 0;
  deadline = 0;
  sends = 1;
  waiting = true;
  // The queue of its peer and reply address, oldest first.
  prev: Entry<T> | undefined;
  next: Entry<T> | undefined;
  // Every waiting request, by deadline (oldest first).
  earlier: Entry<T> | undefined;
  later: Entry<T> | undefined;

  constructor(
    readonly item: T,
    readonly peer: string,
    readonly reply: string,
    readonly queue: Queue<T>,
    readonly seq: number,
  ) {}
}

class Queue<T> {
  head: Entry<T> | undefined;
  tail: Entry<T> | undefined;
  constructor(
    readonly key: string,
    /** Set when the reply address is a pattern. */
    readonly pattern: CompiledPattern | undefined,
  ) {}
}

/** The waiting requests of one peer: literal reply addresses by address, patterns by pattern text. */
class Peer<T> {
  readonly literals = new Map<string, Queue<T>>();
  readonly patterns = new Map<string, Queue<T>>();
}

function check(name: string, v: number, min: number, max: number, integer: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new RangeError(
      `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${String(v)}`,
    );
  }
  return v;
}

export class RequestMatcher<T> {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly maxPending: number;
  /** Requests that ended without a reply. */
  timeouts = 0;
  /** Replies paired with a request. */
  answered = 0;
  /** The round-trip time of the last reply, in ms; undefined before the first. */
  lastRttMs: number | undefined;

  private readonly options: MatcherOptions<T>;
  private readonly peers = new Map<string, Peer<T>>();
  private oldest: Entry<T> | undefined;
  private newest: Entry<T> | undefined;
  private count = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly fire = (): void => this.expire();

  constructor(options: MatcherOptions<T>) {
    this.options = options;
    this.timeoutMs = check('timeoutMs', options.timeoutMs, 1, MAX_TIMEOUT_MS, false);
    this.retries = check('retries', options.retries ?? 0, 0, 1000, true);
    this.maxPending = check('maxPending', options.maxPending ?? DEFAULT_MAX_PENDING, 1, 1e6, true);
  }

  /** Requests waiting now. */
  get size(): number {
    return this.count;
  }

  /** Whether the timer is armed: only while a request waits. */
  get timerArmed(): boolean {
    return this.timer !== undefined;
  }

  /** Distinct peers with a request waiting (a leak check: 0 once nothing waits). */
  get peerCount(): number {
    return this.peers.size;
  }

  /**
   * Starts waiting for the reply to a request just sent to `peer`: a message from that peer whose address is
   * `reply`, or matches it when `reply` is a pattern. Throws RequestError LIMIT_EXCEEDED when maxPending
   * requests wait already, OscError BAD_PATTERN for an invalid pattern.
   */
  add(peer: string, reply: string, item: T): Waiting<T> {
    if (this.count >= this.maxPending) {
      throw new RequestError(
        'LIMIT_EXCEEDED',
        `${this.count} requests are waiting for their replies already (at most ${this.maxPending})`,
        'request.limit',
        { count: this.count, max: this.maxPending },
      );
    }
    const pattern = isPattern(reply) ? compilePattern(reply) : undefined;
    let p = this.peers.get(peer);
    if (p === undefined) {
      p = new Peer<T>();
      this.peers.set(peer, p);
    }
    const map = pattern === undefined ? p.literals : p.patterns;
    let q = map.get(reply);
    if (q === undefined) {
      q = new Queue<T>(reply, pattern);
      map.set(reply, q);
    }
    const e = new Entry<T>(item, peer, reply, q, ++this.seq);
    e.prev = q.tail;
    if (q.tail !== undefined) q.tail.next = e;
    else q.head = e;
    q.tail = e;
    e.sentAt = performance.now();
    e.deadline = e.sentAt + this.timeoutMs;
    this.append(e);
    this.count++;
    if (this.timer === undefined) this.arm();
    if (this.count === 1) this.options.onBusy?.(true);
    return e;
  }

  /**
   * The oldest request waiting for a message with this address from this peer, which stops waiting; undefined
   * when none is.
   */
  take(peer: string, address: string): Answered<T> | undefined {
    const p = this.peers.get(peer);
    if (p === undefined) return undefined;
    let best = p.literals.get(address)?.head;
    if (p.patterns.size !== 0) {
      for (const q of p.patterns.values()) {
        const h = q.head!;
        if ((best === undefined || h.seq < best.seq) && q.pattern!.match(address)) best = h;
      }
    }
    if (best === undefined) return undefined;
    const rttMs = performance.now() - best.sentAt;
    this.remove(best);
    this.answered++;
    this.lastRttMs = rttMs;
    return { item: best.item, rttMs, sends: best.sends };
  }

  /** Stops waiting for a request (its send failed); false when it was not waiting any more. */
  cancel(w: Waiting<T>): boolean {
    const e = w as Entry<T>;
    if (!e.waiting) return false;
    this.remove(e);
    return true;
  }

  /** Stops waiting for every request, in the order they were sent, and returns them. */
  clear(): T[] {
    const items: T[] = [];
    while (this.oldest !== undefined) {
      items.push(this.oldest.item);
      this.remove(this.oldest);
    }
    return items;
  }

  private append(e: Entry<T>): void {
    e.earlier = this.newest;
    e.later = undefined;
    if (this.newest !== undefined) this.newest.later = e;
    else this.oldest = e;
    this.newest = e;
  }

  private unlinkDeadline(e: Entry<T>): void {
    if (e.earlier !== undefined) e.earlier.later = e.later;
    else this.oldest = e.later;
    if (e.later !== undefined) e.later.earlier = e.earlier;
    else this.newest = e.earlier;
    e.earlier = e.later = undefined;
  }

  private remove(e: Entry<T>): void {
    e.waiting = false;
    const q = e.queue;
    if (e.prev !== undefined) e.prev.next = e.next;
    else q.head = e.next;
    if (e.next !== undefined) e.next.prev = e.prev;
    else q.tail = e.prev;
    e.prev = e.next = undefined;
    if (q.head === undefined) {
      const p = this.peers.get(e.peer)!;
      (q.pattern === undefined ? p.literals : p.patterns).delete(q.key);
      if (p.literals.size === 0 && p.patterns.size === 0) this.peers.delete(e.peer);
    }
    this.unlinkDeadline(e);
    this.count--;
    if (this.count === 0) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.options.onBusy?.(false);
    }
  }

  private arm(): void {
    const head = this.oldest;
    if (head === undefined) return;
    // Node's timers count whole milliseconds and may fire a fraction of one early: expire() re-arms for the rest.
    this.timer = setTimeout(this.fire, Math.max(1, Math.ceil(head.deadline - performance.now())));
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    const retried: Entry<T>[] = [];
    const timedOut: Entry<T>[] = [];
    // Every request whose deadline has passed, in one pass: a burst of requests sent together ends together.
    while (this.oldest !== undefined && this.oldest.deadline <= now) {
      const e = this.oldest;
      if (e.sends <= this.retries) {
        e.sends++;
        e.sentAt = now;
        e.deadline = now + this.timeoutMs;
        this.unlinkDeadline(e);
        this.append(e);
        retried.push(e);
      } else {
        timedOut.push(e);
        this.remove(e);
        this.timeouts++;
      }
    }
    if (this.oldest !== undefined && this.timer === undefined) this.arm();
    // Callbacks last, with the structure consistent: they may add, cancel or clear requests.
    for (const e of retried) if (e.waiting) this.options.onRetry?.(e.item, e.sends - 1);
    for (const e of timedOut) this.options.onTimeout(e.item, e.sends);
  }
}
