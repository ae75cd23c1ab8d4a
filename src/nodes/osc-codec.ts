// osc-codec: OSC without a socket. Bytes in msg.payload become the msgs osc-in would emit; any other msg becomes
// the bytes osc-out would send. For flows whose transport is a core node (TCP, serial, WebSocket, MQTT, UDP).
// The work is MsgCodec's (msg-codec.ts); this file wires it to Node-RED.
import { MsgCodec, type MsgCodecConfig } from './msg-codec';
import { reportOf } from './report';
import { codecStatus, statusThrottle } from './status';
import { Texts } from './texts';
import type { Node, NodeAPI, NodeDef } from './red';

interface OscCodecDef extends NodeDef, MsgCodecConfig {}

export = function (RED: NodeAPI): void {
  function OscCodec(this: Node, def: OscCodecDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-codec', RED._);
    const codec = new MsgCodec(def);
    const status = statusThrottle(() => node.status(codecStatus(texts, codec)));

    node.on('input', (msg, send, done) => {
      const err = codec.handle(msg, send);
      status.mark();
      if (err === undefined) done();
      else done(reportOf(texts, err));
    });

    node.on('close', (_removed, done) => {
      status.stop();
      codec.clear();
      node.status({});
      done();
    });
  }
  RED.nodes.registerType('osc-codec', OscCodec);
};
