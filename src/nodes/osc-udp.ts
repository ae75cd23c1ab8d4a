// osc-udp: the config node holding one UDP endpoint. It opens nothing by itself: its users (osc-in, osc-out)
// register with it, so the socket opens with the first user and closes after the last, whatever order a partial
// deploy restarts them in.
import { udpEndpointHolder, udpOptionsFromConfig, whenSocketsClosed } from '../transport/udp';
import type { UdpConfigProperties } from '../transport/udp';
import type { NodeAPI, NodeDef, OscEndpointNode } from './red';

interface OscUdpDef extends NodeDef, UdpConfigProperties {}

export = function (RED: NodeAPI): void {
  function OscUdp(this: OscEndpointNode & { transport: 'udp' }, def: OscUdpDef): void {
    RED.nodes.createNode(this, def);
    const holder = udpEndpointHolder(udpOptionsFromConfig(def)).describe({ id: def.id, name: def.name || 'osc udp' });
    this.transport = 'udp';
    this.register = (user) => holder.register(user);
    this.on('close', (_removed, done) => {
      // The users are stopping too; closing here as well means a full redeploy reports "stopped" only once no
      // socket of ours still holds the port, whichever of them Node-RED closes first.
      void Promise.all([holder.close(), whenSocketsClosed()]).then(() => done());
    });
  }
  RED.nodes.registerType('osc-udp', OscUdp);
};
