'use strict';
// osc-request in a Node-RED runtime, over real UDP and TCP on 127.0.0.1: replies out in order with msg.rtt,
// timeouts, retries and the limit to a Catch node, replies shared with (or kept from) osc in, the status, a
// stop with requests waiting, a TCP server's client and a QLab-style device over TCP with SLIP.
const assert = require('node:assert/strict');
const dgram = require('node:dgram');
const net = require('node:net');
const { once } = require('node:events');
const codec = require('../dist/osc/codec');
const { slipEncode, SlipDecoder } = require('../dist/osc/framing');
const udp = require('../dist/transport/udp');
const tcpEndpoint = require('../dist/transport/tcp-endpoint');
const oscTcp = require('../dist/nodes/osc-tcp');
const oscRequest = require('../dist/nodes/osc-request');
const { helper, UDP_NODES, waitStatus, listeningPort, collect } = require('./helpers/nodes');
const { exampleFlow, idOf, CORE } = require('./helpers/example-flow');
const { asMessage } = require('./helpers/osc');
const { requestFlow } = require('./helpers/request-flow');

const NODES = [...UDP_NODES, oscTcp, oscRequest];

/**
 * A UDP device on a free port: `answer(packet)` returns the messages to send back (none, one, several), or a
 * promise of them. Records what it received.
 */
