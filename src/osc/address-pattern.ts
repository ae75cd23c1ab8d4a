/**
 * OSC address patterns (OSC 1.0 wildcards plus the OSC 1.1 `//` operator), matched in polynomial time.
 *
 * No regular expression is ever built from user input: a backtracking engine turns `*a*a*a*b` into a
 * process stall (osc-js, python-osc and liblo all do). Instead each `/`-separated part is matched by
 * a two-pointer glob (parts without `{}`) or a Thompson NFA simulation (parts with `{}`), both
 * O(part length x pattern part length), and `//` is resolved over whole parts by placing each
 * fixed-length run of parts at its leftmost position, which is exact because every pattern part consumes
 * exactly one address part.
 *
 * Semantics chosen where the specifications are silent (see also README):
 * - A pattern starts with `/`; every part is non-empty; `//` must be followed by a part (`/a//` and
 *   `///` are rejected, because XPath's `//` is always followed by a step).
 * - Space, `#` and `,` are rejected anywhere (`,` only separates alternatives inside `{}`), and so are
 *   the C0 control characters and DEL: they cannot be typed into a flow and NUL would truncate the
 *   OSC-string on the wire. Any other character, including non-ASCII, is literal.
 * - `?`, `*` and `[...]` count Unicode code points, not UTF-16 units, so `?` matches one emoji.
 * - `[...]`: `!` first negates; `-` first or last is literal; a reversed range `[z-a]` and an empty set
 *   (`[]`, `[!]`) are errors; `^` is literal (OSC negates with `!`, not `^`).
 * - `{...}`: alternatives are literal strings; empty alternatives are allowed (`{,s}`, and `{}` matches
 *   the empty string); wildcards inside `{}` are rejected.
 * - exec(): when several `//` could split the address differently, earlier gaps take as few parts as
 *   possible.
 */
import { OscError } from './errors';

/** A compiled address pattern. Immutable; safe to share. */
export interface CompiledPattern {
  readonly source: string;
  /** True when the pattern has no operator: it then matches by plain string equality. */
  readonly literal: boolean;
  match(address: string): boolean;
  /**
   * The address text each wildcard part matched and, for each `//`, the whole parts it skipped joined by
   * `/` ('' when it skipped none), in pattern order; null when the address does not match.
   */
  exec(address: string): string[] | null;
}

const SLASH = 47;

// Token kinds inside one part.
const LIT = 0;
const ANY = 1; // '?': exactly one code point
const CLASS = 2;
const STAR = 3;
const ALT = 4;
// NFA-only node kinds.
const EPS = 5;
const ACCEPT = 6;

class CharClass {
  private readonly ascii = new Uint8Array(128);
  private readonly wide: number[] = []; // [lo, hi, lo, hi, ...] for ranges reaching past ASCII

  constructor(readonly negate: boolean) {}

  add(lo: number, hi: number): void {
    for (let c = lo; c <= hi && c < 128; c++) this.ascii[c] = 1;
    if (hi >= 128) this.wide.push(Math.max(lo, 128), hi);
  }

  has(c: number): boolean {
    let inSet = false;
    if (c < 128) inSet = this.ascii[c] === 1;
    else {
      const w = this.wide;
      for (let k = 0; k < w.length; k += 2) {
        if (c >= w[k] && c <= w[k + 1]) {
          inSet = true;
          break;
        }
      }
    }
    return inSet !== this.negate;
  }
}

interface Token {
  kind: number;
  cp: number;
  cls: CharClass | null;
  alts: string[] | null;
}

interface ParsedPattern {
  parts: Token[][];
  /** gapBefore[i]: a `//` precedes part i. */
  gapBefore: boolean[];
  /** Part texts, for the literal ones. */
  texts: string[];
}

function bad(message: string, pattern: string, offset: number): OscError {
  return new OscError(
    'BAD_PATTERN',
    `Invalid OSC address pattern ${JSON.stringify(pattern)}: ${message} at ${offset}`,
    offset,
  );
}

function isControl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

function describe(c: number): string {
  return isControl(c) ? `control character U+${c.toString(16).padStart(4, '0')}` : `'${String.fromCodePoint(c)}'`;
}

