// osc-query: the config node that publishes an endpoint's address space over OSCQuery (serve mode), or names a
// device whose address space others read (remote mode, query-remote.ts). Serve mode's work is QueryService's
// (src/oscquery/service.ts); this file reads the properties, finds the endpoint and the osc route rules, and logs.
import { routeAddresses, type FlowNodeDef } from '../oscquery/routes';
import { QueryService, type QueryConfig } from '../oscquery/service';
import { flag } from '../util';
import { findEndpoint, type EndpointChoice } from './endpoint';
import { remoteMode } from './query-remote';
import type { Node, NodeAPI, NodeDef } from './red';

interface OscQueryDef extends NodeDef, EndpointChoice, QueryConfig {
  /** 'serve' (default) or 'remote'. */
  mode?: string;
  /** Remote mode: "host:port" of a device's OSCQuery server. */
  remote?: string;
  /** Add the literal rules of osc route nodes wired from an osc in on the endpoint. */
  routeRules?: unknown;
}

/** The runtime's walk over the deployed flow's definitions (Node-RED's RED.nodes.eachNode). */
type EachNode = (cb: (def: FlowNodeDef) => void) => void;

export = function (RED: NodeAPI): void {
  function OscQuery(this: Node, def: OscQueryDef): void {
    RED.nodes.createNode(this, def);
    const node = this;

    if (def.mode === 'remote') {
      remoteMode(node, def, RED);
      return;
    }

    const endpoint = findEndpoint(RED, def);
    if (endpoint === null) {
      node.error('OSCQuery: no osc udp or osc tcp endpoint chosen: its OSC port is what the address space describes');
    }
    let routes: string[] = [];
    const eachNode = (RED.nodes as { eachNode?: EachNode }).eachNode;
    if (endpoint !== null && flag(def.routeRules, false) && typeof eachNode === 'function') {
      const defs: FlowNodeDef[] = [];
      eachNode((d) => defs.push(d));
      routes = routeAddresses(defs, endpoint.id);
    }
    const service = new QueryService(def.id, def.name || 'Node-RED', def, routes, endpoint, {
      log: (t) => node.log(t),
      warn: (t) => node.warn(t),
      error: (t) => node.error(t),
    });

    node.on('close', (removed, done) => {
      void service.close(removed).then(
        () => done(),
        () => done(),
      );
    });
  }
  RED.nodes.registerType('osc-query', OscQuery);
};