async function udpDevice(answer) {
  const sock = dgram.createSocket('udp4');
  const received = [];
  const waiters = [];
  sock.on('message', async (data, rinfo) => {
    const packet = codec.decodePacket(data);
    received.push(packet);
    for (const w of waiters.filter((x) => received.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    for (const m of [].concat((await answer(packet, received.length)) ?? []))
      sock.send(codec.encodePacket(m), rinfo.port, rinfo.address);
  });
  await new Promise((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return {
    sock,
    port: sock.address().port,
    received,
    /** Resolves once n requests have arrived. */
    got: (n) => new Promise((resolve) => (received.length >= n ? resolve() : waiters.push({ n, resolve }))),
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}

/** An X32 in miniature: a fader answers with its value, /ch/NN/config/name with the channel's name. */
function x32(packet) {
  const m = /^\/ch\/(\d\d)\/(mix\/fader|config\/name)$/.exec(packet.address);
  if (!m || packet.args.length > 0) return [];
  return m[2] === 'mix/fader'
    ? { address: packet.address, args: [{ type: 'f', value: Number(m[1]) / 100 }] }
    : { address: packet.address, args: [{ type: 's', value: `Vox ${Number(m[1])}` }] };
}

function flow(props = {}, extra = []) {
  return requestFlow(
    { port: '', address: '', numbers: 'int', reply: '', format: 'osc', consume: false, ...props },
    { extra },
  );
}

/** The endpoint an osc-udp config node holds, seen through a handle of the test's own (released by the caller). */
function endpointOf(id) {
  return helper.getNode(id).register({});
}

describe('osc-request node', function () {
  let device;
  afterEach(async () => {
    await helper.unload();
    if (device) await device.close();
    device = undefined;
    assert.equal(udp.openEndpointCount(), 0, 'no socket left open');
    assert.equal(tcpEndpoint.openTcpEndpointCount(), 0, 'no TCP endpoint left open');
  });

  it("asks an X32-style device and outputs each reply with the request msg's properties and msg.rtt; osc in sees it too", async () => {
    device = await udpDevice(x32);
    await helper.load(NODES, flow({ port: String(device.port) }));
    await listeningPort(helper.getNode('in1'));
    const outs = collect(helper.getNode('out'), 2);
    const monitored = collect(helper.getNode('monitor'), 2);
    helper.getNode('r1').receive({ topic: '/ch/07/mix/fader', payload: [], cue: 'a' });
    helper.getNode('r1').receive({ topic: '/ch/12/config/name', cue: 'b' });
    const [fader, name] = await outs;
    assert.deepEqual(
      [fader.topic, fader.payload, fader.cue, fader.ip, fader.port],
      ['/ch/07/mix/fader', 0.07000000029802322, 'a', '127.0.0.1', device.port],
    );
    assert.deepEqual(fader.osc, {
      address: '/ch/07/mix/fader',
      types: ',f',
      args: [{ type: 'f', value: 0.07000000029802322 }],
    });
    assert.equal(typeof fader.rtt, 'number');
    assert.ok(fader.rtt >= 0 && fader.rtt < 2000, `rtt ${fader.rtt}`);
    assert.deepEqual([name.topic, name.payload, name.cue], ['/ch/12/config/name', 'Vox 12', 'b']);
    assert.deepEqual(
      (await monitored).map((m) => m.topic),
      ['/ch/07/mix/fader', '/ch/12/config/name'],
      'a monitor still sees the replies',
    );
    assert.deepEqual(
      device.received.map((p) => [p.address, p.args.length]),
      [
        ['/ch/07/mix/fader', 0],
        ['/ch/12/config/name', 0],
      ],
    );
    const s = await waitStatus(helper.getNode('r1'), /^rtt /);
    assert.equal(s.fill, 'green');
  });

  it('gives two quick requests for the same fader their own answers, in order', async () => {
    let n = 0;
    device = await udpDevice((p) => ({ address: p.address, args: [{ type: 'i', value: ++n }] }));
    await helper.load(NODES, flow({ port: String(device.port) }));
    const outs = collect(helper.getNode('out'), 3);
    for (const id of ['first', 'second', 'third']) helper.getNode('r1').receive({ topic: '/ch/01/mix/fader', id });
    assert.deepEqual(
      (await outs).map((m) => [m.id, m.payload]),
      [
        ['first', 1],
        ['second', 2],
        ['third', 3],
      ],
    );
  });

  it('keeps the replies from osc in with "consume", and still passes it everything else', async () => {
    device = await udpDevice((p) =>
      p.address === '/xinfo'
        ? [
            { address: '/xinfo', args: [{ type: 's', value: 'X32' }] },
            { address: '/other', args: [] },
          ]
        : [],
    );
    await helper.load(NODES, flow({ port: String(device.port), consume: true }));
    const out = collect(helper.getNode('out'), 1);
    const monitored = collect(helper.getNode('monitor'), 1);
    helper.getNode('r1').receive({ topic: '/xinfo' });
    assert.equal((await out)[0].payload, 'X32');
    assert.deepEqual(
      (await monitored).map((m) => m.topic),
      ['/other'],
      'the reply was consumed, the next message was not',
    );
  });

  it('reports no reply in time as TIMEOUT to a Catch node, with the request msg, and counts it', async () => {
    device = await udpDevice(() => []);
    await helper.load(NODES, flow({ port: String(device.port), timeout: '0.1' }));
    const caught = collect(helper.getNode('caught'), 1);
    const outs = [];
    helper.getNode('out').on('input', (m) => outs.push(m));
    helper.getNode('r1').receive({ topic: '/ch/01/mix/fader', payload: [], mine: 42 });
    const [msg] = await caught;
    assert.equal(msg.error.code, 'TIMEOUT');
    assert.match(
      msg.error.message,
      /no reply \/ch\/01\/mix\/fader from 127\.0\.0\.1:\d+ to \/ch\/01\/mix\/fader within 0\.1 s/,
    );
    assert.deepEqual([msg.topic, msg.payload, msg.mine], ['/ch/01/mix/fader', [], 42]);
    assert.equal(msg.rtt, undefined);
    const s = await waitStatus(helper.getNode('r1'), /1 timeout/);
    assert.equal(s.fill, 'yellow');
    // A reply after the timeout is not output (osc in still gets it).
    const monitored = collect(helper.getNode('monitor'), 1);
    const port = await listeningPort(helper.getNode('in1'));
    device.sock.send(
      codec.encodePacket({ address: '/ch/01/mix/fader', args: [{ type: 'f', value: 0.5 }] }),
      port,
      '127.0.0.1',
    );
    assert.equal((await monitored)[0].topic, '/ch/01/mix/fader');
    assert.deepEqual(outs, []);
  });

  it('sends again `retries` times before the TIMEOUT, each wait a full timeout', async () => {
    device = await udpDevice(() => []);
    await helper.load(NODES, flow({ port: String(device.port), timeout: '0.05', retries: '2' }));
    const caught = collect(helper.getNode('caught'), 1);
    helper.getNode('r1').receive({ topic: '/status' });
    const [msg] = await caught;
    assert.equal(msg.error.code, 'TIMEOUT');
    assert.match(msg.error.message, /sent 3 times/);
    assert.deepEqual(
      device.received.map((p) => p.address),
      ['/status', '/status', '/status'],
    );
  });

  it('answers a retried request when the device answers late', async () => {
    device = await udpDevice((p, n) => (n === 2 ? { address: '/status.reply', args: [{ type: 'i', value: 1 }] } : []));
    await helper.load(
      NODES,
      flow({ port: String(device.port), timeout: '0.1', retries: '3', reply: '<address>.reply' }),
    );
    const out = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ topic: '/status' });
    const [msg] = await out;
    assert.equal(msg.topic, '/status.reply');
    assert.equal(device.received.length, 2, 'answered after the first resend; no more sends');
  });

  it('refuses a request beyond "most waiting" at once with LIMIT_EXCEEDED, sending nothing for it', async () => {
    device = await udpDevice(() => []);
    await helper.load(NODES, flow({ port: String(device.port), maxPending: '2', timeout: '5' }));
    const caught = collect(helper.getNode('caught'), 1);
    for (let i = 0; i < 3; i++) helper.getNode('r1').receive({ topic: '/a', i });
    const [msg] = await caught;
    assert.equal(msg.error.code, 'LIMIT_EXCEEDED');
    assert.equal(msg.i, 2);
    await device.got(2);
    await waitStatus(helper.getNode('r1'), /^2 waiting · 1 failed$/);
  });

  it('does no request work on the endpoint while nothing waits', async () => {
    device = await udpDevice((p) => ({ address: p.address, args: [] }));
    await helper.load(NODES, flow({ port: String(device.port) }));
    const h = endpointOf('udp1');
    try {
      assert.equal(h.endpoint.interceptorCount, 0);
      const out = collect(helper.getNode('out'), 1);
      helper.getNode('r1').receive({ topic: '/a' });
      assert.equal(h.endpoint.interceptorCount, 1, 'looking while a request waits');
      await out;
      assert.equal(h.endpoint.interceptorCount, 0, 'and no more once it was answered');
    } finally {
      await h.release();
    }
  });

  it('drops the requests waiting when it stops, without output, error or timer left', async () => {
    device = await udpDevice(() => []);
    await helper.load(NODES, flow({ port: String(device.port), timeout: '0.2' }));
    const r1 = helper.getNode('r1');
    const seen = [];
    helper.getNode('out').on('input', (m) => seen.push(m));
    helper.getNode('caught').on('input', (m) => seen.push(m));
    for (let i = 0; i < 5; i++) r1.receive({ topic: '/a', i });
    await device.got(5);
    // unload() takes the runtime's spies away before it stops the flow: record this node's own words.
    const said = [];
    for (const level of ['log', 'warn', 'error']) r1[level] = (m) => said.push(`${level}: ${m}`);
    await helper.unload();
    assert.deepEqual(said, ['log: 5 requests waiting for a reply dropped on close']);
    // Nothing to await for an absence: wait past the timeout the requests had, and see that nothing came.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(seen, []);
  });

  it('refuses to start without its endpoint, and warns of invalid settings', async () => {
    await helper.load(NODES, [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'r1', z: 'f1', type: 'osc-request', endpoint: 'gone', wires: [[]] },
      { id: 'r2', z: 'f1', type: 'osc-request', transport: 'tcp', tcpEndpoint: '', wires: [[]] },
      { id: 'r3', z: 'f1', type: 'osc-request', host: '127.0.0.1', port: '9', timeout: '-1', wires: [[]] },
    ]);
    // The runtime's spies are shared by every node: pick each node's own calls.
    const own = (id, method) => {
      const node = helper.getNode(id);
      return node[method]
        .getCalls()
        .filter((c) => c.thisValue === node)
        .map((c) => String(c.args[0]));
    };
    assert.deepEqual(own('r1', 'error'), ['the osc-udp endpoint gone this node sends from does not exist']);
    assert.deepEqual(own('r2', 'error'), [
      'no osc-tcp endpoint: choose the TCP connection or server to ask through in the node',
    ]);
    assert.deepEqual(own('r3', 'warn'), ['invalid timeout -1: using 1 s']);
    assert.deepEqual(own('r3', 'error'), []);
  });

  it('asks from a socket of its own when no endpoint is chosen, and takes msg.ip and msg.port', async () => {
    device = await udpDevice((p) => ({ address: p.address, args: [{ type: 's', value: 'ok' }] }));
    await helper.load(NODES, [
      { id: 'f1', type: 'tab', label: 'test' },
      { id: 'r1', z: 'f1', type: 'osc-request', endpoint: '', host: '', port: '', wires: [['out']] },
      { id: 'out', z: 'f1', type: 'helper' },
    ]);
    const got = collect(helper.getNode('out'), 1);
    helper.getNode('r1').receive({ payload: '/ping 1', ip: '127.0.0.1', port: device.port });
    const [msg] = await got;
    assert.deepEqual([msg.topic, msg.payload, msg.port], ['/ping', 'ok', device.port]);
  });

  it('runs the example "X32: read a fader and a channel name" against an X32 stand-in', async () => {
    device = await udpDevice(x32);
    const flow = exampleFlow('x32-request.json', (n) => {
      if (n.type === 'osc-udp') Object.assign(n, { localAddress: '127.0.0.1', localPort: 0 });
      if (n.type === 'osc-request') Object.assign(n, { host: '127.0.0.1', port: String(device.port) });
    });
    await helper.load([...NODES, ...CORE], flow);
    const answers = helper.getNode(idOf(flow, 'helper', 'desk answers'));
    const monitor = collect(helper.getNode(idOf(flow, 'helper', 'monitor')), 2);
    let got = collect(answers, 1);
    helper.getNode(idOf(flow, 'inject', 'channel 1 fader')).receive({});
    assert.match((await got)[0].payload, /^Ch 1 fader: 0\.0099\d* \(\d+(\.\d+)? ms\)$/);
    got = collect(answers, 1);
    helper.getNode(idOf(flow, 'inject', 'channel 1 name')).receive({});
    assert.match((await got)[0].payload, /^Ch 1 name: Vox 1 \(\d+(\.\d+)? ms\)$/);
    assert.deepEqual(
      (await monitor).map((m) => m.topic),
      ['/ch/01/mix/fader', '/ch/01/config/name'],
    );
  });

  describe('over TCP', () => {
    /** @type {net.Server & { sockets?: Set<net.Socket> }} */
    let server;
    afterEach(async () => {
      // Runs before the outer afterEach unloads the flow: the node's connection is still open.
      for (const sock of server?.sockets ?? []) sock.destroy();
      if (server) await new Promise((resolve) => server.close(resolve));
      server = undefined;
    });

    /** A QLab stand-in: answers /reply<address> with JSON over SLIP; /cue/9/name fails; /hang closes the connection. */
    async function qlab() {
      const sockets = new Set();
      server = net.createServer((sock) => {
        sockets.add(sock);
        sock.on('close', () => sockets.delete(sock));
        sock.on('error', () => {});
        const decoder = new SlipDecoder();
        sock.on('data', (d) => {
          for (const bytes of decoder.push(d)) {
            const m = asMessage(codec.decodePacket(bytes));
            if (m.address === '/hang') {
              sock.destroy();
              return;
            }
            const body =
              m.address === '/cueLists'
                ? {
                    workspace_id: 'W1',
                    address: m.address,
                    status: 'ok',
                    data: [{ uniqueID: 'L1', number: '', name: 'Main Cue List', type: 'Cue List' }],
                  }
                : m.address === '/cue/9/name'
                  ? { workspace_id: 'W1', address: m.address, status: 'error' }
                  : { workspace_id: 'W1', address: m.address, status: 'ok', data: 'Intro' };
            sock.write(
              slipEncode(
                codec.encodePacket({
                  address: `/reply${m.address}`,
                  args: [{ type: 's', value: JSON.stringify(body) }],
                }),
              ),
            );
          }
        });
      });
      server.sockets = sockets;
      await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      return /** @type {net.AddressInfo} */ (server.address()).port;
    }

    function tcpFlow(port, props = {}) {
      return [
        { id: 'f1', type: 'tab', label: 'test' },
        { id: 'tcp1', type: 'osc-tcp', mode: 'client', host: '127.0.0.1', port: String(port), framing: 'slip' },
        {
          id: 'r1',
          z: 'f1',
          type: 'osc-request',
          transport: 'tcp',
          tcpEndpoint: 'tcp1',
          reply: '/reply<address>',
          format: 'qlab',
          timeout: 2,
          wires: [['out']],
          ...props,
        },
        { id: 'out', z: 'f1', type: 'helper' },
        { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
        { id: 'caught', z: 'f1', type: 'helper' },
      ];
    }

    it('asks a QLab-style device over SLIP and outputs its JSON parsed; status "error" goes to Catch', async () => {
      const port = await qlab();
      await helper.load(NODES, tcpFlow(port));
      await waitStatus(helper.getNode('r1'), /^connected to /);
      const outs = collect(helper.getNode('out'), 2);
      const caught = collect(helper.getNode('caught'), 1);
      helper.getNode('r1').receive({ topic: '/cueLists', payload: [] });
      helper.getNode('r1').receive({ topic: '/cue/9/name' });
      helper.getNode('r1').receive({ topic: '/cue/1/name' });
      const [lists, name] = await outs;
      assert.equal(lists.topic, '/reply/cueLists');
      assert.deepEqual(
        lists.payload.data.map((l) => l.name),
        ['Main Cue List'],
      );
      assert.equal(lists.payload.status, 'ok');
      assert.equal(name.payload.data, 'Intro');
      const [err] = await caught;
      assert.equal(err.error.code, 'REPLY_ERROR');
      assert.equal(err.topic, '/reply/cue/9/name');
    });

    it('ends the requests waiting when the connection is lost, with its error code', async () => {
      const port = await qlab();
      await helper.load(NODES, tcpFlow(port, { timeout: 10 }));
      await waitStatus(helper.getNode('r1'), /^connected to /);
      const caught = collect(helper.getNode('caught'), 1);
      helper.getNode('r1').receive({ topic: '/hang', mine: 1 });
      const [msg] = await caught;
      assert.match(msg.error.code, /^(ECONNRESET|ENOTCONN|EPIPE)$/);
      assert.match(
        msg.error.message,
        /no reply \/reply\/hang to \/hang: the connection to the TCP connection was lost/,
      );
      assert.equal(msg.mine, 1);
    });

    it('runs the example "QLab: list the cue lists" against a QLab stand-in', async () => {
      const port = await qlab();
      const flow = exampleFlow('qlab-cue-lists.json', (n) => {
        if (n.type === 'osc-tcp') Object.assign(n, { host: '127.0.0.1', port: String(port) });
      });
      await helper.load([...NODES, ...CORE], flow);
      const ask = idOf(flow, 'osc-request', 'ask QLab');
      await waitStatus(helper.getNode(ask), /^connected to /);
      const lists = collect(helper.getNode(idOf(flow, 'helper', 'cue lists')), 1);
      helper.getNode(idOf(flow, 'inject', 'cue lists')).receive({});
      assert.deepEqual((await lists)[0].payload, [{ number: '', name: 'Main Cue List' }]);
    });

    it('asks one client of an osc tcp server, named by msg.ip and msg.port as osc in gives them', async () => {
      await helper.load(NODES, [
        { id: 'f1', type: 'tab', label: 'test' },
        { id: 'tcp1', type: 'osc-tcp', mode: 'server', localAddress: '127.0.0.1', localPort: 0, framing: 'slip' },
        { id: 'in1', z: 'f1', type: 'osc-in', transport: 'tcp', tcpEndpoint: 'tcp1', wires: [['hello']] },
        { id: 'hello', z: 'f1', type: 'helper' },
        { id: 'r1', z: 'f1', type: 'osc-request', transport: 'tcp', tcpEndpoint: 'tcp1', timeout: 2, wires: [['out']] },
        { id: 'out', z: 'f1', type: 'helper' },
      ]);
      const s = await waitStatus(helper.getNode('in1'), /^listening on tcp /);
      const port = Number(/:(\d+)/.exec(s.text)[1]);
      const clients = [];
      for (const name of ['a', 'b']) {
        const sock = net.connect(port, '127.0.0.1');
        sock.on('error', () => {});
        await once(sock, 'connect');
        const decoder = new SlipDecoder();
        // Each client answers /whoami with its name.
        sock.on('data', (d) => {
          for (const bytes of decoder.push(d)) {
            const m = asMessage(codec.decodePacket(bytes));
            sock.write(slipEncode(codec.encodePacket({ address: m.address, args: [{ type: 's', value: name }] })));
          }
        });
        clients.push(sock);
      }
      const hellos = collect(helper.getNode('hello'), 2);
      for (const c of clients) c.write(slipEncode(codec.encodePacket({ address: '/hello', args: [] })));
      const b = (await hellos).find((m) => m.port === clients[1].localPort);
      const out = collect(helper.getNode('out'), 1);
      helper.getNode('r1').receive({ topic: '/whoami', ip: b.ip, port: b.port });
      assert.equal((await out)[0].payload, 'b');
      for (const c of clients) c.destroy();
    });
  });
});