function parse(p: string): ParsedPattern {
  if (p.length === 0 || p.charCodeAt(0) !== SLASH) throw bad("a pattern must start with '/'", p, 0);
  const parts: Token[][] = [];
  const gapBefore: boolean[] = [];
  const texts: string[] = [];
  let i = 1;
  let gap = false;
  for (;;) {
    if (p.charCodeAt(i) === SLASH) {
      if (gap) throw bad("empty part ('///')", p, i);
      gap = true;
      i++;
      continue;
    }
    if (i >= p.length) throw bad(gap ? "'//' must be followed by a part" : 'empty part', p, i);
    const partStart = i;
    const toks: Token[] = [];
    while (i < p.length && p.charCodeAt(i) !== SLASH) {
      const c = p.codePointAt(i) as number;
      const w = c > 0xffff ? 2 : 1;
      switch (c) {
        case 63: // ?
          toks.push({ kind: ANY, cp: 0, cls: null, alts: null });
          i += 1;
          break;
        case 42: // *
          // '**' means the same as '*'; collapsing keeps the NFA small.
          if (toks.length === 0 || toks[toks.length - 1].kind !== STAR)
            toks.push({ kind: STAR, cp: 0, cls: null, alts: null });
          i += 1;
          break;
        case 91: // [
          i = parseClass(p, i, toks);
          break;
        case 123: // {
          i = parseAlternatives(p, i, toks);
          break;
        case 93: // ]
        case 125: // }
          throw bad(`unmatched '${String.fromCharCode(c)}'`, p, i);
        case 32:
        case 35: // #
        case 44: // ,
          throw bad(`${describe(c)} is not allowed in an OSC address`, p, i);
        default:
          if (isControl(c)) throw bad(`${describe(c)} is not allowed in an OSC address`, p, i);
          toks.push({ kind: LIT, cp: c, cls: null, alts: null });
          i += w;
      }
    }
    parts.push(toks);
    gapBefore.push(gap);
    texts.push(p.slice(partStart, i));
    gap = false;
    if (i >= p.length) break;
    i++; // the separating '/'
  }
  return { parts, gapBefore, texts };
}

/** Characters that can never appear inside `[...]` or `{...}` (operators, and what no OSC name contains). */
function checkInside(p: string, c: number, at: number, what: string): void {
  if (c === 91 || c === 123 || c === 42 || c === 63 || c === 32 || c === 35 || isControl(c)) {
    throw bad(`${describe(c)} is not allowed inside ${what}`, p, at);
  }
}

function parseClass(p: string, open: number, toks: Token[]): number {
  let j = open + 1;
  let negate = false;
  if (p.charCodeAt(j) === 33) {
    negate = true;
    j++;
  }
  const cls = new CharClass(negate);
  let empty = true;
  for (;;) {
    if (j >= p.length || p.charCodeAt(j) === SLASH) throw bad("unclosed '['", p, open);
    const lo = p.codePointAt(j) as number;
    if (lo === 93) break;
    if (lo === 125 || lo === 44) throw bad(`${describe(lo)} is not allowed inside []`, p, j);
    checkInside(p, lo, j, '[]');
    const wl = lo > 0xffff ? 2 : 1;
    // '-' makes a range only between two members; first or last it is literal.
    if (p.charCodeAt(j + wl) === 45 && j + wl + 1 < p.length && p.charCodeAt(j + wl + 1) !== 93) {
      const hiAt = j + wl + 1;
      const hi = p.codePointAt(hiAt) as number;
      if (hi === SLASH) throw bad("unclosed '['", p, open);
      if (hi === 125 || hi === 44) throw bad(`${describe(hi)} is not allowed inside []`, p, hiAt);
      checkInside(p, hi, hiAt, '[]');
      if (hi < lo) throw bad(`reversed range '${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}'`, p, j);
      cls.add(lo, hi);
      j = hiAt + (hi > 0xffff ? 2 : 1);
    } else {
      cls.add(lo, lo);
      j += wl;
    }
    empty = false;
  }
  if (empty) throw bad("empty '[]'", p, open);
  toks.push({ kind: CLASS, cp: 0, cls, alts: null });
  return j + 1;
}

function parseAlternatives(p: string, open: number, toks: Token[]): number {
  let j = open + 1;
  const alts: string[] = [];
  let start = j;
  for (;;) {
    if (j >= p.length || p.charCodeAt(j) === SLASH) throw bad("unclosed '{'", p, open);
    const c = p.charCodeAt(j);
    if (c === 125 || c === 44) {
      alts.push(p.slice(start, j));
      j++;
      if (c === 125) break;
      start = j;
      continue;
    }
    if (c === 93) throw bad("']' is not allowed inside {}", p, j);
    checkInside(p, c, j, '{}');
    j++;
  }
  toks.push({ kind: ALT, cp: 0, cls: null, alts });
  return j;
}

