'use strict';
// osc-in and osc-out over an osc-tcp endpoint, in a Node-RED runtime, over real TCP on 127.0.0.1: as a client of
// a device (status, send, replies, reconnection), as a server for several clients (msg.ip/msg.port name the
// client, osc-out answers it or everyone), framing errors to Catch, liblo's oscsend into osc-in, redeploys.
const assert = require('node:assert/strict');
const net = require('node:net');
const fs = require('node:fs');
const { once } = require('node:events');
const { execFile } = require('node:child_process');
const codec = require('../dist/osc/codec');
const { slipEncode, lengthPrefixEncode, SlipDecoder, LengthPrefixDecoder } = require('../dist/osc/framing');
const tcpEndpoint = require('../dist/transport/tcp-endpoint');
const oscTcp = require('../dist/nodes/osc-tcp');
const { helper, UDP_NODES, waitStatus, collect } = require('./helpers/nodes');
const { freeTcpPort, listeningPort } = require('./helpers/net');

const NODES = [oscTcp, ...UDP_NODES];
const OSCSEND = '/usr/bin/oscsend';

/** A raw TCP peer: what it receives, deframed. */
function peerOf(sock, framing) {
  const decoder = framing === 'slip' ? new SlipDecoder() : new LengthPrefixDecoder();
  const packets = [];
  const waiters = [];
  sock.on('data', (d) => {
    packets.push(...decoder.push(d).map((p) => codec.decodePacket(p)));
    for (const w of [...waiters])
      if (packets.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(packets);
      }
  });
  return {
    sock,
    packets,
    wait: (n) =>
      packets.length >= n ? Promise.resolve(packets) : new Promise((resolve) => waiters.push({ n, resolve })),
  };
}

async function connect(port) {
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => {});
  sock.setNoDelay(true);
  await once(sock, 'connect');
  return sock;
}

async function writeBytewise(sock, bytes) {
  for (const b of bytes) await new Promise((r) => sock.write(Buffer.from([b]), r));
}

function serverFlow(tcpProps = {}, inProps = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'tcp1',
      type: 'osc-tcp',
      mode: 'server',
      localAddress: '127.0.0.1',
      localPort: 0,
      framing: 'auto',
      maxClients: 8,
      ...tcpProps,
    },
    {
      id: 'in1',
      z: 'f1',
      type: 'osc-in',
      transport: 'tcp',
      endpoint: '',
      tcpEndpoint: 'tcp1',
      payloadArray: false,
      bundles: 'split',
      lenient: false,
      wires: [['out']],
      ...inProps,
    },
    { id: 'out', z: 'f1', type: 'helper' },
    {
      id: 'o1',
      z: 'f1',
      type: 'osc-out',
      transport: 'tcp',
      endpoint: '',
      tcpEndpoint: 'tcp1',
      host: '',
      port: '',
      address: '',
      numbers: 'int',
      wires: [],
    },
    { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];
}

async function serverPort() {
  const s = await waitStatus(helper.getNode('in1'), /^listening on tcp /);
  return Number(/:(\d+) ·/.exec(s.text)[1]);
}

