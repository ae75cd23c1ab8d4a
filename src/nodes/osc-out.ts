// osc-out: encodes each msg as an OSC packet and sends it, from its osc-udp endpoint (so replies reach the
// osc-in nodes on that socket), through an osc-tcp connection, or from a socket of its own on a free port. The work
// is Sender's (sender.ts), the status outStatus's (status.ts); this file wires them to Node-RED and the endpoint.
import { udpEndpointHolder } from '../transport/udp';
import { findEndpoint, wantsTcp, type EndpointChoice, type EndpointUser } from './endpoint';
import { EndpointWords } from './endpoint-words';
import type { Node, NodeAPI, NodeDef } from './red';
import { EndpointReports } from './report';
import { OwnSockets, Sender, sharedRoute, type Route, type SendConfig } from './sender';
import { outStatus, statusThrottle } from './status';
import { Texts } from './texts';
import { deviceTypes, registerQueryAdmin, type DeviceTypesConfig } from './query-remote';

interface OscOutDef extends NodeDef, EndpointChoice, SendConfig, DeviceTypesConfig {}

export = function (RED: NodeAPI): void {
  registerQueryAdmin(RED);
  function OscOut(this: Node, def: OscOutDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-out', RED._);
    const words = new EndpointWords(texts);
    const tcp = wantsTcp(def);
    const sender = new Sender(def, tcp, texts, words, () => status.mark(), deviceTypes(RED, node, def, texts));
    const to = tcp ? undefined : sender.destination.describe();
    const status = statusThrottle(() => node.status(outStatus(texts, words, route.handle.endpoint, to, sender)));
    const reports = new EndpointReports(node, words, texts);
    const user: EndpointUser = {
      onStateChange(ep) {
        status.now();
        reports.stateChanged(ep);
      },
    };
    let route: Route;
    // Over TCP the connection is the destination: Host and Port do not apply; a server answers msg.ip/msg.port.
    if (tcp || def.endpoint) {
      const config = findEndpoint(RED, def);
      if (config === null) {
        node.status({ fill: 'red', shape: 'ring', text: texts.t('status.no-endpoint') });
        const id = tcp ? def.tcpEndpoint : def.endpoint;
        node.error(texts.t(tcp ? (id ? 'missing-endpoint-tcp' : 'no-endpoint-tcp') : 'missing-endpoint', { id: id ?? '' }));
        return;
      }
      route = sharedRoute(config.register(user));
    } else {
      // The monitor names the socket after its node.
      const owner = { id: node.id, name: `osc out ${def.name || node.id} (own socket)` };
      route = new OwnSockets(sender.destination, user, (options, u) => udpEndpointHolder(options).describe(owner).register(u));
    }
    status.now();

    node.on('input', (msg, _send, done) => sender.send(msg, route, done));

    node.on('close', (_removed, done) => {
      status.stop();
      void route.release().then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-out', OscOut);
};
