'use strict';
// The endpoints' first look at incoming packets (EndpointBase's interceptors, transport/endpoint.ts), over real sockets: an interceptor sees a
// packet before the receivers, may keep it from them, and costs nothing once cleared or released.
const assert = require('node:assert/strict');
const net = require('node:net');
const { once } = require('node:events');
const udp = require('../dist/transport/udp');
const { tcpEndpointHolder, openTcpEndpointCount } = require('../dist/transport/tcp-endpoint');
const { slipEncode } = require('../dist/osc/framing');
const { udpPeer, sendTo } = require('./helpers/net');

/** Resolves once the endpoint is open. */
function opened(handle) {
  const ep = handle.endpoint;
  if (ep.state === 'open') return Promise.resolve(ep);
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      if (ep.state === 'open') {
        clearInterval(t);
        resolve(ep);
      } else if (ep.state === 'failed') {
        clearInterval(t);
        reject(ep.error);
      }
    }, 2);
  });
}

/**
 * A receiver that records what reaches it, and lets a test await the next packet.
 * @param {string} name
 * @param {string[]} order
 */
function receiver(name, order) {
  /** @type {import('../dist/transport/endpoint').EndpointUser & { got: string[], next?: () => Promise<unknown> }} */
  const r = { got: [] };
  let wake;
  r.onMessage = (data) => {
    order.push(name);
    r.got.push(data.toString());
    if (wake) wake();
  };
  r.next = () => new Promise((res) => (wake = res));
  return r;
}

describe('endpoint interceptors (a first look at each packet)', () => {
  describe('UDP', () => {
    let peer;
    beforeEach(async () => {
      peer = await udpPeer();
    });
    afterEach(async () => {
      await new Promise((r) => peer.close(r));
      assert.equal(udp.openEndpointCount(), 0);
    });

    it('sees each packet before the receivers, keeps a consumed one from them, and passes the rest on', async () => {
      const order = [];
      const inUser = receiver('receiver', order);
      const holder = udp.udpEndpointHolder({ localAddress: '127.0.0.1' });
      const a = holder.register(inUser);
      const b = holder.register({});
      const ep = await opened(a);
      const seen = [];
      b.intercept((data, rinfo) => {
        order.push('interceptor');
        seen.push({ text: data.toString(), port: rinfo.port });
        return data.toString() === 'reply';
      });
      assert.equal(ep.interceptorCount, 1);

      let next = inUser.next();
      await sendTo(peer, Buffer.from('other'), ep.address.port);
      await next;
      await sendTo(peer, Buffer.from('reply'), ep.address.port);
      next = inUser.next();
      await sendTo(peer, Buffer.from('after'), ep.address.port);
      await next;
      assert.deepEqual(inUser.got, ['other', 'after'], 'the consumed packet never reached the receiver');
      assert.deepEqual(
        seen.map((s) => s.text),
        ['other', 'reply', 'after'],
      );
      assert.equal(seen[0].port, peer.address().port, 'the interceptor is told the sender');
      assert.deepEqual(order, ['interceptor', 'receiver', 'interceptor', 'interceptor', 'receiver']);

      // Cleared: the receivers get everything again, and the interceptor nothing.
      b.intercept(undefined);
      assert.equal(ep.interceptorCount, 0);
      next = inUser.next();
      await sendTo(peer, Buffer.from('reply'), ep.address.port);
      await next;
      assert.deepEqual(inUser.got, ['other', 'after', 'reply']);
      assert.equal(seen.length, 3);
      await Promise.all([a.release(), b.release()]);
    });

    it("survives an interceptor that throws, lets every interceptor look, and forgets a released user's", async () => {
      const order = [];
      const inUser = receiver('receiver', order);
      const holder = udp.udpEndpointHolder({ localAddress: '127.0.0.1' });
      const a = holder.register(inUser);
      const b = holder.register({});
      const c = holder.register({});
      const ep = await opened(a);
      b.intercept(() => {
        order.push('b');
        throw new Error('boom');
      });
      c.intercept(() => {
        order.push('c');
        return false;
      });
      let next = inUser.next();
      await sendTo(peer, Buffer.from('x'), ep.address.port);
      await next;
      assert.deepEqual(order, ['b', 'c', 'receiver']);

      await c.release();
      assert.equal(ep.interceptorCount, 1, 'released with its interceptor');
      c.intercept(() => true);
      assert.equal(ep.interceptorCount, 1, 'a released handle cannot set one again');
      await b.release();
      assert.equal(ep.interceptorCount, 0);
      next = inUser.next();
      await sendTo(peer, Buffer.from('y'), ep.address.port);
      await next;
      assert.deepEqual(order, ['b', 'c', 'receiver', 'receiver']);
      await a.release();
    });
  });

  describe('TCP', () => {
    it('sees each packet of a connection first and can keep it from the receivers', async () => {
      const owner = tcpEndpointHolder({ mode: 'server', localAddress: '127.0.0.1', localPort: 0, framing: 'slip' });
      const order = [];
      const inUser = receiver('receiver', order);
      const a = owner.register(inUser);
      const b = owner.register({});
      const ep = await opened(a);
      const seen = [];
      b.intercept((data, rinfo) => {
        order.push('interceptor');
        seen.push(rinfo);
        return data.toString() === 'reply';
      });
      const sock = net.createConnection({ host: '127.0.0.1', port: ep.address.port });
      await once(sock, 'connect');
      const next = inUser.next();
      sock.write(Buffer.concat([slipEncode(Buffer.from('reply')), slipEncode(Buffer.from('other'))]));
      await next;
      assert.deepEqual(inUser.got, ['other']);
      assert.deepEqual(order, ['interceptor', 'interceptor', 'receiver']);
      assert.equal(seen[0].port, sock.localPort, 'the interceptor is told which connection it came from');
      assert.equal(ep.interceptorCount, 1);
      await b.release();
      assert.equal(ep.interceptorCount, 0);
      sock.destroy();
      await a.release();
      assert.equal(openTcpEndpointCount(), 0);
    });
  });
});