// ---------------------------------------------------------------------------------------------------------
// Part matchers: each tests s[start, end), which never contains '/'.

interface PartMatcher {
  /** Set when the part has no operator, so the router can index it. */
  readonly literal: string | null;
  test(s: string, start: number, end: number): boolean;
}

class LiteralPart implements PartMatcher {
  constructor(readonly literal: string) {}
  test(s: string, start: number, end: number): boolean {
    return end - start === this.literal.length && s.startsWith(this.literal, start);
  }
}

/** A part that is only `*`: the commonest wildcard, and it accepts every part. */
const ANY_PART: PartMatcher = {
  literal: null,
  test(): boolean {
    return true;
  },
};

/** A part that is exactly one `{...}`: the commonest use of braces, and a plain comparison per alternative. */
class AlternativesPart implements PartMatcher {
  readonly literal = null;
  constructor(private readonly alts: string[]) {}
  test(s: string, start: number, end: number): boolean {
    const len = end - start;
    for (const a of this.alts) if (a.length === len && s.startsWith(a, start)) return true;
    return false;
  }
}

/**
 * Literals, `?`, `[...]` and `*`: the classic two-pointer glob that backtracks only to the last `*`, so its
 * worst case is O(n x m) instead of exponential.
 */
class GlobPart implements PartMatcher {
  readonly literal = null;
  private readonly kind: Uint8Array;
  private readonly cp: Int32Array;
  private readonly cls: (CharClass | null)[];

  constructor(toks: Token[]) {
    this.kind = Uint8Array.from(toks, (t) => t.kind);
    this.cp = Int32Array.from(toks, (t) => t.cp);
    this.cls = toks.map((t) => t.cls);
  }

  test(s: string, start: number, end: number): boolean {
    const kind = this.kind;
    const n = kind.length;
    let p = 0;
    let i = start;
    let starP = -1;
    let starI = 0;
    while (i < end) {
      if (p < n) {
        const k = kind[p];
        if (k === STAR) {
          starP = p++;
          starI = i;
          continue;
        }
        const c = s.codePointAt(i) as number;
        if (k === ANY || (k === LIT ? c === this.cp[p] : (this.cls[p] as CharClass).has(c))) {
          p++;
          i += c > 0xffff ? 2 : 1;
          continue;
        }
      }
      if (starP < 0) return false;
      // Let the last '*' swallow one more code point and retry from just after it.
      p = starP + 1;
      starI += (s.codePointAt(starI) as number) > 0xffff ? 2 : 1;
      i = starI;
    }
    while (p < n && kind[p] === STAR) p++;
    return p === n;
  }
}

/**
 * Any mix including `{...}`: alternatives of different lengths break the two-pointer glob's reasoning, so
 * simulate a Thompson NFA over all states at once (O(n x m), no backtracking).
 */
class NfaPart implements PartMatcher {
  readonly literal = null;
  private readonly kind: number[] = [];
  private readonly cp: number[] = [];
  private readonly cls: (CharClass | null)[] = [];
  private readonly out: number[] = []; // successor of a consuming node
  private readonly eps: number[][] = []; // successors of an EPS node
  private readonly start: number;
  private readonly accept: number;
  // Scratch space reused across calls: matching is synchronous, so calls never overlap.
  private readonly mark: Uint32Array;
  private stamp = 0;
  private cur: Int32Array;
  private next: Int32Array;
  private readonly stack: Int32Array;

  constructor(toks: Token[]) {
    let at = this.node(EPS);
    this.start = at;
    for (const t of toks) {
      if (t.kind === STAR) {
        // A loop on the current state: consume anything, come back.
        const s = this.node(ANY);
        this.out[s] = at;
        this.eps[at].push(s);
      } else if (t.kind === ALT) {
        const join = this.node(EPS);
        for (const a of t.alts as string[]) {
          let from = at;
          for (const ch of a) from = this.step(from, LIT, ch.codePointAt(0) as number, null);
          this.eps[from].push(join);
        }
        at = join;
      } else {
        at = this.step(at, t.kind, t.cp, t.cls);
      }
    }
    this.accept = this.node(ACCEPT);
    this.eps[at].push(this.accept);
    const size = this.kind.length;
    this.mark = new Uint32Array(size);
    this.cur = new Int32Array(size);
    this.next = new Int32Array(size);
    this.stack = new Int32Array(size);
  }

