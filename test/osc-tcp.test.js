'use strict';
// The osc-tcp config node in a Node-RED runtime over real TCP sockets on 127.0.0.1: its endpoint as users see
// it (register, state, send, release), client reconnection with backoff, server with several clients and
// maxClients, and closing that frees the port.
const assert = require('node:assert/strict');
const net = require('node:net');
const { once } = require('node:events');
const codec = require('../dist/osc/codec');
const { slipEncode, lengthPrefixEncode, SlipDecoder, LengthPrefixDecoder } = require('../dist/osc/framing');
const tcpEndpoint = require('../dist/transport/tcp-endpoint');
const oscTcp = require('../dist/nodes/osc-tcp');
const { helper } = require('./helpers/nodes');
const { freeTcpPort, listeningPort } = require('./helpers/net');

const P1 = codec.encodePacket({ address: '/cue/1/go', args: [] });
const P2 = codec.encodePacket({ address: '/x', args: [1, 'two'] });

/** A user of the endpoint recording what it hears; `state(pred)` resolves on the first state matching pred. */
function recordingUser() {
  const packets = [];
  const errors = [];
  const waiters = [];
  const user = {
    packets,
    errors,
    onMessage(data, rinfo) {
      packets.push({ data: Buffer.from(data), rinfo });
      wake();
    },
    onStateChange(_ep) {
      wake();
    },
    onStreamError(err, remote) {
      errors.push({ err, remote });
      wake();
    },
    until(pred) {
      return new Promise((resolve) => {
        const w = { pred, resolve };
        waiters.push(w);
        wake();
      });
    },
  };
  function wake() {
    for (const w of [...waiters]) {
      const v = w.pred(user);
      if (v) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(v);
      }
    }
  }
  return user;
}

function register(node, user) {
  const h = node.register(user);
  user.endpoint = h.endpoint;
  return h;
}

const opened = (u) => u.endpoint && u.endpoint.state === 'open' && u.endpoint;
const failed = (u) => u.endpoint.state === 'failed' && u.endpoint;

/** The server most tests load: 127.0.0.1, a port the system picks, SLIP. */
const SERVER = { mode: 'server', localAddress: '127.0.0.1', localPort: 0, framing: 'slip' };

function sendVia(handle, bytes, port = 0, host = '') {
  return new Promise((resolve, reject) => handle.send(bytes, port, host, (e) => (e ? reject(e) : resolve())));
}

async function rawClient(port, host = '127.0.0.1') {
  const sock = net.connect(port, host);
  sock.on('error', () => {});
  await once(sock, 'connect');
  sock.setNoDelay(true);
  const chunks = [];
  sock.on('data', (d) => chunks.push(d));
  return { sock, localPort: sock.localPort, received: () => Buffer.concat(chunks) };
}

async function until(pred) {
  while (!pred()) await new Promise((r) => setImmediate(r));
}

