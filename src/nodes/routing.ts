// What osc-route does with a msg, without Node-RED: the rules compiled once per deploy into a Router, then per msg
// one lookup and the output array for send().
import { Router } from '../osc/pattern';
import { flag } from '../util';

/** The msg as osc-route reads and extends it. */
export interface RouteMsg {
  [key: string]: unknown;
  topic?: unknown;
  osc?: unknown;
  route?: MsgRoute;
}

/** What osc-route adds to a msg it routes: the rule that matched and what each wildcard matched. */
export interface MsgRoute {
  /** 0-based rule index, which is also the output index (kept even when an earlier rule was invalid). */
  index: number;
  pattern: string;
  parts: string[];
}

/** The properties of an osc-route node. */
export interface RouteConfig {
  rules?: Array<{ pattern?: unknown }>;
  /** Add an "otherwise" output after the rule outputs. */
  otherwise?: boolean | string;
  /** 'true': every matching rule; 'false': the first matching rule only (a string, as in the core switch node). */
  checkall?: string | boolean;
  /** The msg property holding the address; 'topic' unless set. */
  property?: string;
}

/** A rule whose pattern does not compile: it never matches, the others keep routing. */
export interface InvalidRule {
  /** 1-based, as the editor numbers rules. */
  number: number;
  pattern: string;
  detail: string;
}

export class MsgRouter {
  /** The msg property read for the address. */
  readonly property: string;
  readonly outputs: number;
  readonly invalid: InvalidRule[] = [];
  private readonly byTopic: boolean;
  private readonly checkall: boolean;
  private readonly otherwiseIndex: number;
  private readonly router = new Router<number>();

  /** `getProperty` reads a msg property by its path ("meta.addr"): RED.util.getMessageProperty. */
  constructor(
    config: RouteConfig,
    private readonly getProperty: (msg: RouteMsg, path: string) => unknown,
  ) {
    const rules = Array.isArray(config.rules) ? config.rules : [];
    const otherwise = flag(config.otherwise, false);
    this.checkall = flag(config.checkall, true);
    this.property = typeof config.property === 'string' && config.property !== '' ? config.property : 'topic';
    this.byTopic = this.property === 'topic';
    this.outputs = rules.length + (otherwise ? 1 : 0);
    this.otherwiseIndex = otherwise ? rules.length : -1;
    for (let i = 0; i < rules.length; i++) {
      const p = rules[i]?.pattern;
      const pattern = typeof p === 'string' ? p : '';
      try {
        this.router.add(pattern, i);
      } catch (err) {
        this.invalid.push({ number: i + 1, pattern, detail: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** The address to route msg by: the configured property, else msg.osc.address; undefined when neither is one. */
  address(msg: RouteMsg): string | undefined {
    const value = this.byTopic ? msg.topic : this.getProperty(msg, this.property);
    if (typeof value === 'string' && value !== '') return value;
    const osc = msg.osc as { address?: unknown } | null | undefined;
    const a = osc !== null && typeof osc === 'object' ? osc.address : undefined;
    return typeof a === 'string' && a !== '' ? a : undefined;
  }

  /** The outputs for msg (null where nothing goes), or null when nothing goes anywhere. */
  route(msg: RouteMsg, address: string): Array<RouteMsg | null> | null {
    if (this.checkall) {
      const matches = this.router.match(address);
      if (matches.length === 0) return this.otherwise(msg);
      const out = this.empty();
      for (let k = 0; k < matches.length; k++) {
        const m = matches[k];
        // Each output gets its own top-level object so that every copy carries its own msg.route; the runtime
        // deep-clones every message after the first of one send(), so nested objects (payload, osc) are not
        // shared downstream either. One match costs no copy at all.
        const copy: RouteMsg = k === 0 ? msg : { ...msg };
        copy.route = { index: m.payload, pattern: m.pattern, parts: m.parts };
        out[m.payload] = copy;
      }
      return out;
    }
    const m = this.router.matchFirst(address);
    if (m === undefined) return this.otherwise(msg);
    const out = this.empty();
    msg.route = { index: m.payload, pattern: m.pattern, parts: m.parts };
    out[m.payload] = msg;
    return out;
  }

  /** A new array per msg: with synchronous delivery the node is entered again from inside its own send(). */
  private empty(): Array<RouteMsg | null> {
    return new Array<RouteMsg | null>(this.outputs).fill(null);
  }

  private otherwise(msg: RouteMsg): Array<RouteMsg | null> | null {
    if (this.otherwiseIndex < 0) return null;
    const out = this.empty();
    // A stale msg.route from an earlier osc-route would name a rule of another node.
    if (msg.route !== undefined) delete msg.route;
    out[this.otherwiseIndex] = msg;
    return out;
  }
}
