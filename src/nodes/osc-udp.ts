// osc-udp: the config node naming one UDP endpoint. It owns no socket itself: its users (osc-in, osc-out)
// acquire the pooled endpoint keyed by this node's id, so the socket opens with the first user and closes
// after the last, whatever order a partial deploy restarts them in.
import { acquireUdpEndpoint, udpOptionsFromConfig, whenSocketsClosed } from '../transport/udp';
import type { UdpConfigProperties } from '../transport/udp';
import type { NodeAPI, NodeDef, OscUdpNode } from './red';

interface OscUdpDef extends NodeDef, UdpConfigProperties {}

export = function (RED: NodeAPI): void {
  function OscUdp(this: OscUdpNode, def: OscUdpDef): void {
    RED.nodes.createNode(this, def);
    const options = udpOptionsFromConfig(def);
    this.endpointOptions = options;
    this.acquire = (user) => acquireUdpEndpoint(this.id, options, user);
    this.on('close', (_removed, done) => {
      // Users release (and await) the socket in their own close handlers; waiting here too means a full
      // redeploy reports "stopped" only once no socket of ours still holds the port.
      void whenSocketsClosed().then(() => done());
    });
  }
  RED.nodes.registerType('osc-udp', OscUdp);
};
