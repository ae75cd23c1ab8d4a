// osc-request: sends a msg as osc out does, waits for the device's reply and outputs it, or reports a TIMEOUT for
// a Catch node. The work is OscRequester's (src/request/); this file only wires it into Node-RED.
import { OscRequester, requestOptionsFromConfig, transportOf } from '../request/requester';
import type { RequestConfig } from '../request/requester';
import { Throttle } from '../transport/throttle';
import { acquireUdpEndpoint } from '../transport/udp';
import { acquireEndpoint, findEndpoint, reportFailure, wantsTcp } from './endpoint';
import type { EndpointChoice, EndpointHandle } from './endpoint';
import type { Node, NodeAPI, NodeDef } from './red';

interface OscRequestDef extends NodeDef, EndpointChoice, RequestConfig {}

const STATUS_INTERVAL_MS = 500;

export = function (RED: NodeAPI): void {
  function OscRequest(this: Node, def: OscRequestDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const chosen = wantsTcp(def) || Boolean(def.endpoint);
    const config = chosen ? findEndpoint(RED, def) : null;
    if (chosen && config === null) {
      node.status({ fill: 'red', shape: 'ring', text: 'endpoint missing' });
      node.error(
        wantsTcp(def)
          ? 'no osc-tcp endpoint: choose the TCP connection or server to ask through in the node'
          : `the osc-udp endpoint ${String(def.endpoint)} this node sends from does not exist`,
      );
      return;
    }
    const { transport, family } = transportOf(config, def.host);
    const { options, problems } = requestOptionsFromConfig(def, transport, family);
    for (const p of problems) node.warn(p);
    const status = new Throttle(STATUS_INTERVAL_MS, () => node.status(requester.status()));
    const requester = new OscRequester(options, () => status.mark());
    const user = {
      onStateChange(ep: EndpointHandle['endpoint']): void {
        status.now();
        reportFailure(ep, node);
        // Replies cannot come over a connection that is gone: the requests end now rather than at their timeout.
        if (ep.state === 'failed' || ep.state === 'closed') requester.connectionLost(ep.error);
      },
    };
    const handle: EndpointHandle =
      config !== null
        ? acquireEndpoint(config, user)
        : acquireUdpEndpoint(`osc-request:${node.id}`, { ipv: family === 6 ? 'udp6' : 'udp4', localPort: 0 }, user);
    requester.use(handle);
    status.now();

    node.on('input', (msg, send, done) => {
      requester.request(msg, (err, reply) => {
        if (reply !== undefined) send(reply);
        done(err ?? undefined);
      });
    });

    node.on('close', (_removed, done) => {
      status.stop();
      const n = requester.close();
      if (n > 0) node.log(`${n} request${n === 1 ? '' : 's'} waiting for a reply dropped on close`);
      void handle.release().then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-request', OscRequest);
};
