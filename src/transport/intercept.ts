// A first look at the packets an endpoint receives, before its receivers (osc in) get them. osc request uses it
// to take the replies it waits for and, when asked, to keep them from the others. A user sets its interceptor
// only while it waits for something, so an endpoint whose list is empty pays one length check per packet and
// nothing else. Nothing here knows Node-RED.
import type { RemoteInfo } from 'node:dgram';

/**
 * Sees a packet before the endpoint's receivers; returns true to keep it from them (the packet was consumed).
 * Must not throw (it is guarded anyway).
 */
export type PacketInterceptor = (data: Buffer, rinfo: RemoteInfo) => boolean;

/** The interceptors of one endpoint, at most one per user, in the order they were set. */
export class Interceptors<U> {
  /** Read on every packet: a plain array, replaced (never changed in place) when a user sets or clears its own. */
  list: PacketInterceptor[] = [];
  private readonly byUser = new Map<U, PacketInterceptor>();

  set(user: U, fn: PacketInterceptor | undefined): void {
    if (fn === undefined) {
      if (!this.byUser.delete(user)) return;
    } else {
      if (this.byUser.get(user) === fn) return;
      this.byUser.set(user, fn);
    }
    this.list = [...this.byUser.values()];
  }

  /** Every interceptor sees the packet (two request nodes may both wait for it); true when one consumed it. */
  run(data: Buffer, rinfo: RemoteInfo): boolean {
    const list = this.list;
    let consumed = false;
    for (let i = 0; i < list.length; i++) {
      try {
        if (list[i](data, rinfo) === true) consumed = true;
      } catch {
        // A throw here would escape into the socket's event handler and stop Node-RED.
      }
    }
    return consumed;
  }
}
