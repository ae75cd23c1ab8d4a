// osc-route: dispatches messages by OSC address pattern. The matching itself lives in src/osc/pattern (Router);
// this file only wires config, msg and status to it, and keeps the per-message work to one Router lookup.
import { Router } from '../osc/pattern';

// The few Node-RED runtime shapes this node uses, declared here so that the node does not depend on the
// typings of a particular Node-RED release.
interface RouteMsg {
  [key: string]: unknown;
  topic?: unknown;
  osc?: { address?: unknown } | null;
  route?: MsgRoute;
}
interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}
interface RuntimeNode {
  on(event: 'input', cb: (msg: RouteMsg, send: (msgs: Array<RouteMsg | null>) => void, done: (err?: Error) => void) => void): void;
  status(status: NodeStatus): void;
  error(err: unknown, msg?: RouteMsg): void;
}
interface NodeAPI {
  nodes: {
    createNode(node: object, config: object): void;
    registerType(type: string, ctor: (this: RuntimeNode, config: OscRouteConfig) => void): void;
  };
  util: { getMessageProperty(msg: object, expr: string): unknown };
}

interface OscRouteRule {
  pattern: string;
}

interface OscRouteConfig {
  id: string;
  name?: string;
  rules?: OscRouteRule[];
  /** Add an "otherwise" output after the rule outputs. */
  otherwise?: boolean;
  /** 'true': every matching rule; 'false': the first matching rule only (a string, as in the core switch node). */
  checkall?: string | boolean;
  /** The msg property holding the address; 'topic' unless set. */
  property?: string;
}

/** What osc-route adds to a msg it routes: the rule that matched and what each wildcard matched. */
interface MsgRoute {
  /** 0-based rule index, which is also the output index (kept even when an earlier rule was invalid). */
  index: number;
  pattern: string;
  parts: string[];
}

function OscRoute(RED: NodeAPI): void {
  function OscRouteNode(this: RuntimeNode, config: OscRouteConfig): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const rules = Array.isArray(config.rules) ? config.rules : [];
    const checkall = String(config.checkall ?? 'true') !== 'false';
    const property = typeof config.property === 'string' && config.property !== '' ? config.property : 'topic';
    const byTopic = property === 'topic';
    const outputCount = rules.length + (config.otherwise ? 1 : 0);
    const otherwiseIndex = config.otherwise ? rules.length : -1;

    // Built once per deploy: the per-message path is then a lookup in an already compiled table.
    const router = new Router<number>();
    const invalid: string[] = [];
    for (let i = 0; i < rules.length; i++) {
      const pattern = rules[i] && typeof rules[i].pattern === 'string' ? rules[i].pattern : '';
      try {
        router.add(pattern, i);
      } catch (err) {
        // A bad rule must not take the flow down: it never matches, the other rules keep routing, and the
        // node stays red so the user sees which rule to fix.
        invalid.push(String(i + 1));
        node.error(`rule ${i + 1} "${pattern}": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (invalid.length > 0) {
      node.status({ fill: 'red', shape: 'ring', text: `invalid rule ${invalid.join(', ')}` });
    }

    node.on('input', (msg, send, done) => {
      const value = byTopic ? msg.topic : RED.util.getMessageProperty(msg, property);
      let address: unknown = typeof value === 'string' && value !== '' ? value : undefined;
      if (address === undefined && msg.osc && typeof msg.osc === 'object') address = msg.osc.address;
      if (typeof address !== 'string' || address === '') {
        // The same code osc-out uses for a msg without an address, so one Catch flow can handle both.
        const err = new Error(`no OSC address: msg.${property} and msg.osc.address are both missing or not a string`);
        (err as Error & { code: string }).code = 'NO_ADDRESS';
        done(err);
        return;
      }

      const out: Array<RouteMsg | null> = new Array<RouteMsg | null>(outputCount).fill(null);
      if (checkall) {
        const matches = router.match(address);
        if (matches.length === 0) {
          if (otherwiseIndex < 0) return done();
          if (msg.route !== undefined) delete msg.route;
          out[otherwiseIndex] = msg;
        } else {
          for (let k = 0; k < matches.length; k++) {
            const m = matches[k];
            // Each output gets its own top-level object so that every copy carries its own msg.route; the
            // runtime deep-clones every message after the first of one send(), so nested objects
            // (payload, osc) are not shared downstream either. One match costs no copy at all.
            const copy: RouteMsg = k === 0 ? msg : { ...msg };
            copy.route = { index: m.payload, pattern: m.pattern, parts: m.parts };
            out[m.payload] = copy;
          }
        }
      } else {
        const m = router.matchFirst(address);
        if (m === undefined) {
          if (otherwiseIndex < 0) return done();
          if (msg.route !== undefined) delete msg.route;
          out[otherwiseIndex] = msg;
        } else {
          msg.route = { index: m.payload, pattern: m.pattern, parts: m.parts };
          out[m.payload] = msg;
        }
      }
      send(out);
      done();
    });
  }
  RED.nodes.registerType('osc-route', OscRouteNode);
}

export = OscRoute;