  private node(kind: number): number {
    const id = this.kind.length;
    this.kind.push(kind);
    this.cp.push(0);
    this.cls.push(null);
    this.out.push(-1);
    this.eps.push([]);
    return id;
  }

  private step(from: number, kind: number, cp: number, cls: CharClass | null): number {
    const n = this.node(kind);
    this.cp[n] = cp;
    this.cls[n] = cls;
    const to = this.node(EPS);
    this.out[n] = to;
    this.eps[from].push(n);
    return to;
  }

  /** Adds the epsilon closure of n to buf; each node is visited at most once per step, keeping a step O(m). */
  private close(n: number, buf: Int32Array, count: number): number {
    const mark = this.mark;
    const stamp = this.stamp;
    if (mark[n] === stamp) return count;
    mark[n] = stamp;
    const stack = this.stack;
    let sp = 0;
    stack[sp++] = n;
    while (sp > 0) {
      const x = stack[--sp];
      if (this.kind[x] === EPS) {
        for (const y of this.eps[x]) {
          if (mark[y] !== stamp) {
            mark[y] = stamp;
            stack[sp++] = y;
          }
        }
      } else buf[count++] = x;
    }
    return count;
  }

  private nextStamp(): void {
    if (++this.stamp === 0xffffffff) {
      this.mark.fill(0);
      this.stamp = 1;
    }
  }

  test(s: string, start: number, end: number): boolean {
    this.nextStamp();
    let count = this.close(this.start, this.cur, 0);
    let i = start;
    while (i < end) {
      if (count === 0) return false;
      const c = s.codePointAt(i) as number;
      i += c > 0xffff ? 2 : 1;
      this.nextStamp();
      const cur = this.cur;
      let n = 0;
      for (let k = 0; k < count; k++) {
        const x = cur[k];
        const kind = this.kind[x];
        if (kind === ANY || (kind === LIT ? c === this.cp[x] : kind === CLASS && (this.cls[x] as CharClass).has(c))) {
          n = this.close(this.out[x], this.next, n);
        }
      }
      this.cur = this.next;
      this.next = cur;
      count = n;
    }
    return this.mark[this.accept] === this.stamp;
  }
}

function partMatcher(toks: Token[], text: string): PartMatcher {
  let alts = 0;
  let ops = 0;
  for (const t of toks) {
    if (t.kind === ALT) alts++;
    if (t.kind !== LIT) ops++;
  }
  if (ops === 0) return new LiteralPart(text);
  if (toks.length === 1 && toks[0].kind === STAR) return ANY_PART;
  if (alts === 0) return new GlobPart(toks);
  if (toks.length === 1) return new AlternativesPart(toks[0].alts as string[]);
  return new NfaPart(toks);
}

// ---------------------------------------------------------------------------------------------------------

/** A run of consecutive pattern parts with no `//` inside: it always covers exactly `len` address parts. */
interface Segment {
  first: number;
  len: number;
}

class Compiled implements CompiledPattern {
  readonly literal: boolean;
  private readonly parts: PartMatcher[];
  private readonly wild: boolean[];
  private readonly gapBefore: boolean[];
  private readonly segments: Segment[] | null;
  // Without '//': literal text (null for a wildcard part) and the matcher of each wildcard part, in order.
  private readonly chunkLit: (string | null)[] = [];
  private readonly chunkPart: (PartMatcher | null)[] = [];
  private readonly gapPrefix: string = '/';
  private readonly gapSuffix: string = '';
  private readonly simpleGap: boolean = false;

  constructor(readonly source: string) {
    const parsed = parse(source);
    this.parts = parsed.parts.map((toks, i) => partMatcher(toks, parsed.texts[i]));
    this.wild = this.parts.map((m) => m.literal === null);
    this.gapBefore = parsed.gapBefore;
    const hasGap = this.gapBefore.some((g) => g);
    this.literal = !hasGap && !this.wild.some((w) => w);
    if (hasGap) {
      const segs: Segment[] = [{ first: 0, len: 0 }];
      for (let i = 0; i < this.parts.length; i++) {
        if (this.gapBefore[i]) segs.push({ first: i, len: 0 });
        segs[segs.length - 1].len++;
      }
      this.segments = segs;
      let prefix = '/';
      for (let i = 0; i < segs[0].len && this.parts[i].literal !== null; i++) prefix += this.parts[i].literal + '/';
      this.gapPrefix = prefix;
      let suffix = '';
      for (let i = this.parts.length - 1; i >= 0 && this.parts[i].literal !== null; i--) {
        suffix = '/' + this.parts[i].literal + suffix;
        if (this.gapBefore[i]) break;
      }
      this.gapSuffix = suffix;
      this.simpleGap = segs.length === 2 && this.parts.every((part) => part.literal !== null);
    } else {
      this.segments = null;
      let chunk = '';
      for (const part of this.parts) {
        chunk += '/';
        if (part.literal !== null) chunk += part.literal;
        else {
          this.chunkLit.push(chunk, null);
          this.chunkPart.push(null, part);
          chunk = '';
        }
      }
      if (chunk !== '') {
        this.chunkLit.push(chunk);
        this.chunkPart.push(null);
      }
    }
  }

