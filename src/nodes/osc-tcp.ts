// osc-tcp: the config node naming one OSC-over-TCP endpoint, a client (connects to a device such as QLab or an
// ETC Eos console, reconnecting with backoff) or a server (several clients at once). Like osc-udp it opens
// nothing by itself: the first osc-in or osc-out using it opens the connection, the last one closes it.
import { RateLimiter } from '../transport/throttle';
import { TcpEndpointOwner, tcpOptionsFromConfig, whenTcpEndpointsClosed } from '../transport/tcp-endpoint';
import type { TcpConfigProperties } from '../transport/tcp-endpoint';
import type { NodeAPI, NodeDef, OscTcpNode } from './red';

interface OscTcpDef extends NodeDef, TcpConfigProperties {}

/** Stream errors nobody else reports, logged per second at most; the rest are counted in one line. */
const WARNINGS_PER_SECOND = 5;
/** A client refused by the allow-list is logged at most this often per address, as osc-udp's senders are. */
const REFUSED_LOG_INTERVAL_MS = 60000;

export = function (RED: NodeAPI): void {
  function OscTcp(this: OscTcpNode, def: OscTcpDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const options = tcpOptionsFromConfig(def);
    const limiter = new RateLimiter(WARNINGS_PER_SECOND, 1000, (n) => {
      node.warn(`${n} more TCP stream error${n === 1 ? '' : 's'} in the last second not reported one by one`);
    });
    const refusedLog = new Map<string, { at: number; count: number }>();
    const owner = new TcpEndpointOwner(options, {
      // Only when no osc-in listens: an osc-out alone still deserves to hear that a peer sends garbage.
      onUnhandledError(err, remote) {
        if (!limiter.allow()) return;
        const from = remote ? ` from ${remote.address}:${remote.port}` : '';
        node.warn(`${err.code}${from}: ${err.message}`);
      },
      onRefused(remote, ep) {
        const now = Date.now();
        const seen = refusedLog.get(remote.address);
        if (seen !== undefined && now - seen.at < REFUSED_LOG_INTERVAL_MS) {
          seen.count++;
          return;
        }
        const more = seen && seen.count > 0 ? ` (${seen.count} more since the last report)` : '';
        refusedLog.set(remote.address, { at: now, count: 0 });
        // A scan from many addresses must not grow the map without bound: forget those quiet for a minute.
        if (refusedLog.size > 1024) {
          for (const [a, v] of refusedLog) if (now - v.at >= REFUSED_LOG_INTERVAL_MS) refusedLog.delete(a);
        }
        node.warn(`refused a TCP connection from ${remote.address}:${remote.port}: not in the allow-list of ${ep.label}${more}; ${ep.rejected} refused in all`);
      },
    });
    // Tells osc-in and osc-out that acquire() hands out a TCP endpoint (osc-udp has the same method).
    (this as { transport: 'tcp' }).transport = 'tcp';
    this.tcpOptions = options;
    this.acquire = (user) => owner.acquire(user);
    this.on('close', (_removed, done) => {
      limiter.stop();
      // The users are stopping too; closing here as well means a full redeploy reports "stopped" only once no
      // socket of ours still holds the port, whichever of them Node-RED closes first.
      void Promise.all([owner.close(), whenTcpEndpointsClosed()]).then(() => done());
    });
  }
  RED.nodes.registerType('osc-tcp', OscTcp);
};
