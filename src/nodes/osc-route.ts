// osc-route: dispatches messages by OSC address pattern. The routing lives in MsgRouter (routing.ts), the pattern
// matching below it in src/osc; this file wires config, msg and status to it.
import { MsgRouter, type RouteConfig } from './routing';
import { nodeError } from './report';
import { Texts } from './texts';
import type { Node, NodeAPI, NodeDef } from './red';

interface OscRouteDef extends NodeDef, RouteConfig {}

export = function (RED: NodeAPI): void {
  function OscRoute(this: Node, def: OscRouteDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-route', RED._);
    // Built once per deploy: the per-message path is then a lookup in an already compiled table.
    const router = new MsgRouter(def, (msg, path) => RED.util.getMessageProperty(msg, path));
    // A bad rule must not take the flow down: it never matches, the other rules keep routing, and the node stays
    // red so the user sees which rule to fix.
    for (const r of router.invalid) node.error(texts.t('bad-rule', { number: r.number, pattern: r.pattern, detail: r.detail }));
    if (router.invalid.length > 0) {
      const rules = router.invalid.map((r) => r.number).join(', ');
      node.status({ fill: 'red', shape: 'ring', text: texts.t('status.invalid', { count: router.invalid.length, rules }) });
    }

    node.on('input', (msg, send, done) => {
      const address = router.address(msg);
      if (address === undefined) {
        // The same code osc-out uses for a msg without an address, so one Catch flow can handle both.
        done(nodeError('NO_ADDRESS', texts.t('no-address', { property: router.property })));
        return;
      }
      const out = router.route(msg, address);
      if (out !== null) send(out);
      done();
    });
  }
  RED.nodes.registerType('osc-route', OscRoute);
};
