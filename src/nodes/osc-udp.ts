// osc-udp: the config node holding one UDP endpoint. It opens nothing by itself: its users (osc-in, osc-out)
// register with it, so the socket opens with the first user and closes after the last, whatever order a partial
// deploy restarts them in.
import { EndpointAdvertiser } from '../transport/advertiser';
import { UdpEndpoint, udpEndpointHolder, udpOptionsFromConfig, whenSocketsClosed } from '../transport/udp';
import type { UdpConfigProperties } from '../transport/udp';
import { flag } from '../util';
import { serveServices } from './services';
import { Texts } from './texts';
import type { NodeAPI, NodeDef, OscEndpointNode } from './red';

interface OscUdpDef extends NodeDef, UdpConfigProperties {
  /** Publish the endpoint as _osc._udp by DNS-SD (absent in older flows: off). */
  advertise?: boolean | string;
  /** The service instance name; blank: "Node-RED on <host name>". */
  serviceName?: string;
}

export = function (RED: NodeAPI): void {
  function OscUdp(this: OscEndpointNode & { transport: 'udp' }, def: OscUdpDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-udp', RED._);
    const advertiser = flag(def.advertise, false)
      ? new EndpointAdvertiser({
          type: '_osc._udp',
          name: def.serviceName,
          onProblem: (reason) => node.warn(texts.t('not-advertised', { reason })),
          boundOf: (ep) => (ep instanceof UdpEndpoint ? ep.address : undefined),
        })
      : undefined;
    const holder = udpEndpointHolder(udpOptionsFromConfig(def), advertiser?.hooks()).describe({
      id: def.id,
      name: def.name || 'osc udp',
    });
    this.transport = 'udp';
    this.register = (user) => holder.register(user);
    this.on('close', (_removed, done) => {
      // The users are stopping too; closing here as well means a full redeploy reports "stopped" only once no
      // socket of ours still holds the port, whichever of them Node-RED closes first.
      void Promise.all([holder.close(), whenSocketsClosed(), advertiser?.close()]).then(() => done());
    });
  }
  RED.nodes.registerType('osc-udp', OscUdp);
  serveServices(RED);
};
