/**
 * Many patterns, each with a payload; every match for an address, in rule order.
 *
 * Testing every rule per message makes a 1,000-rule osc-route cost 1,000 matches per message. Most rules
 * start with literal parts (/mixer/ch/12/fader, /synth/{a,b}/freq), so rules are indexed two ways: literal
 * rules by their whole address (one Map lookup), the others in a trie keyed by their leading literal parts.
 * A lookup walks the address's parts down the trie and tests only the rules hanging on the nodes it passes
 * (rules starting with a wildcard or '//' sit at the root), then merges the candidate lists by rule index.
 *
 * Incoming patterns (the spec lets a sender address many methods at once): an address that is itself a
 * pattern is matched against the rules whose pattern is literal, and `parts` are what the incoming
 * wildcards matched in the rule's address. A pattern rule matches an incoming pattern only when both are
 * the same string (deciding whether two patterns share an address is not what OSC dispatch means, and
 * exact equality keeps it predictable). An invalid incoming pattern matches nothing.
 */
import { compilePattern, isPattern, type CompiledPattern } from './address-pattern';

export interface RouteMatch<T> {
  payload: T;
  pattern: string;
  /** Position of the rule, in the order rules were added (0-based). */
  index: number;
  /** What each wildcard part and each '//' matched (see CompiledPattern.exec). */
  parts: string[];
}

interface Rule<T> {
  pattern: string;
  payload: T;
  compiled: CompiledPattern;
}

class TrieNode {
  /** Indices of non-literal rules whose literal prefix ends here, ascending. */
  rules: number[] = [];
  keys: string[] = [];
  kids: TrieNode[] = [];
  /** Only for wide nodes: a lookup by key needs a sliced (allocated, hashed) string, a short scan does not. */
  map: Map<string, TrieNode> | null = null;

  /** The child keyed by address[start, end), if any. */
  child(address: string, start: number, end: number): TrieNode | undefined {
    if (this.map !== null) return this.map.get(address.slice(start, end));
    const len = end - start;
    const keys = this.keys;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      if (key.length !== len) continue;
      let i = 0;
      while (i < len && key.charCodeAt(i) === address.charCodeAt(start + i)) i++;
      if (i === len) return this.kids[k];
    }
    return undefined;
  }

  childFor(key: string): TrieNode {
    const found = this.child(key, 0, key.length);
    if (found !== undefined) return found;
    const node = new TrieNode();
    this.keys.push(key);
    this.kids.push(node);
    if (this.map !== null) this.map.set(key, node);
    else if (this.keys.length > 8) this.map = new Map(this.keys.map((k, i) => [k, this.kids[i]]));
    return node;
  }
}

export class Router<T> {
  private rules: Rule<T>[] = [];
  private literals = new Map<string, number[]>();
  private root = new TrieNode();
  // Scratch space reused across lookups (they never overlap: matching is synchronous).
  private lists: (readonly number[])[] = [];
  private nLists = 0;
  private heads: number[] = [];

  get size(): number {
    return this.rules.length;
  }

  /** Adds a rule after the existing ones. Throws OscError 'BAD_PATTERN' for an invalid pattern. */
  add(pattern: string, payload: T): void {
    const compiled = compilePattern(pattern);
    const index = this.rules.length;
    this.rules.push({ pattern, payload, compiled });
    if (compiled.literal) {
      const list = this.literals.get(pattern);
      if (list) list.push(index);
      else this.literals.set(pattern, [index]);
      return;
    }
    let node = this.root;
    // Patterns are validated, so '/' only separates parts here (never inside [] or {}).
    for (const part of pattern.slice(1).split('/')) {
      if (part === '' || isPattern(part)) break;
      node = node.childFor(part);
    }
    node.rules.push(index);
  }

  clear(): void {
    this.rules = [];
    this.literals = new Map();
    this.root = new TrieNode();
  }

  /** Every rule matching address, in rule order. Never throws. */
  match(address: string): Array<RouteMatch<T>> {
    const out: Array<RouteMatch<T>> = [];
    if (typeof address !== 'string') return out;
    if (isPattern(address)) {
      this.matchIncomingPattern(address, out, false);
      return out;
    }
    this.candidates(address);
    this.merge(address, out, false);
    return out;
  }

  /** The first rule matching address, or undefined. Never throws. */
  matchFirst(address: string): RouteMatch<T> | undefined {
    const out: Array<RouteMatch<T>> = [];
    if (typeof address !== 'string') return undefined;
    if (isPattern(address)) this.matchIncomingPattern(address, out, true);
    else {
      this.candidates(address);
      this.merge(address, out, true);
    }
    return out[0];
  }

  /** Fills this.lists with the sorted candidate lists for a literal address. */
  private candidates(address: string): void {
    const lists = this.lists;
    let n = 0;
    const lit = this.literals.get(address);
    if (lit !== undefined) lists[n++] = lit;
    let node: TrieNode | undefined = this.root;
    let pos = 0;
    const len = address.length;
    while (node !== undefined) {
      if (node.rules.length > 0) lists[n++] = node.rules;
      if (node.keys.length === 0 || address.charCodeAt(pos) !== 47) break;
      let end = pos + 1;
      while (end < len && address.charCodeAt(end) !== 47) end++;
      node = node.child(address, pos + 1, end);
      pos = end;
    }
    this.nLists = n;
  }

  /** Tests the candidates in rule order (a k-way merge of ascending lists; k is the address depth + 2 at most). */
  private merge(address: string, out: Array<RouteMatch<T>>, first: boolean): void {
    const lists = this.lists;
    const k = this.nLists;
    if (k === 0) return;
    if (k === 1) {
      for (const i of lists[0]) if (this.test(i, address, out) && first) return;
      return;
    }
    const heads = this.heads;
    for (let l = 0; l < k; l++) heads[l] = 0;
    for (;;) {
      let best = -1;
      let bestIndex = Infinity;
      for (let l = 0; l < k; l++) {
        const h = heads[l];
        const list = lists[l];
        if (h < list.length && list[h] < bestIndex) {
          bestIndex = list[h];
          best = l;
        }
      }
      if (best < 0) return;
      heads[best]++;
      if (this.test(bestIndex, address, out) && first) return;
    }
  }

  private test(i: number, address: string, out: Array<RouteMatch<T>>): boolean {
    const rule = this.rules[i];
    const parts = rule.compiled.exec(address);
    if (parts === null) return false;
    out.push({ payload: rule.payload, pattern: rule.pattern, index: i, parts });
    return true;
  }

  private matchIncomingPattern(address: string, out: Array<RouteMatch<T>>, first: boolean): void {
    let incoming: CompiledPattern;
    try {
      incoming = compilePattern(address);
    } catch {
      return;
    }
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      let parts: string[] | null;
      if (rule.compiled.literal) parts = incoming.exec(rule.pattern);
      else parts = rule.pattern === address ? [] : null;
      if (parts === null) continue;
      out.push({ payload: rule.payload, pattern: rule.pattern, index: i, parts });
      if (first) return;
    }
  }
}
