// osc-request: sends a msg as osc out does, waits for the device's reply and outputs it, or reports a TIMEOUT for
// a Catch node. The work is OscRequester's (requester.ts, over the pure pairing of src/request/); this file only
// wires it to Node-RED and the endpoint.
import type { Endpoint, EndpointHandle, EndpointUser } from '../transport/endpoint';
import { udpEndpointHolder } from '../transport/udp';
import { findEndpoint, wantsTcp, type EndpointChoice } from './endpoint';
import { EndpointWords } from './endpoint-words';
import type { Node, NodeAPI, NodeDef } from './red';
import { EndpointReports, nodeError } from './report';
import { OscRequester, requestOptionsFromConfig, transportOf, type RequestConfig } from './requester';
import { statusThrottle } from './status';
import { Texts } from './texts';
import { errorCode } from '../util';

interface OscRequestDef extends NodeDef, EndpointChoice, RequestConfig {}

export = function (RED: NodeAPI): void {
  function OscRequest(this: Node, def: OscRequestDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-request', RED._);
    const tcp = wantsTcp(def);
    const config = tcp || def.endpoint ? findEndpoint(RED, def) : null;
    if ((tcp || def.endpoint) && config === null) {
      node.status({ fill: 'red', shape: 'ring', text: texts.t('status.no-endpoint') });
      const id = tcp ? def.tcpEndpoint : def.endpoint;
      node.error(texts.t(tcp ? (id ? 'missing-endpoint-tcp' : 'no-endpoint-tcp') : 'missing-endpoint', { id: id ?? '' }));
      return;
    }
    const reports = new EndpointReports(node, new EndpointWords(texts), texts);
    const status = statusThrottle(() => node.status(requester.status()));
    const user: EndpointUser = {
      onStateChange(ep: Endpoint) {
        status.now();
        reports.stateChanged(ep);
        // Replies cannot come over a connection that is gone: the requests end now rather than at their timeout.
        if (ep.state === 'failed' || ep.state === 'closed') requester.connectionLost(ep.error);
      },
    };
    // Registered before the options are read: the endpoint tells the transport (TCP client or server, IPv4 or 6).
    const handle: EndpointHandle | undefined = config?.register(user);
    const { transport, family } = transportOf(handle?.endpoint ?? null, def.host);
    const { options, problems } = requestOptionsFromConfig(def, transport, family, texts);
    for (const p of problems) node.warn(p);
    const requester: OscRequester = new OscRequester(options, () => status.mark(), texts);
    const link = handle ?? udpEndpointHolder({ ipv: family === 6 ? 'udp6' : 'udp4', localPort: 0 }).register(user);
    requester.use(link);
    status.now();

    node.on('input', (msg, send, done) => {
      requester.request(msg, (err, reply) => {
        if (reply !== undefined) send(reply);
        done(err ? nodeError(errorCode(err, 'ERROR'), err.message) : undefined);
      });
    });

    node.on('close', (_removed, done) => {
      status.stop();
      const n = requester.close();
      if (n > 0) node.log(texts.t('dropped', { count: n }));
      void link.release().then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-request', OscRequest);
};
