// osc-in: decodes every packet arriving on its endpoint (osc-udp, or osc-tcp) and sends each OSC message on as a
// msg; optionally holding bundles until their timetags are due. The work is PacketReceiver's (receiver.ts), the
// status inStatus's (status.ts); this file wires them to Node-RED and to the endpoint.
import { findEndpoint, type EndpointChoice } from './endpoint';
import { EndpointWords } from './endpoint-words';
import { PacketReceiver, type ReceiveConfig } from './receiver';
import type { Node, NodeAPI, NodeDef } from './red';
import { EndpointReports } from './report';
import { inStatus, statusThrottle } from './status';
import { Texts } from './texts';

interface OscInDef extends NodeDef, EndpointChoice, ReceiveConfig {}

export = function (RED: NodeAPI): void {
  function OscIn(this: Node, def: OscInDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-in', RED._);
    const config = findEndpoint(RED, def);
    if (config === null) {
      node.status({ fill: 'red', shape: 'ring', text: texts.t('status.no-endpoint') });
      node.error(texts.t(def.transport === 'tcp' ? 'no-endpoint-tcp' : 'no-endpoint'));
      return;
    }
    const words = new EndpointWords(texts);
    const status = statusThrottle(() => node.status(inStatus(texts, words, handle.endpoint, receiver, Date.now())));
    const receiver = new PacketReceiver(def, texts, {
      send: (msg) => node.send(msg),
      // One send of an array for output 1: the group's messages go on in order, with nothing in between.
      sendGroup: (msgs) => node.send([msgs]),
      error: (report, msg) => node.error(report, msg),
      warn: (text) => node.warn(text),
      log: (text) => node.log(text),
      changed: () => status.mark(),
      changedNow: () => status.now(),
    });
    const reports = new EndpointReports(node, words, texts);
    const handle = config.register({
      onMessage: (data, from) => receiver.packet(data, from.address, from.port),
      onStateChange(ep) {
        status.now();
        reports.stateChanged(ep);
      },
      onStats: () => status.mark(),
      onWarning: (w) => node.warn(words.message(w)),
      onStreamError: (e, from) => receiver.streamError(e, from),
    });
    status.now();

    node.on('close', (_removed, done) => {
      status.stop();
      receiver.close();
      void handle.release().then(() => {
        node.status({});
        done();
      });
    });
  }
  RED.nodes.registerType('osc-in', OscIn);
};
