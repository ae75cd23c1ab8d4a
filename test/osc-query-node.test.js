'use strict';
// osc-query in Node-RED (node-red-node-test-helper): the config node serves the address space of its osc udp
// endpoint, VALUE follows a message an osc in received, and a redeploy that changes the table keeps the server
// and tells its WebSocket clients.
const assert = require('node:assert/strict');
const helper = require('node-red-node-test-helper');
const { WebSocket } = require('ws');
const { encodePacket } = require('../dist/osc/codec');
const { closeParked } = require('../dist/oscquery/registry');
const { udpPeer, sendTo } = require('./helpers/net');

helper.init(require.resolve('node-red'));

const nodes = ['osc-udp', 'osc-in', 'osc-route', 'osc-query'].map((t) => require(`../dist/nodes/${t}.js`));

function flow(methods, extra = {}) {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'udp', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0 },
    {
      id: 'q',
      type: 'osc-query',
      name: 'flow under test',
      endpoint: 'udp',
      port: 0,
      localAddress: '127.0.0.1',
      advertise: false,
      methods,
      ...extra,
    },
    { id: 'in', type: 'osc-in', z: 'f1', endpoint: 'udp', wires: [['route']] },
    {
      id: 'route',
      type: 'osc-route',
      z: 'f1',
      rules: [{ pattern: '/avatar/change' }, { pattern: '/p/*' }],
      outputs: 2,
      wires: [['out'], []],
    },
    { id: 'out', type: 'helper', z: 'f1' },
  ];
}

/** The URL the node logged ("OSCQuery on http://..."), once it has. */
async function servedAt(node) {
  for (;;) {
    const call = node.log.getCalls().find((c) => /^OSCQuery on /.test(String(c.args[0])));
    if (call) return String(call.args[0]).slice('OSCQuery on '.length);
    assert.equal(node.error.called, false, node.error.called ? String(node.error.firstCall.args[0]) : '');
    await new Promise((r) => setImmediate(r));
  }
}

async function json(url) {
  const r = await fetch(url);
  return r.status === 204 ? undefined : r.json();
}

describe('osc-query in Node-RED', () => {
  afterEach(async () => {
    await helper.unload();
    await closeParked();
  });

  it('serves the table and the literal route rules; HOST_INFO names the osc udp port; VALUE follows osc in', async () => {
    await helper.load(nodes, flow([{ address: '/avatar/change', types: 's', access: 'rw' }], { routeRules: true }));
    const url = await servedAt(helper.getNode('q'));
    const tree = await json(url + '/');
    assert.deepEqual(Object.keys(tree.CONTENTS), ['avatar']);
    assert.equal(tree.CONTENTS.avatar.CONTENTS.change.TYPE, 's');
    let info = await json(url + '/?HOST_INFO');
    while (info.OSC_PORT === undefined) info = await json(url + '/?HOST_INFO');
    assert.equal(info.OSC_TRANSPORT, 'UDP');
    const peer = await udpPeer();
    try {
      const got = new Promise((r) => helper.getNode('out').once('input', r));
      await sendTo(peer, encodePacket({ address: '/avatar/change', args: ['avtr_1234'] }), info.OSC_PORT);
      assert.equal((await got).payload, 'avtr_1234');
      assert.deepEqual(await json(url + '/avatar/change?VALUE'), { VALUE: ['avtr_1234'] });
    } finally {
      peer.close();
    }
  });

  it('a redeploy with another table keeps the server: its WebSocket clients hear PATH_ADDED and PATH_REMOVED', async () => {
    const before = flow([{ address: '/a', types: 'f' }]);
    await helper.load(nodes, before);
    const url = await servedAt(helper.getNode('q'));
    const ws = new WebSocket(url.replace('http', 'ws'));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    try {
      const told = [];
      const both = new Promise((resolve) =>
        ws.on('message', (d) => {
          told.push(JSON.parse(d.toString()));
          if (told.length === 2) resolve(told);
        }),
      );
      const after = flow([{ address: '/b', types: 'i' }]);
      await helper.setFlows(after, 'nodes');
      assert.deepEqual((await both).map((c) => `${c.COMMAND} ${c.DATA}`).sort(), ['PATH_ADDED /b', 'PATH_REMOVED /a']);
      assert.equal(await servedAt(helper.getNode('q')), url, 'the same server, on the same port');
      assert.equal((await fetch(url + '/a')).status, 404);
      assert.equal((await json(url + '/b?TYPE')).TYPE, 'i');
    } finally {
      ws.terminate();
    }
  });

  it('a bad table row is an error naming the row, and nothing is served', async () => {
    await helper.load(
      nodes,
      flow([
        { address: '/ok', types: 'f' },
        { address: '/x/*', types: 'f' },
      ]),
    );
    const q = helper.getNode('q');
    while (!q.error.called) await new Promise((r) => setImmediate(r));
    assert.match(String(q.error.firstCall.args[0]), /method 2: \/x\/\*: .*wildcards/);
    assert.equal(q.log.getCalls().filter((c) => /^OSCQuery on /.test(String(c.args[0]))).length, 0);
  });
});