describe('osc-in and osc-out over osc-tcp', function () {
  const cleanups = [];
  afterEach(async () => {
    await helper.unload();
    while (cleanups.length) await cleanups.pop()();
    assert.equal(tcpEndpoint.openTcpEndpointCount(), 0, 'no TCP endpoint left open after unload');
  });

  describe('server mode', () => {
    it('receives from several clients with msg.ip/msg.port naming each, and osc-out answers the one named', async () => {
      const flow = serverFlow();
      // osc-in → osc-out: every message is echoed to the client it came from.
      flow[2].wires = [['out', 'o1']];
      await helper.load(NODES, flow);
      const port = await serverPort();
      const a = peerOf(await connect(port), 'slip');
      const b = peerOf(await connect(port), 'length-prefix');
      await waitStatus(helper.getNode('in1'), /· 2 clients/);
      const got = collect(helper.getNode('out'), 2);
      // SLIP in 1-byte chunks from a, a size prefix from b (the server detects each).
      await writeBytewise(a.sock, slipEncode(codec.encodePacket({ address: '/from/a', args: [1] })));
      b.sock.write(lengthPrefixEncode(codec.encodePacket({ address: '/from/b', args: ['bee'] })));
      const msgs = await got;
      const byTopic = Object.fromEntries(msgs.map((m) => [m.topic, m]));
      assert.deepEqual([byTopic['/from/a'].ip, byTopic['/from/a'].port], ['127.0.0.1', a.sock.localPort]);
      assert.deepEqual([byTopic['/from/b'].ip, byTopic['/from/b'].port], ['127.0.0.1', b.sock.localPort]);
      assert.equal(byTopic['/from/b'].payload, 'bee');
      // Each got only its own message back, in the framing it spoke.
      assert.deepEqual(
        (await a.wait(1)).map((p) => p.address),
        ['/from/a'],
      );
      assert.deepEqual(
        (await b.wait(1)).map((p) => p.address),
        ['/from/b'],
      );

      // No msg.ip/msg.port: to every client.
      helper.getNode('o1').receive({ topic: '/all', payload: 2 });
      assert.deepEqual((await a.wait(2))[1], { address: '/all', args: [{ type: 'i', value: 2 }] });
      assert.deepEqual((await b.wait(2))[1], { address: '/all', args: [{ type: 'i', value: 2 }] });
      assert.equal(a.packets.length, 2);
      await waitStatus(helper.getNode('o1'), /listening on tcp 127\.0\.0\.1:\d+ · 2 clients · 3 sent/);
      a.sock.destroy();
      b.sock.destroy();
    });

    it('reports a client that is gone, half a destination, and no clients at all to Catch', async () => {
      await helper.load(NODES, serverFlow());
      const port = await serverPort();
      const o1 = helper.getNode('o1');
      const caught = collect(helper.getNode('caught'), 3);
      o1.receive({ topic: '/nobody', payload: 1 });
      const a = await connect(port);
      await waitStatus(helper.getNode('in1'), /· 1 client$/);
      o1.receive({ topic: '/gone', payload: 1, ip: '127.0.0.1', port: 1 });
      o1.receive({ topic: '/half', payload: 1, ip: '127.0.0.1' });
      const errs = await caught;
      assert.deepEqual(
        errs.map((e) => e.error.code),
        ['ENOTCONN', 'ENOTCONN', 'EINVAL'],
      );
      assert.match(errs[0].error.message, /no client is connected/);
      assert.match(errs[1].error.message, /no client 127\.0\.0\.1:1 is connected/);
      a.destroy();
    });

    it('reports a stream that breaks its framing to Catch with the client, and keeps serving others', async () => {
      await helper.load(NODES, serverFlow({ framing: 'slip' }));
      const port = await serverPort();
      const bad = await connect(port);
      const good = await connect(port);
      const caught = collect(helper.getNode('caught'), 1);
      const got = collect(helper.getNode('out'), 1);
      bad.write(Buffer.from('c0010203dbffc0', 'hex'));
      const [err] = await caught;
      assert.equal(err.error.code, 'BAD_FRAME');
      assert.deepEqual([err.ip, err.port], ['127.0.0.1', bad.localPort]);
      good.write(slipEncode(codec.encodePacket({ address: '/still', args: [] })));
      assert.equal((await got)[0].topic, '/still');
      await waitStatus(helper.getNode('in1'), /1 in · 1 bad \(BAD_FRAME\)/);
      bad.destroy();
      good.destroy();
    });

    it('shows a busy port in red with an error, on every node using it', async () => {
      const blocker = net.createServer();
      blocker.listen(0, '127.0.0.1');
      await once(blocker, 'listening');
      cleanups.push(() => new Promise((r) => blocker.close(r)));
      const busy = listeningPort(blocker);
      await helper.load(NODES, serverFlow({ localPort: busy }));
      for (const id of ['in1', 'o1']) {
        assert.deepEqual(await waitStatus(helper.getNode(id), /in use/), {
          fill: 'red',
          shape: 'ring',
          text: `port ${busy} in use`,
        });
      }
      await new Promise((resolve) => {
        const in1 = helper.getNode('in1');
        if (in1.error.getCalls().some((c) => /already in use/.test(String(c.args[0])))) return resolve();
        in1.on('call:error', (c) => /already in use/.test(String(c.args[0])) && resolve());
      });
    });

    it('shows a server without a port in red, with an error naming the setting, on every node using it', async () => {
      await helper.load(NODES, serverFlow({ localPort: '' }));
      for (const id of ['in1', 'o1']) {
        assert.deepEqual(await waitStatus(helper.getNode(id), /port/), { fill: 'red', shape: 'ring', text: 'no port' });
      }
      await new Promise((resolve) => {
        const in1 = helper.getNode('in1');
        const named = (c) =>
          /a TCP server needs a port to listen on: set Port in the osc tcp node/.test(String(c.args[0]));
        if (in1.error.getCalls().some(named)) return resolve();
        in1.on('call:error', (c) => named(c) && resolve());
      });
    });

    it('shows a bad allow-list in red with an error naming the entry, and counts refused clients in the osc in status', async () => {
      await helper.load(NODES, serverFlow({ allow: '127.0.0.1/33' }));
      for (const id of ['in1', 'o1']) {
        assert.deepEqual(await waitStatus(helper.getNode(id), /allow-list/), {
          fill: 'red',
          shape: 'ring',
          text: 'bad allow-list',
        });
      }
      await new Promise((resolve) => {
        const in1 = helper.getNode('in1');
        const named = (c) => /allow-list entry 1 "127\.0\.0\.1\/33"/.test(String(c.args[0]));
        if (in1.error.getCalls().some(named)) return resolve();
        in1.on('call:error', (c) => named(c) && resolve());
      });
      await helper.unload();
      await helper.load(NODES, serverFlow({ allow: '127.0.0.2' }));
      const port = await serverPort();
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => {});
      await once(c, 'close');
      const s = await waitStatus(helper.getNode('in1'), /not allowed/);
      assert.match(s.text, /· 1 not allowed$/);
      assert.equal(s.fill, 'green');
    });

    it('frees its port on every redeploy (20 in a row) and leaks nothing', async () => {
      const port = await freeTcpPort();
      for (let i = 0; i < 20; i++) {
        await helper.load(NODES, serverFlow({ localPort: port }));
        assert.equal(await serverPort(), port);
        const c = await connect(port);
        const closed = once(c, 'close');
        await helper.unload();
        await closed;
      }
      assert.equal(tcpEndpoint.openTcpEndpointCount(), 0);
    });

    (fs.existsSync(OSCSEND) ? it : it.skip)('receives liblo oscsend osc.tcp:// messages in osc-in', async () => {
      await helper.load(NODES, serverFlow({ framing: 'auto' }));
      const port = await serverPort();
      const got = collect(helper.getNode('out'), 1);
      await new Promise((resolve, reject) => {
        execFile(
          OSCSEND,
          [`osc.tcp://127.0.0.1:${port}`, '/eos/cue/1/fire', 'ifsT', '7', '0.5', 'go'],
          { timeout: 10000 },
          (err, _o, stderr) => (err ? reject(new Error(`${err.message} ${stderr}`)) : resolve()),
        );
      });
      const [m] = await got;
      assert.equal(m.topic, '/eos/cue/1/fire');
      assert.deepEqual(m.payload, [7, 0.5, 'go', true]);
      assert.equal(m.osc.types, ',ifsT');
      assert.equal(m.ip, '127.0.0.1');
    });
  });

  describe('client mode', () => {
    async function device(framing = 'slip') {
      const server = net.createServer();
      const peers = [];
      server.on('connection', (s) => peers.push(peerOf(s, framing)));
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      cleanups.push(
        () =>
          new Promise((r) => {
            for (const p of peers) p.sock.destroy();
            server.close(r);
          }),
      );
      return { server, peers, port: listeningPort(server) };
    }

    function clientFlow(port, framing = 'slip') {
      const flow = serverFlow({ mode: 'client', host: '127.0.0.1', port: String(port), framing });
      return flow;
    }

    it('connects, shows it, sends with SLIP and receives the replies on the same connection', async () => {
      const qlab = await device();
      await helper.load(NODES, clientFlow(qlab.port));
      assert.deepEqual(await waitStatus(helper.getNode('in1'), /^connected/), {
        fill: 'green',
        shape: 'dot',
        text: `connected to 127.0.0.1:${qlab.port}`,
      });
      await waitStatus(helper.getNode('o1'), /^connected/);
      while (qlab.peers.length === 0) await once(qlab.server, 'connection');
      const [peer] = qlab.peers;
      const o1 = helper.getNode('o1');
      // Host and Port of a msg do not matter to a client: the connection is the destination.
      o1.receive({ topic: '/go', payload: [], ip: '10.9.9.9', port: 9 });
      o1.receive({ topic: '/cue/1/start', payload: [] });
      assert.deepEqual(
        (await peer.wait(2)).map((p) => p.address),
        ['/go', '/cue/1/start'],
      );
      const got = collect(helper.getNode('out'), 1);
      const reply = codec.encodePacket({ address: '/reply/go', args: ['{"status":"ok"}'] });
      await writeBytewise(peer.sock, slipEncode(reply));
      const [m] = await got;
      assert.deepEqual([m.topic, m.payload, m.ip, m.port], ['/reply/go', '{"status":"ok"}', '127.0.0.1', qlab.port]);
    });

    it('speaks the size prefix when told to', async () => {
      const dev = await device('length-prefix');
      await helper.load(NODES, clientFlow(dev.port, 'length-prefix'));
      await waitStatus(helper.getNode('o1'), /^connected/);
      while (dev.peers.length === 0) await once(dev.server, 'connection');
      helper.getNode('o1').receive({ topic: '/x', payload: 1.5 });
      assert.deepEqual((await dev.peers[0].wait(1))[0], { address: '/x', args: [{ type: 'f', value: 1.5 }] });
    });

    it('shows a refused connection in red with a warning (not an error), refuses sends, and connects once the device is up', async () => {
      const port = await freeTcpPort();
      await helper.load(NODES, clientFlow(port));
      const in1 = helper.getNode('in1');
      const o1 = helper.getNode('o1');
      assert.deepEqual(await waitStatus(in1, /refused/), {
        fill: 'red',
        shape: 'ring',
        text: `refused · retrying 127.0.0.1:${port}`,
      });
      await new Promise((resolve) => (in1.warn.called ? resolve() : in1.once('call:warn', resolve)));
      assert.match(String(in1.warn.firstCall.args[0]), /refused.*retrying in/);
      assert.equal(in1.error.called, false, 'a device that is off is not a configuration error');
      const caught = collect(helper.getNode('caught'), 1);
      o1.receive({ topic: '/go', payload: [] });
      const [err] = await caught;
      assert.equal(err.error.code, 'ENOTCONN');
      const server = net.createServer();
      const conn = once(server, 'connection');
      server.listen(port, '127.0.0.1');
      cleanups.push(() => new Promise((r) => server.close(r)));
      const [sock] = await conn;
      const peer = peerOf(sock, 'slip');
      await waitStatus(o1, /^connected/);
      o1.receive({ topic: '/go', payload: [] });
      assert.equal((await peer.wait(1))[0].address, '/go');
      sock.destroy();
    });
  });
});
