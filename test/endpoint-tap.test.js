'use strict';
// Taps and the endpoint watcher: the one place the monitor and OSCQuery see traffic, over real sockets.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const net = require('node:net');
const { watchEndpoints } = require('../dist/transport/endpoint');
const { udpEndpointHolder } = require('../dist/transport/udp');
const { tcpEndpointHolder } = require('../dist/transport/tcp-endpoint');
const { encodeFrame } = require('../dist/osc/framing');

/** Registers a user that resolves once the endpoint is open. */
function openHandle(holder, user = {}) {
  return new Promise((resolve, reject) => {
    const handle = holder.register({
      ...user,
      onStateChange(e) {
        if (e.state === 'open') resolve(handle);
        else if (e.state === 'failed') reject(e.error);
      },
    });
  });
}

function waitFor(list, n) {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (list.length >= n) {
        clearInterval(t);
        resolve(list);
      }
    }, 1);
  });
}

describe('endpoint taps', () => {
  it('a UDP endpoint shows each packet received and sent, with the peer, and none after untap', async () => {
    const holder = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0 });
    const received = [];
    const handle = await openHandle(holder, { onMessage: (d) => received.push(d) });
    const ep = handle.endpoint;
    const seen = [];
    const untap = ep.tap((dir, data, peer, endpoint) => seen.push({ dir, data: Buffer.from(data), peer, endpoint }));
    const peer = dgram.createSocket('udp4');
    await new Promise((r) => peer.bind(0, '127.0.0.1', () => r(undefined)));
    const back = new Promise((r) => peer.once('message', r));
    peer.send(Buffer.from('/in\0,\0\0\0'), ep.address.port, '127.0.0.1');
    await waitFor(received, 1);
    await new Promise((r, j) =>
      handle.send(Buffer.from('/out\0\0\0\0,\0\0\0'), peer.address().port, '127.0.0.1', (e) => (e ? j(e) : r())),
    );
    await back;
    assert.equal(seen.length, 2);
    assert.deepEqual(
      seen.map((s) => [s.dir, s.data.toString('latin1', 0, 4), s.peer.address, s.peer.port]),
      [
        ['in', '/in\0', '127.0.0.1', peer.address().port],
        ['out', '/out', '127.0.0.1', peer.address().port],
      ],
    );
    assert.equal(seen[0].endpoint, ep);
    untap();
    peer.send(Buffer.from('/in\0,\0\0\0'), ep.address.port, '127.0.0.1');
    await waitFor(received, 2);
    assert.equal(seen.length, 2);
    peer.close();
    await handle.release();
  });

  it('a TCP server shows a client packet and its reply, and a broadcast with no peer', async () => {
    const holder = tcpEndpointHolder({ mode: 'server', localAddress: '127.0.0.1', localPort: 0, framing: 'slip' });
    const received = [];
    const handle = await openHandle(holder, { onMessage: (d, from) => received.push(from) });
    const ep = handle.endpoint;
    const seen = [];
    ep.tap((dir, data, peer) => seen.push([dir, peer.address, peer.port]));
    const sock = net.connect(ep.address.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(encodeFrame('slip', Buffer.from('/in\0,\0\0\0')));
    await waitFor(received, 1);
    const from = received[0];
    await new Promise((r, j) =>
      handle.send(Buffer.from('/a\0\0,\0\0\0'), from.port, from.address, (e) => (e ? j(e) : r())),
    );
    await new Promise((r, j) => handle.send(Buffer.from('/b\0\0,\0\0\0'), 0, '', (e) => (e ? j(e) : r())));
    assert.deepEqual(seen, [
      ['in', '127.0.0.1', sock.localPort],
      ['out', '127.0.0.1', sock.localPort],
      ['out', '', 0],
    ]);
    sock.destroy();
    await handle.release();
  });

  it('watchEndpoints hears endpoints that exist, are created and close', async () => {
    const early = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0 });
    const h1 = early.register({});
    const events = [];
    const stop = watchEndpoints((ep, event) => events.push([ep, event]));
    assert.deepEqual(events, [[h1.endpoint, 'created']]);
    await Promise.resolve();
    const later = udpEndpointHolder({ localAddress: '127.0.0.1', localPort: 0 });
    const h2 = later.register({});
    await Promise.resolve();
    assert.deepEqual(events.slice(1), [[h2.endpoint, 'created']]);
    await h1.release();
    assert.deepEqual(events.slice(2), [[h1.endpoint, 'closed']]);
    stop();
    await h2.release();
    assert.equal(events.length, 3);
  });
});
