// osc-tcp: the config node holding one OSC-over-TCP endpoint, a client (connects to a device such as QLab or an
// ETC Eos console, reconnecting with backoff) or a server (several clients at once). Like osc-udp it opens
// nothing by itself: the first osc-in or osc-out registering with it opens the connection, the last one closes it.
import { EndpointAdvertiser } from '../transport/advertiser';
import { RateLimiter } from '../transport/throttle';
import { TcpEndpoint, tcpEndpointHolder, tcpOptionsFromConfig, whenTcpEndpointsClosed } from '../transport/tcp-endpoint';
import type { EndpointHooks } from '../transport/endpoint';
import type { TcpConfigProperties } from '../transport/tcp-endpoint';
import { flag } from '../util';
import { serveServices } from './services';
import { Texts } from './texts';
import type { NodeAPI, NodeDef, OscEndpointNode } from './red';

interface OscTcpDef extends NodeDef, TcpConfigProperties {
  /** A server: publish it as _osc._tcp by DNS-SD (absent in older flows: off; a client never is). */
  advertise?: boolean | string;
  /** The service instance name; blank: "Node-RED on <host name>". */
  serviceName?: string;
}

/** Stream errors nobody else reports, logged per second at most; the rest are counted in one line. */
const WARNINGS_PER_SECOND = 5;

export = function (RED: NodeAPI): void {
  function OscTcp(this: OscEndpointNode & { transport: 'tcp' }, def: OscTcpDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const texts = new Texts('osc-tcp', RED._);
    const limiter = new RateLimiter(WARNINGS_PER_SECOND, 1000, (n) => {
      node.warn(`${n} more TCP stream error${n === 1 ? '' : 's'} in the last second not reported one by one`);
    });
    const options = tcpOptionsFromConfig(def);
    const advertiser =
      options.mode === 'server' && flag(def.advertise, false)
        ? new EndpointAdvertiser({
            type: '_osc._tcp',
            name: def.serviceName,
            onProblem: (reason) => node.warn(texts.t('not-advertised', { reason })),
            boundOf: (ep) => (ep instanceof TcpEndpoint && ep.mode === 'server' ? ep.address : undefined),
          })
        : undefined;
    const hooks: EndpointHooks = {
      // Only when no osc-in listens: an osc-out alone still deserves to hear that a peer sends garbage.
      onUnhandledError(err, remote) {
        if (!limiter.allow()) return;
        const from = remote ? ` from ${remote.address}:${remote.port}` : '';
        node.warn(`${err.code}${from}: ${err.message}`);
      },
      // Clients refused by the allow-list: logged here, once for all users.
      onWarning(warning) {
        node.warn(warning.message);
      },
    };
    const holder = tcpEndpointHolder(options, advertiser ? advertiser.hooks(hooks) : hooks).describe({
      id: def.id,
      name: def.name || 'osc tcp',
    });
    this.transport = 'tcp';
    this.register = (user) => holder.register(user);
    this.on('close', (_removed, done) => {
      limiter.stop();
      // The users are stopping too; closing here as well means a full redeploy reports "stopped" only once no
      // socket of ours still holds the port, whichever of them Node-RED closes first.
      void Promise.all([holder.close(), whenTcpEndpointsClosed(), advertiser?.close()]).then(() => done());
    });
  }
  RED.nodes.registerType('osc-tcp', OscTcp);
  // Also here: either node set may be disabled in the palette manager.
  serveServices(RED);
};