  match(address: string): boolean {
    if (this.literal) return address === this.source;
    // Plain JS callers (flows) can hand us anything; a non-string is simply not a matching address.
    if (typeof address !== 'string') return false;
    if (this.segments === null) return this.matchFixed(address, null);
    return this.matchGaps(address, null);
  }

  exec(address: string): string[] | null {
    if (this.literal) return address === this.source ? [] : null;
    // Most calls (router candidates) fail: decide first, so a failure allocates nothing.
    if (!this.match(address)) return null;
    const out: string[] = [];
    if (this.segments === null) this.matchFixed(address, out);
    else this.matchGaps(address, out);
    return out;
  }

  /**
   * No `//`: runs of literal parts (with their slashes) are compared in one pass, and each wildcard
   * part is tested on the address up to the next '/', so the address is walked once and never split.
   */
  private matchFixed(address: string, out: string[] | null): boolean {
    const lits = this.chunkLit;
    const parts = this.chunkPart;
    const n = address.length;
    let pos = 0;
    for (let k = 0; k < lits.length; k++) {
      const lit = lits[k];
      if (lit !== null) {
        const len = lit.length;
        if (pos + len > n) return false;
        for (let i = 0; i < len; i++) if (address.charCodeAt(pos + i) !== lit.charCodeAt(i)) return false;
        pos += len;
      } else {
        let end = pos;
        while (end < n && address.charCodeAt(end) !== SLASH) end++;
        if (!(parts[k] as PartMatcher).test(address, pos, end)) return false;
        if (out !== null) out.push(address.slice(pos, end));
        pos = end;
      }
    }
    return pos === n;
  }

  private matchGaps(address: string, out: string[] | null): boolean {
    // Literal text every match must start and end with: rejects most addresses before splitting them.
    if (!address.startsWith(this.gapPrefix) || !address.endsWith(this.gapSuffix)) return false;
    // '/a//b', '//xremote': literal parts around one gap. The prefix ends with '/' and the suffix starts with
    // one, so whatever lies between is whole parts; only an overlap longer than that shared '/' is wrong.
    if (this.simpleGap && out === null) return address.length >= this.gapPrefix.length - 1 + this.gapSuffix.length;
    let n = 0;
    let pos = 0;
    for (;;) {
      const e = address.indexOf('/', pos + 1);
      if (2 * n + 2 > bounds.length) {
        const grown = new Int32Array(bounds.length * 2);
        grown.set(bounds);
        bounds = grown;
      }
      bounds[2 * n] = pos + 1;
      bounds[2 * n + 1] = e < 0 ? address.length : e;
      n++;
      if (e < 0) break;
      pos = e;
    }
    if (n < this.parts.length) return false;
    const segs = this.segments as Segment[];
    const k = segs.length;
    const head = segs[0];
    const tail = segs[k - 1];
    const tailAt = n - tail.len;
    if (!this.at(address, head, 0) || !this.at(address, tail, tailAt)) return false;
    // Each middle run goes at its leftmost fit: any later fit leaves strictly fewer options to the runs after it.
    const placed = out === null ? null : [0];
    let cursor = head.len;
    for (let s = 1; s < k - 1; s++) {
      const seg = segs[s];
      let p = cursor;
      while (p + seg.len <= tailAt && !this.at(address, seg, p)) p++;
      if (p + seg.len > tailAt) return false;
      if (placed !== null) placed.push(p);
      cursor = p + seg.len;
    }
    if (out !== null && placed !== null) {
      placed.push(tailAt);
      let prevEnd = 0;
      for (let s = 0; s < k; s++) {
        const seg = segs[s];
        const p = placed[s];
        if (s > 0) out.push(p > prevEnd ? address.slice(bounds[2 * prevEnd], bounds[2 * p - 1]) : '');
        for (let j = 0; j < seg.len; j++) {
          if (this.wild[seg.first + j]) out.push(address.slice(bounds[2 * (p + j)], bounds[2 * (p + j) + 1]));
        }
        prevEnd = p + seg.len;
      }
    }
    return true;
  }

