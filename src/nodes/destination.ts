// Where osc-out sends a msg, without Node-RED: its Host and Port when set (they win over msg.ip and msg.port, as
// in the core UDP out node), else the msg's; over TCP the connection is the destination, and msg.ip/msg.port
// only name one client of a server.
import { hostPort } from '../util';
import type { NodeMessage } from './red';
import type { KeyedError } from './report';

/** osc-out's destination properties. */
export interface DestinationConfig {
  host?: string;
  port?: number | string;
}

function isPort(p: number, min: number): boolean {
  return Number.isInteger(p) && p >= min && p <= 65535;
}

export class Destination {
  /** The host and port resolve() found for the last msg. */
  host = '';
  port = 0;
  /** The node's Host ('' = msg.ip). */
  readonly configHost: string;
  /** The node's Port (0 = msg.port; NaN when not a number, refused at the first msg). */
  readonly configPort: number;
  private readonly portText: string;

  constructor(
    config: DestinationConfig,
    /** Over TCP: Host and Port do not apply. */
    readonly tcp: boolean,
  ) {
    this.configHost = tcp ? '' : (config.host ?? '').trim();
    this.portText = tcp ? '' : String(config.port ?? '').trim();
    this.configPort = this.portText === '' ? 0 : Number(this.portText);
  }

  /** Host and Port both set and valid: a UDP socket of the node's own can be connected to them. */
  get fixed(): boolean {
    return this.configHost !== '' && isPort(this.configPort, 1);
  }

  /**
   * Finds msg's destination (into `host` and `port`), or says why there is none. A TCP client ignores both; a
   * server sends to that client or, given neither, to every client ('' and 0).
   */
  resolve(msg: NodeMessage): KeyedError | undefined {
    const ip = msg.ip;
    if (this.tcp) {
      const p = msg.port;
      this.host = typeof ip === 'string' ? ip : '';
      this.port = p === undefined || p === null || p === '' ? 0 : Number(p);
      if (!isPort(this.port, 0)) return { code: 'NO_DESTINATION', key: 'send.tcp-port', params: { port: String(p) } };
      return undefined;
    }
    this.host = this.configHost !== '' ? this.configHost : typeof ip === 'string' ? ip : '';
    this.port = this.configPort !== 0 ? this.configPort : Number(msg.port);
    if (this.host === '') return { code: 'NO_DESTINATION', key: 'send.no-host', params: {} };
    if (isPort(this.port, 1)) return undefined;
    if (this.configPort !== 0) return { code: 'NO_DESTINATION', key: 'send.bad-port', params: { port: this.portText } };
    if (msg.port === undefined) return { code: 'NO_DESTINATION', key: 'send.no-port', params: {} };
    return { code: 'NO_DESTINATION', key: 'send.bad-msg-port', params: { port: String(msg.port) } };
  }

  /** Where the node sends, for its status (UDP): "10.0.0.5:9001", "msg.ip:9001", "10.0.0.5:msg.port", or "msg.ip". */
  describe(): string {
    const host = this.configHost;
    const port = this.configPort;
    if (host === '' && port === 0) return 'msg.ip';
    if (host !== '' && port !== 0) return hostPort(host, port);
    return `${host === '' ? 'msg.ip' : host}:${port === 0 ? 'msg.port' : this.portText}`;
  }
}