describe('osc-tcp config node', function () {
  const cleanups = [];
  afterEach(async () => {
    await helper.unload();
    while (cleanups.length) await cleanups.pop()();
  });

  /** Loads one osc-tcp node `t1` with `config` and registers a recording user on it, released after the test. */
  async function loadAndRegister(config) {
    await helper.load(oscTcp, [{ id: 't1', type: 'osc-tcp', ...config }]);
    const u = recordingUser();
    const h = register(helper.getNode('t1'), u);
    cleanups.push(() => h.release());
    return { u, h };
  }

  it('reads its saved properties, strings included, and tells client from server', () => {
    assert.deepEqual(
      tcpEndpoint.tcpOptionsFromConfig({
        mode: 'server',
        localAddress: ' 127.0.0.1 ',
        localPort: '9000',
        framing: 'auto',
        maxClients: '3',
      }),
      {
        mode: 'server',
        host: '',
        port: 0,
        localAddress: '127.0.0.1',
        localPort: 9000,
        framing: 'auto',
        maxClients: 3,
        allow: '',
      },
    );
    assert.equal(tcpEndpoint.tcpOptionsFromConfig({ mode: 'server', allow: '10.0.0.0/8' }).allow, '10.0.0.0/8');
    const c = tcpEndpoint.tcpOptionsFromConfig({ host: 'qlab.local', port: '53000', framing: 'auto' });
    assert.equal(c.mode, 'client');
    assert.equal(c.framing, 'slip', "a client cannot detect: 'auto' falls back to SLIP");
    assert.equal(c.port, 53000);
    assert.equal(
      tcpEndpoint.tcpOptionsFromConfig({ port: 'abc' }).port !== tcpEndpoint.tcpOptionsFromConfig({ port: 'abc' }).port,
      true,
      'bad text stays NaN',
    );
  });

  describe('server mode', () => {
    it('listens when the first user registers, hears several clients (SLIP and size prefix under auto), answers one or all', async () => {
      await helper.load(oscTcp, [
        {
          id: 't1',
          type: 'osc-tcp',
          mode: 'server',
          localAddress: '127.0.0.1',
          localPort: 0,
          framing: 'auto',
          maxClients: 8,
        },
      ]);
      const node = helper.getNode('t1');
      assert.equal(node.transport, 'tcp');
      assert.equal(tcpEndpoint.openTcpEndpointCount(), 0, 'nothing opens before a user');
      const u = recordingUser();
      const h = register(node, u);
      const ep = await u.until(opened);
      assert.match(ep.label, /^127\.0\.0\.1:\d+$/);
      assert.equal(ep.status().text, `listening on tcp ${ep.label} · 0 clients`);
      const port = ep.address.port;
      const a = await rawClient(port);
      const b = await rawClient(port);
      await u.until(() => ep.clients().length === 2);
      assert.equal(ep.status().text, `listening on tcp ${ep.label} · 2 clients`);
      assert.equal(ep.status().counters.peers, 2);
      assert.deepEqual(ep.status().params, { label: ep.label, clients: 2 });
      // a speaks SLIP in 1-byte chunks, b the size prefix.
      for (const byte of slipEncode(P1)) await new Promise((r) => a.sock.write(Buffer.from([byte]), r));
      b.sock.write(lengthPrefixEncode(P2));
      await u.until(() => u.packets.length === 2);
      const byPort = Object.fromEntries(u.packets.map((p) => [p.rinfo.port, p]));
      assert.deepEqual(byPort[a.localPort].data, P1);
      assert.deepEqual(byPort[b.localPort].data, P2);
      assert.deepEqual(
        [byPort[a.localPort].rinfo.address, byPort[a.localPort].rinfo.family, byPort[a.localPort].rinfo.size],
        ['127.0.0.1', 'IPv4', P1.length],
      );

      // One client named by address and port: replies in the framing it spoke.
      await sendVia(h, P2, a.localPort, '127.0.0.1');
      await until(() => a.received().length >= slipEncode(P2).length);
      assert.deepEqual(new SlipDecoder().push(a.received()), [P2]);
      // Neither: every client.
      await sendVia(h, P1);
      await until(() => new LengthPrefixDecoder().push(b.received()).length === 1);
      assert.deepEqual(new LengthPrefixDecoder().push(b.received()), [P1]);
      await until(() => new SlipDecoder().push(a.received()).length === 2);
      // Half a destination is refused rather than silently sent to everyone.
      await assert.rejects(sendVia(h, P1, 0, '127.0.0.1'), { code: 'EINVAL' });
      await assert.rejects(sendVia(h, P1, 1, '127.0.0.1'), { code: 'ENOTCONN' });
      a.sock.destroy();
      b.sock.destroy();
      await u.until(() => ep.clients().length === 0);
      await assert.rejects(sendVia(h, P1), { code: 'ENOTCONN', message: /no client is connected/ });
      await h.release();
      assert.equal(ep.state, 'closed');
      assert.equal(tcpEndpoint.openTcpEndpointCount(), 0);
    });

    it('refuses clients beyond maxClients and tells the users', async () => {
      const { u } = await loadAndRegister({ ...SERVER, maxClients: 1 });
      const ep = await u.until(opened);
      const a = await rawClient(ep.address.port);
      await u.until(() => ep.clients().length === 1);
      const b = await rawClient(ep.address.port);
      await once(b.sock, 'close');
      await u.until(() => u.errors.length === 1);
      assert.equal(u.errors[0].err.code, 'LIMIT_EXCEEDED');
      assert.equal(u.errors[0].remote.port, b.localPort);
      assert.equal(ep.clients().length, 1);
      a.sock.destroy();
    });

    it('closes a client not on the allow-list at once, counts it, logs it once, and never delivers its packets', async () => {
      await helper.load(oscTcp, [{ id: 't1', type: 'osc-tcp', ...SERVER, allow: '127.0.0.2/32 # another host' }]);
      const node = helper.getNode('t1');
      const warnings = [];
      node.warn = (m) => warnings.push(String(m));
      const u = recordingUser();
      let stats = 0;
      u.onStats = () => stats++;
      const h = register(node, u);
      cleanups.push(() => h.release());
      const ep = await u.until(opened);
      for (let i = 0; i < 3; i++) {
        const c = net.connect(ep.address.port, '127.0.0.1');
        c.on('error', () => {});
        // Written as soon as the connection is made: the server must close it before decoding a byte.
        c.on('connect', () => c.write(slipEncode(P1)));
        await once(c, 'close');
      }
      await u.until(() => ep.rejected === 3);
      assert.equal(stats, 3, 'each refusal reaches the users, for the status count');
      assert.equal(ep.clients().length, 0);
      assert.deepEqual(u.packets, [], 'a refused client delivers nothing');
      assert.deepEqual(u.errors, []);
      assert.match(ep.lastRejected, /^127\.0\.0\.1:\d+$/);
      assert.equal(warnings.length, 1, `one line per address a minute: ${warnings.join(' | ')}`);
      assert.match(warnings[0], /refused a TCP connection from 127\.0\.0\.1:\d+: not in the allow-list/);
    });

    it('accepts a client inside an allowed range', async () => {
      const { u } = await loadAndRegister({ ...SERVER, allow: '10.0.0.0/8, 127.0.0.0/8' });
      const ep = await u.until(opened);
      const c = await rawClient(ep.address.port);
      c.sock.write(slipEncode(P1));
      await u.until(() => u.packets.length === 1);
      assert.deepEqual(u.packets[0].data, P1);
      assert.equal(ep.rejected, 0);
      c.sock.destroy();
    });

    it('fails with the bad entry named when the allow-list does not parse, and opens no port', async () => {
      const { u } = await loadAndRegister({ ...SERVER, allow: '127.0.0.1, desk.local' });
      const ep = await u.until(failed);
      assert.equal(ep.error.code, 'EINVAL');
      assert.equal(ep.error.short, 'bad allow-list');
      assert.match(ep.error.message, /allow-list entry 2 "desk\.local"/);
      assert.equal(ep.address, undefined);
    });

    it('reports a framing error on a stream to its users, and keeps serving the other clients', async () => {
      const { u } = await loadAndRegister({ ...SERVER, framing: 'length-prefix' });
      const ep = await u.until(opened);
      const bad = await rawClient(ep.address.port);
      const good = await rawClient(ep.address.port);
      bad.sock.write(Buffer.from('7fffffff', 'hex'));
      await once(bad.sock, 'close');
      await u.until(() => u.errors.length === 1);
      assert.equal(u.errors[0].err.code, 'LIMIT_EXCEEDED');
      good.sock.write(lengthPrefixEncode(P1));
      await u.until(() => u.packets.length === 1);
      assert.deepEqual(u.packets[0].data, P1);
      good.sock.destroy();
    });

    it('shows a busy port as a failed endpoint with a short reason, and retries when a user joins again', async () => {
      const blocker = net.createServer();
      blocker.listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      const port = listeningPort(blocker);
      await helper.load(oscTcp, [{ id: 't1', type: 'osc-tcp', ...SERVER, localPort: port }]);
      const node = helper.getNode('t1');
      const u = recordingUser();
      const h = register(node, u);
      const ep = await u.until(failed);
      assert.equal(ep.error.code, 'EADDRINUSE');
      assert.equal(ep.status().text, `port ${port} in use`);
      await new Promise((r) => blocker.close(r));
      const u2 = recordingUser();
      const h2 = register(node, u2);
      assert.equal(h2.endpoint, ep, 'the same endpoint, tried again');
      await u2.until(opened);
      assert.equal(ep.address.port, port);
      await Promise.all([h.release(), h2.release()]);
    });

    it('fails with a reason when no port is set, instead of listening on a random one (0 still picks a free port)', async () => {
      const { u } = await loadAndRegister({ ...SERVER, localPort: '' });
      const ep = await u.until(failed);
      assert.equal(ep.error.code, 'EINVAL');
      assert.equal(ep.error.short, 'no port');
      assert.match(ep.error.message, /needs a port to listen on: set Port/);
      assert.equal(ep.status().text, 'no port');
      assert.equal(ep.address, undefined, 'listening nowhere');
      assert.equal(tcpEndpoint.tcpOptionsFromConfig({ mode: 'server', localPort: ' ' }).localPort, undefined);
      assert.equal(tcpEndpoint.tcpOptionsFromConfig({ mode: 'server', localPort: '0' }).localPort, 0);
    });

    it('closes with the last user, and a redeploy binds the same port again', async () => {
      const port = await freeTcpPort();
      const flow = [{ id: 't1', type: 'osc-tcp', ...SERVER, localPort: port }];
      for (let round = 0; round < 5; round++) {
        await helper.load(oscTcp, flow);
        const u = recordingUser();
        register(helper.getNode('t1'), u);
        const ep = await u.until(opened);
        const c = await rawClient(port);
        const closed = once(c.sock, 'close');
        await u.until(() => ep.clients().length === 1);
        // No release: the config node's close (unload) must close the endpoint and its connections itself.
        await helper.unload();
        assert.equal(ep.state, 'closed');
        await closed;
      }
      assert.equal(tcpEndpoint.openTcpEndpointCount(), 0);
    });
  });

  describe('client mode', () => {
    it('connects for its first user, sends and receives with its framing, and shows the connection', async () => {
      const server = net.createServer();
      const conns = [];
      server.on('connection', (s) => conns.push(s));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      cleanups.push(() => new Promise((r) => server.close(r)));
      const port = listeningPort(server);
      await helper.load(oscTcp, [
        { id: 't1', type: 'osc-tcp', mode: 'client', host: '127.0.0.1', port: String(port), framing: 'length-prefix' },
      ]);
      const u = recordingUser();
      const h = register(helper.getNode('t1'), u);
      const ep = await u.until(opened);
      assert.equal(ep.status().text, `connected to 127.0.0.1:${port}`);
      assert.equal(ep.label, `127.0.0.1:${port}`);
      await until(() => conns.length === 1);
      const got = [];
      conns[0].on('data', (d) => got.push(d));
      await sendVia(h, P1, 1234, 'ignored.example');
      await until(() => Buffer.concat(got).length === P1.length + 4);
      assert.deepEqual(Buffer.concat(got), lengthPrefixEncode(P1));
      // The server answers in 1-byte chunks: reassembled.
      for (const byte of lengthPrefixEncode(P2)) await new Promise((r) => conns[0].write(Buffer.from([byte]), r));
      await u.until(() => u.packets.length === 1);
      assert.deepEqual(u.packets[0].data, P2);
      assert.deepEqual([u.packets[0].rinfo.address, u.packets[0].rinfo.port], ['127.0.0.1', port]);
      const closed = once(conns[0], 'close');
      await h.release();
      await closed;
    });

    it('reports a refused connection once, retries with backoff and connects when the server appears', async () => {
      const port = await freeTcpPort();
      await helper.load(oscTcp, [
        { id: 't1', type: 'osc-tcp', mode: 'client', host: '127.0.0.1', port, framing: 'slip' },
      ]);
      const u = recordingUser();
      const states = [];
      const onState = u.onStateChange;
      u.onStateChange = (ep) => {
        states.push(`${ep.state}${ep.error ? ':' + ep.error.code : ''}`);
        onState(ep);
      };
      const h = register(helper.getNode('t1'), u);
      cleanups.push(() => h.release());
      const ep = await u.until(failed);
      assert.equal(ep.error.code, 'ECONNREFUSED');
      assert.match(ep.status().text, /^refused · retrying 127\.0\.0\.1:\d+$/);
      assert.equal(ep.status().retrying, true, 'a lost connection is retried by itself: a warning, not an error');
      assert.deepEqual([ep.status().key, ep.status().params.reason], ['retrying', 'refused']);
      assert.deepEqual([ep.error.key, ep.error.params.port], ['ECONNREFUSED.tcp', port]);
      assert.match(ep.error.message, /retrying in \d/);
      await assert.rejects(sendVia(h, P1), { code: 'ENOTCONN', message: /not connected/ });
      // Let two more attempts of the backoff fail (after 0.25 s, then 0.5 s), then start the server.
      let attempts = 0;
      await new Promise((resolve) => ep.client.on('connecting', () => ++attempts === 2 && resolve()));
      await new Promise((resolve) => ep.client.once('disconnected', resolve));
      const server = net.createServer();
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      cleanups.push(() => new Promise((r) => server.close(r)));
      const conn = once(server, 'connection');
      await u.until(opened);
      const [sock] = await conn;
      assert.deepEqual(
        states.filter((s) => s !== 'opening'),
        ['failed:ECONNREFUSED', 'open'],
        'each repeated refusal is not reported again',
      );
      // Lost again: reported, then reconnects by itself.
      sock.destroy();
      await u.until((x) => x.endpoint.state === 'failed');
      assert.match(ep.status().text, /retrying/);
      await u.until(opened);
    });

    it('a client without a host fails with a reason instead of throwing', async () => {
      const { u } = await loadAndRegister({ mode: 'client', host: '', port: '' });
      const ep = await u.until(failed);
      assert.equal(ep.error.short, 'no host');
      // Nothing to retry until the configuration changes: the status does not claim otherwise.
      assert.deepEqual([ep.status().text, ep.status().retrying], ['no host', false]);
    });
  });
});