  /** Whether the run seg matches the address parts starting at part p (boundaries in `bounds`). */
  private at(address: string, seg: Segment, p: number): boolean {
    for (let j = 0; j < seg.len; j++) {
      const b = 2 * (p + j);
      if (!this.parts[seg.first + j].test(address, bounds[b], bounds[b + 1])) return false;
    }
    return true;
  }
}

/** Part boundaries of the address being matched (start, end pairs); shared because matching never re-enters. */
let bounds = new Int32Array(64);

// ---------------------------------------------------------------------------------------------------------
// Cache: two generations instead of a strict LRU, so a hit costs one Map lookup and no reordering. A pattern
// used at least once per generation survives; a flood of distinct patterns evicts only the cold ones.

const GENERATION = 512;
/** Longer patterns are compiled but not kept, so the cache's memory is bounded by count and size. */
const MAX_CACHED_LENGTH = 1024;
let young = new Map<string, Compiled>();
let old = new Map<string, Compiled>();

/** Compiles a pattern (cached). Throws OscError 'BAD_PATTERN' with the character offset when it is invalid. */
export function compilePattern(pattern: string): CompiledPattern {
  if (typeof pattern !== 'string') throw new OscError('BAD_PATTERN', 'An OSC address pattern must be a string', 0);
  let c = young.get(pattern);
  if (c !== undefined) return c;
  c = old.get(pattern);
  if (c === undefined) c = new Compiled(pattern);
  if (pattern.length <= MAX_CACHED_LENGTH) {
    if (young.size >= GENERATION) {
      old = young;
      young = new Map();
    }
    young.set(pattern, c);
  }
  return c;
}

/** Number of compiled patterns held by the cache (never more than patternCacheLimit). */
export function patternCacheSize(): number {
  return young.size + old.size;
}

export const patternCacheLimit = 2 * GENERATION;

export function clearPatternCache(): void {
  young = new Map();
  old = new Map();
}

/**
 * True when pattern (an OSC address pattern) matches address (a literal OSC address). Works in both
 * directions the spec intends: a rule's pattern against an incoming address, or an incoming pattern
 * against a rule's literal address. Throws OscError 'BAD_PATTERN' for an invalid pattern; any address
 * string is accepted (it simply may not match).
 */
export function matchAddress(pattern: string, address: string): boolean {
  return compilePattern(pattern).match(address);
}

/** True when s contains an operator (? * [ ] { } or '//'), i.e. it is a pattern rather than a literal address. */
export function isPattern(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 63 || c === 42 || c === 91 || c === 93 || c === 123 || c === 125) return true;
    if (c === SLASH && s.charCodeAt(i + 1) === SLASH) return true;
  }
  return false;
}

/**
 * Throws OscError 'BAD_ADDRESS' unless address is a literal OSC address a method can have: it starts with '/',
 * has no empty part (so no '//' and no trailing '/'), and contains none of space # , * ? [ ] { } nor a control
 * character. To accept either an address or a pattern (the spec lets senders send patterns), use
 * `isPattern(s) ? compilePattern(s) : validateAddress(s)`.
 */
export function validateAddress(address: string): void {
  if (typeof address !== 'string') throw new OscError('BAD_ADDRESS', 'An OSC address must be a string', 0);
  const fail = (why: string, at: number): never => {
    throw new OscError('BAD_ADDRESS', `Invalid OSC address ${JSON.stringify(address)}: ${why} at ${at}`, at);
  };
  if (address.charCodeAt(0) !== SLASH) fail("an address must start with '/'", 0);
  for (let i = 0; i < address.length; i++) {
    const c = address.charCodeAt(i);
    if (c === SLASH) {
      if (i + 1 === address.length || address.charCodeAt(i + 1) === SLASH) fail('empty part', i + 1);
    } else if (
      c === 32 ||
      c === 35 ||
      c === 44 ||
      c === 42 ||
      c === 63 ||
      c === 91 ||
      c === 93 ||
      c === 123 ||
      c === 125 ||
      isControl(c)
    ) {
      fail(`${describe(c)} is not allowed in an OSC address`, i);
    }
  }
}
