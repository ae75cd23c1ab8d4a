'use strict';
// Issue 8, TCP side, in a Node-RED runtime (node-red-node-test-helper) over real sockets: an osc-tcp server
// refuses clients beyond maxClients and survives a client sending garbage; an osc-tcp client whose server
// drops the connection reconnects by itself and delivers again.
const assert = require('node:assert/strict');
const net = require('node:net');
const helper = require('node-red-node-test-helper');
const codec = require('../dist/osc/codec');
const { slipEncode } = require('../dist/osc/framing');
const oscTcp = require('../dist/nodes/osc-tcp');
const oscIn = require('../dist/nodes/osc-in');
const { until: waitUntil } = require('./helpers/nodes');
const { listeningPort } = require('./helpers/net');

helper.init(require.resolve('node-red'));

const until = (check, ms = 8000) => waitUntil(check, ms);

const texts = (node) =>
  node.status
    .getCalls()
    .map((c) => c.args[0] && c.args[0].text)
    .filter(Boolean);

function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

describe('osc-tcp under faults', function () {
  this.timeout(20000);
  afterEach(() => helper.unload());

  it('refuses clients beyond maxClients, survives a few bad frames, and closes a connection sending a garbage stream', async () => {
    await helper.load(
      [oscTcp, oscIn],
      [
        { id: 'f1', type: 'tab' },
        {
          id: 't1',
          type: 'osc-tcp',
          mode: 'server',
          localAddress: '127.0.0.1',
          localPort: 0,
          framing: 'slip',
          maxClients: 2,
        },
        { id: 'in1', type: 'osc-in', z: 'f1', transport: 'tcp', tcpEndpoint: 't1', wires: [['h1']] },
        { id: 'h1', type: 'helper', z: 'f1' },
      ],
    );
    const inNode = helper.getNode('in1');
    const got = [];
    helper.getNode('h1').on('input', (m) => got.push(m));
    const text = await until(() => texts(inNode).find((t) => /listening on .*:\d+/.test(t)));
    const port = Number(/:(\d+)/.exec(text)[1]);
    const a = await connect(port);
    const b = await connect(port);
    const c = await connect(port);
    const sockets = [a, b, c];
    try {
      // The third is closed by the server at once.
      await new Promise((resolve) => (c.destroyed ? resolve() : c.once('close', resolve)));
      await until(() => inNode.error.getCalls().some((call) => /LIMIT_EXCEEDED|maxClients/.test(String(call.args[0]))));
      // A few bad frames, as from a flaky link: dropped, and the connection carries on.
      const few = Buffer.alloc(50 * 4);
      for (let i = 0; i < few.length; i += 4) few.set([0xdb, 0x41, 0xc0, 0x41], i);
      a.write(few);
      a.write(slipEncode(codec.encodePacket({ address: '/after', args: [1] })));
      await until(() => got.length >= 1);
      // 256 KiB of bad escapes, each ending a frame: far more than 100 bad frames in a second, so the server
      // closes that connection; the other client and the runtime carry on.
      const junk = Buffer.alloc(256 * 1024);
      for (let i = 0; i < junk.length; i += 4) junk.set([0xdb, 0x41, 0xc0, 0x41], i);
      a.write(junk);
      await new Promise((resolve) => (a.destroyed ? resolve() : a.once('close', resolve)));
      await until(() =>
        inNode.error.getCalls().some((call) => /more than 100 bad frames in one second/.test(String(call.args[0]))),
      );
      b.write(slipEncode(codec.encodePacket({ address: '/other', args: [2] })));
      const d = await connect(port);
      sockets.push(d);
      d.write(slipEncode(codec.encodePacket({ address: '/again', args: [3] })));
      await until(() => got.length >= 3, 15000);
      assert.deepEqual(got.map((m) => m.topic).sort(), ['/after', '/again', '/other']);
      const logged = inNode.error.getCalls().length + inNode.warn.getCalls().length;
      assert.ok(logged < 10, `${logged} log lines for 65,586 dropped frames`);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('reconnects a client whose server dropped the connection, and delivers again', async () => {
    const conns = [];
    const server = net.createServer((s) => {
      conns.push(s);
      s.on('error', () => undefined);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = listeningPort(server);
    try {
      await helper.load(
        [oscTcp, oscIn],
        [
          { id: 'f1', type: 'tab' },
          { id: 't1', type: 'osc-tcp', mode: 'client', host: '127.0.0.1', port, framing: 'slip' },
          { id: 'in1', type: 'osc-in', z: 'f1', transport: 'tcp', tcpEndpoint: 't1', wires: [['h1']] },
          { id: 'h1', type: 'helper', z: 'f1' },
        ],
      );
      const got = [];
      helper.getNode('h1').on('input', (m) => got.push(m.topic));
      await until(() => conns.length === 1);
      conns[0].write(slipEncode(codec.encodePacket({ address: '/one', args: [] })));
      await until(() => got.length === 1);
      conns[0].resetAndDestroy(); // a reset, as when the device is switched off
      const t0 = Date.now();
      await until(() => conns.length === 2);
      const ms = Date.now() - t0;
      conns[1].write(slipEncode(codec.encodePacket({ address: '/two', args: [] })));
      await until(() => got.length === 2);
      assert.deepEqual(got, ['/one', '/two']);
      assert.ok(helper.getNode('in1') && ms < 8000, `reconnected after ${ms} ms`);
    } finally {
      for (const s of conns) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
