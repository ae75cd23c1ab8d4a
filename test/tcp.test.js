'use strict';
// The TCP transport over real sockets on 127.0.0.1 with free ports: framing both ways, several clients,
// per-connection decoders and their errors, limits, reconnection with backoff, and closing.
const assert = require('node:assert/strict');
const net = require('node:net');
const { once } = require('node:events');
const { OscTcpServer, OscTcpClient } = require('../dist/transport/tcp');
const { slipEncode, lengthPrefixEncode } = require('../dist/osc/framing');
const { freeTcpPort, listeningPort, hex } = require('./helpers/net');

const P1 = hex('2f612f62000000002c69667300000000000000014020000068690000'); // /a/b ,ifs 1 2.5 "hi"
const P2 = hex('2f78000000002c0000'.padEnd(24, '0'));
const P3 = hex('2f7300002c62000000000002c0db0000'); // carries END and ESC bytes

/** Collects events of one name into an array, and lets a test await the n-th. */
function recorder(emitter, event) {
  const items = [];
  const waiters = [];
  emitter.on(event, (...args) => {
    items.push(args);
    for (const w of [...waiters]) {
      if (items.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(items);
      }
    }
  });
  return {
    items,
    wait(n) {
      if (items.length >= n) return Promise.resolve(items);
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

/** A raw client that records what it receives; for driving the server byte by byte. */
async function rawClient(port) {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  await once(sock, 'connect');
  const localPort = sock.localPort; // a destroyed socket forgets it
  const chunks = [];
  sock.on('data', (d) => chunks.push(d));
  return { sock, localPort, received: () => Buffer.concat(chunks), closed: once(sock, 'close') };
}

async function until(pred) {
  // Polls on the event loop (setImmediate), never a timed sleep.
  while (!pred()) await new Promise((r) => setImmediate(r));
}

describe('TCP transport', function () {
  const cleanups = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()();
  });

  async function server(options = {}) {
    const s = new OscTcpServer({ host: '127.0.0.1', port: 0, ...options });
    cleanups.push(() => s.close());
    const local = await s.listen();
    return { s, port: local.port };
  }

  function client(options) {
    const c = new OscTcpClient({ host: '127.0.0.1', reconnectMinMs: 20, reconnectMaxMs: 80, ...options });
    cleanups.push(() => c.close());
    return c;
  }

  describe('server', () => {
    it('listens on a free port when asked for port 0, and reports it', async () => {
      const { s, port } = await server();
      assert.ok(port > 0);
      assert.deepEqual(s.address(), { address: '127.0.0.1', port });
    });

    for (const framing of ['slip', 'length-prefix', 'auto']) {
      it(`delivers packets split into single bytes with the sender's address and port (${framing})`, async () => {
        const { s, port } = await server({ framing });
        const packets = recorder(s, 'packet');
        const raw = await rawClient(port);
        const enc = framing === 'length-prefix' ? lengthPrefixEncode : slipEncode;
        const stream = Buffer.concat([enc(P1), enc(P3)]);
        for (const b of stream) {
          raw.sock.write(Buffer.from([b]));
          await new Promise((r) => setImmediate(r)); // let the bytes go out as separate segments where they can
        }
        await packets.wait(2);
        assert.deepEqual(
          packets.items.map(([p]) => p.toString('hex')),
          [P1.toString('hex'), P3.toString('hex')],
        );
        assert.deepEqual(packets.items[0][1], { address: '127.0.0.1', port: raw.localPort });
        raw.sock.destroy();
      });
    }

    it('serves several clients at once, sends to one by address and port, and broadcasts to all', async () => {
      const { s, port } = await server({ framing: 'slip' });
      const packets = recorder(s, 'packet');
      const raws = [await rawClient(port), await rawClient(port), await rawClient(port)];
      raws.forEach((r, i) => r.sock.write(slipEncode(Buffer.from([0x2f, 0x30 + i, 0, 0]))));
      await packets.wait(3);
      const byPort = new Map(packets.items.map(([p, from]) => [from.port, p[1] - 0x30]));
      raws.forEach((r, i) => assert.equal(byPort.get(r.localPort), i));
      assert.equal(s.clients().length, 3);

      s.send(P1, { address: '127.0.0.1', port: raws[1].localPort });
      assert.equal(s.broadcast(P2), 3);
      const want1 = Buffer.concat([slipEncode(P1), slipEncode(P2)]);
      await until(() => raws.every((r, i) => r.received().length >= (i === 1 ? want1.length : slipEncode(P2).length)));
      assert.deepEqual(raws[1].received(), want1);
      assert.deepEqual(raws[0].received(), slipEncode(P2));
      assert.deepEqual(raws[2].received(), slipEncode(P2));
      raws.forEach((r) => r.sock.destroy());
    });

    it("under 'auto' replies to each client in the framing it uses", async () => {
      const { s, port } = await server({ framing: 'auto' });
      const packets = recorder(s, 'packet');
      const slip = await rawClient(port);
      const lp = await rawClient(port);
      slip.sock.write(slipEncode(P2));
      lp.sock.write(lengthPrefixEncode(P2));
      await packets.wait(2);
      for (const [, from] of packets.items) s.send(P3, from);
      await until(() => slip.received().length >= slipEncode(P3).length && lp.received().length >= P3.length + 4);
      assert.deepEqual(slip.received(), slipEncode(P3));
      assert.deepEqual(lp.received(), lengthPrefixEncode(P3));
      slip.sock.destroy();
      lp.sock.destroy();
    });

    it('refuses to send to a client that is not connected', async () => {
      const { s } = await server();
      assert.throws(() => s.send(P1, { address: '127.0.0.1', port: 1 }), { code: 'ENOTCONN' });
    });

    it('closes only the connection whose stream is broken, reporting it with the remote address', async () => {
      const { s, port } = await server({ framing: 'length-prefix', maxFrameSize: 1024 });
      const errors = recorder(s, 'error');
      const disconnects = recorder(s, 'disconnect');
      const packets = recorder(s, 'packet');
      const good = await rawClient(port);
      const bad = await rawClient(port);
      bad.sock.write(Buffer.concat([lengthPrefixEncode(P1), hex('00100000')])); // then claims 1 MiB
      await bad.closed;
      const [[err, from]] = await errors.wait(1);
      assert.equal(err.code, 'LIMIT_EXCEEDED');
      assert.deepEqual(from, { address: '127.0.0.1', port: bad.localPort });
      const [[gone, why]] = await disconnects.wait(1);
      assert.equal(gone.port, bad.localPort);
      assert.equal(why.code, 'LIMIT_EXCEEDED');
      // The packet before the bad size was delivered; the other client is unaffected.
      good.sock.write(lengthPrefixEncode(P2));
      await packets.wait(2);
      assert.deepEqual(
        packets.items.map(([p]) => p.toString('hex')),
        [P1.toString('hex'), P2.toString('hex')],
      );
      assert.equal(s.clients().length, 1);
      good.sock.destroy();
    });

    it('survives a broken stream with no error listener attached', async () => {
      const { s, port } = await server({ framing: 'length-prefix' });
      const bad = await rawClient(port);
      bad.sock.write(hex('ffffffff'));
      await bad.closed;
      const packets = recorder(s, 'packet');
      const good = await rawClient(port);
      good.sock.write(lengthPrefixEncode(P1));
      await packets.wait(1);
      good.sock.destroy();
    });

    it('keeps a SLIP connection open after a bad escape, reporting the dropped frame', async () => {
      const { s, port } = await server({ framing: 'slip' });
      const errors = recorder(s, 'error');
      const packets = recorder(s, 'packet');
      const raw = await rawClient(port);
      raw.sock.write(Buffer.concat([hex('c02f61db00c0'), slipEncode(P1)]));
      await packets.wait(1);
      assert.equal(errors.items[0][0].code, 'BAD_FRAME');
      assert.equal(errors.items[0][1].port, raw.localPort);
      assert.equal(s.clients().length, 1);
      raw.sock.destroy();
    });

    it('reports one bad frame of a burst per second and keeps a connection with up to 100 of them', async () => {
      const { s, port } = await server({ framing: 'slip' });
      const errors = recorder(s, 'error');
      const packets = recorder(s, 'packet');
      const a = await rawClient(port);
      const bad = Buffer.concat(Array(100).fill(hex('c0aadb01c0')));
      a.sock.write(Buffer.concat([bad, slipEncode(P1)]));
      await packets.wait(1);
      // One report, or two if the burst straddled a second; never one per frame.
      assert.ok(
        errors.items.length >= 1 && errors.items.length <= 2,
        `${errors.items.length} errors for 100 bad frames`,
      );
      assert.equal(errors.items[0][0].code, 'BAD_FRAME');
      assert.equal(s.clients().length, 1);
      a.sock.destroy();
    });

    it('closes a connection sending more than 100 bad frames in a second, with a bounded number of reports', async () => {
      const { s, port } = await server({ framing: 'slip' });
      const errors = recorder(s, 'error');
      const disconnects = recorder(s, 'disconnect');
      const packets = recorder(s, 'packet');
      const a = await rawClient(port);
      // 1 MiB of bad escapes, each ending a frame: about 350,000 bad frames, in as few chunks as the socket gives.
      const junk = Buffer.concat(Array(Math.ceil(1048576 / 3)).fill(hex('db00c0')));
      // The server resets a connection closed with unread data: wait for 'close', which follows either way.
      const closed = new Promise((resolve) => a.sock.once('close', resolve));
      a.sock.write(junk);
      await closed;
      const [[, why]] = await disconnects.wait(1);
      assert.equal(why.code, 'LIMIT_EXCEEDED');
      assert.match(why.message, /more than 100 bad frames in one second/);
      const codes = errors.items.map(([e]) => e.code);
      assert.ok(codes.length <= 3, `${codes.length} reports: ${codes.join(', ')}`);
      assert.equal(codes[codes.length - 1], 'LIMIT_EXCEEDED');
      assert.equal(packets.items.length, 0);
      assert.equal(s.clients().length, 0);
      // The server is still up for the next client.
      const b = await rawClient(port);
      b.sock.write(slipEncode(P2));
      await packets.wait(1);
      b.sock.destroy();
    });

    it('refuses connections beyond maxClients and reports them', async () => {
      const { s, port } = await server({ maxClients: 2 });
      const errors = recorder(s, 'error');
      const a = await rawClient(port);
      const b = await rawClient(port);
      await until(() => s.clients().length === 2);
      const c = await rawClient(port);
      await c.closed;
      const [[err, from]] = await errors.wait(1);
      assert.equal(err.code, 'LIMIT_EXCEEDED');
      assert.equal(from.port, c.localPort);
      assert.equal(s.clients().length, 2);
      a.sock.destroy();
      b.sock.destroy();
    });

    it('closes a client not on its allow-list at once and never emits its packets; a client in range is heard', async () => {
      const { s, port } = await server({ allow: '127.0.0.2/32' });
      const refused = recorder(s, 'refused');
      const packets = recorder(s, 'packet');
      const connections = recorder(s, 'connection');
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      c.on('connect', () => c.write(slipEncode(P1)));
      await once(c, 'close');
      const [[from]] = await refused.wait(1);
      assert.equal(from.address, '127.0.0.1');
      assert.equal(s.rejected, 1);
      assert.equal(packets.items.length, 0);
      assert.equal(connections.items.length, 0, 'a refused client is not a connection');
      assert.throws(() => new OscTcpServer({ allow: '127.0.0.1, 300.1.1.1' }), {
        name: 'AllowListError',
        message: /entry 2 "300\.1\.1\.1"/,
      });

      const { s: s2, port: port2 } = await server({ allow: ['127.0.0.0/8'] });
      const heard = recorder(s2, 'packet');
      const a = await rawClient(port2);
      a.sock.write(slipEncode(P1));
      const [[p]] = await heard.wait(1);
      assert.deepEqual(p, P1);
      assert.equal(s2.rejected, 0);
      a.sock.destroy();
    });

    it('close() resolves once every connection and the listener are closed', async () => {
      const s = new OscTcpServer({ host: '127.0.0.1' });
      const { port } = await s.listen();
      const a = await rawClient(port);
      // A peer that never closes its side: close() must still finish, destroying it after a grace period.
      const b = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      b.on('error', () => {});
      await once(b, 'connect');
      await until(() => s.clients().length === 2);
      let aClosed = false;
      a.closed.then(() => (aClosed = true));
      const disconnects = recorder(s, 'disconnect');
      await s.close();
      assert.equal(disconnects.items.length, 2, 'both connections closed before close() resolved');
      assert.equal(s.clients().length, 0);
      await a.closed;
      assert.ok(aClosed);
      b.destroy();
      const probe = net.connect(port, '127.0.0.1');
      const [err] = await once(probe, 'error');
      assert.equal(err.code, 'ECONNREFUSED');
    });

    it('rejects listen() on a busy port with a clear error, without crashing', async () => {
      const { port } = await server();
      const s2 = new OscTcpServer({ host: '127.0.0.1', port });
      await assert.rejects(
        s2.listen(),
        (/** @type {any} */ e) => e.code === 'EADDRINUSE' && e.short === `port ${port} in use`,
      );
      await s2.close();
    });
  });

  describe('client', () => {
    for (const framing of ['slip', 'length-prefix']) {
      it(`connects, sends framed packets and receives replies (${framing})`, async () => {
        const { s, port } = await server({ framing });
        const packets = recorder(s, 'packet');
        const c = client({ port, framing });
        const states = recorder(c, 'state');
        const replies = recorder(c, 'packet');
        assert.throws(() => c.send(P1), { code: 'ENOTCONN' });
        c.connect();
        await once(c, 'connected');
        assert.deepEqual(
          states.items.map(([st]) => st),
          ['connecting', 'connected'],
        );
        c.send(P1);
        c.send(P3);
        await packets.wait(2);
        assert.deepEqual(
          packets.items.map(([p]) => p.toString('hex')),
          [P1.toString('hex'), P3.toString('hex')],
        );
        s.send(P2, packets.items[0][1]);
        const [[reply, from]] = await replies.wait(1);
        assert.deepEqual(reply, P2);
        assert.deepEqual(from, { address: '127.0.0.1', port });
      });
    }

    it('reconnects with exponential backoff up to the cap, then connects when the server appears', async () => {
      const port = await freeTcpPort();
      const c = client({ port, reconnectMinMs: 10, reconnectMaxMs: 40 });
      const disconnects = recorder(c, 'disconnected');
      c.connect();
      await disconnects.wait(5);
      assert.deepEqual(
        disconnects.items.slice(0, 5).map(([d]) => d.retryInMs),
        [10, 20, 40, 40, 40],
      );
      assert.equal(disconnects.items[0][0].error.code, 'ECONNREFUSED');
      const s = new OscTcpServer({ host: '127.0.0.1', port });
      cleanups.push(() => s.close());
      await s.listen();
      await once(c, 'connected');
      const packets = recorder(s, 'packet');
      c.send(P1);
      await packets.wait(1);
    });

    it('notices a lost connection, refuses sends meanwhile, and reconnects', async () => {
      const { s, port } = await server();
      const c = client({ port });
      c.connect();
      await once(c, 'connected');
      // Drop the client from the server side.
      const lost = once(c, 'disconnected');
      await s.close();
      const [detail] = await lost;
      assert.equal(detail.retryInMs, 20);
      assert.throws(
        () => c.send(P1),
        (/** @type {any} */ e) => e.code === 'ENOTCONN' && /not connected/.test(e.message),
      );
      const s2 = new OscTcpServer({ host: '127.0.0.1', port });
      cleanups.push(() => s2.close());
      await s2.listen();
      await once(c, 'connected');
    });

    it('closes the connection on a fatal framing error from the server, reports it, and reconnects', async () => {
      const raw = net.createServer((sock) => {
        sock.on('error', () => {});
        sock.write(hex('80000000'));
      });
      cleanups.push(() => new Promise((r) => raw.close(r)));
      raw.listen(0, '127.0.0.1');
      await once(raw, 'listening');
      const c = client({ port: listeningPort(raw), framing: 'length-prefix' });
      const errors = recorder(c, 'error');
      const disconnects = recorder(c, 'disconnected');
      c.connect();
      await disconnects.wait(1);
      assert.equal(errors.items[0][0].code, 'LIMIT_EXCEEDED');
      assert.equal(errors.items[0][1].port, listeningPort(raw));
      await once(c, 'connected'); // it tried again
      await c.close();
    });

    it('closes the connection to a server sending more than 100 bad SLIP frames in a second', async () => {
      const junk = Buffer.concat(Array(1000).fill(hex('db00c0')));
      const raw = net.createServer((sock) => {
        sock.on('error', () => {});
        sock.write(junk);
      });
      cleanups.push(() => new Promise((r) => raw.close(r)));
      raw.listen(0, '127.0.0.1');
      await once(raw, 'listening');
      const c = client({ port: listeningPort(raw), framing: 'slip', reconnect: false });
      const errors = recorder(c, 'error');
      const disconnects = recorder(c, 'disconnected');
      c.connect();
      const [[detail]] = await disconnects.wait(1);
      assert.equal(detail.error.code, 'LIMIT_EXCEEDED');
      assert.equal(detail.error.short, 'too many bad frames');
      assert.ok(errors.items.length <= 3, `${errors.items.length} reports for 1000 bad frames`);
    });

    it('refuses sends with ENOBUFS when the server stops reading, instead of buffering without bound', async () => {
      /** @type {net.Socket} */
      let serverSide;
      const raw = net.createServer((sock) => {
        sock.on('error', () => {});
        sock.pause();
        serverSide = sock;
      });
      cleanups.push(() => new Promise((r) => raw.close(r)));
      raw.listen(0, '127.0.0.1');
      await once(raw, 'listening');
      const c = client({ port: listeningPort(raw), maxWriteBuffer: 65536 });
      c.connect();
      await once(c, 'connected');
      const big = Buffer.alloc(65536);
      let refused = null;
      for (let i = 0; i < 2000 && !refused; i++) {
        try {
          c.send(big);
        } catch (e) {
          refused = e;
        }
      }
      assert.ok(refused, 'send never refused');
      assert.equal(refused.code, 'ENOBUFS');
      serverSide.destroy();
    });

    it('close() stops reconnecting and ends in the closed state', async () => {
      const port = await freeTcpPort();
      const c = client({ port });
      const states = recorder(c, 'state');
      c.connect();
      await once(c, 'disconnected');
      await c.close();
      const n = states.items.length;
      assert.equal(states.items[n - 1][0], 'closed');
      assert.equal(c.state, 'closed');
      c.connect(); // does nothing once closed
      await new Promise((r) => setImmediate(r));
      assert.equal(states.items.length, n);
    });

    it('with reconnect false, stays disconnected until connect() is called again', async () => {
      const port = await freeTcpPort();
      const c = client({ port, reconnect: false });
      const states = recorder(c, 'state');
      c.connect();
      const [detail] = await once(c, 'disconnected');
      assert.equal(detail.retryInMs, undefined);
      assert.equal(detail.error.code, 'ECONNREFUSED');
      assert.match(detail.error.message, /refused/);
      const { s } = await server();
      const c2 = client({ port: s.address().port, reconnect: false });
      c2.connect();
      c2.connect(); // a second call while connecting opens nothing more
      await once(c2, 'connected');
      await until(() => s.clients().length === 1);
      c.connect();
      await once(c, 'disconnected');
      assert.deepEqual(
        states.items.map(([st]) => st),
        ['connecting', 'disconnected', 'connecting', 'disconnected'],
      );
    });

    it('validates its options', () => {
      assert.throws(() => new OscTcpClient({ host: '', port: 1 }), RangeError);
      assert.throws(() => new OscTcpClient({ host: 'h', port: 0 }), RangeError);
      assert.throws(() => new OscTcpClient({ host: 'h', port: 1, framing: /** @type {any} */ ('auto') }), RangeError);
      assert.throws(() => new OscTcpServer({ framing: /** @type {any} */ ('raw') }), RangeError);
      assert.throws(() => new OscTcpServer({ maxClients: 0 }), RangeError);
      assert.throws(() => new OscTcpServer({ maxFrameSize: -1 }), RangeError);
    });
  });
});
