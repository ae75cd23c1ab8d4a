'use strict';
const assert = require('node:assert/strict');
const helper = require('node-red-node-test-helper');
const catchNode = require('@node-red/nodes/core/common/25-catch.js');
const routeNode = require('../dist/nodes/osc-route.js');

helper.init(require.resolve('node-red'));

// A flow: tab f1, the route node r1 wired output i -> helper node "o<i>", and a catch node -> "caught".
function flow(config, outputs) {
  const wires = [];
  const helpers = [];
  for (let i = 0; i < outputs; i++) {
    wires.push([`o${i}`]);
    helpers.push({ id: `o${i}`, z: 'f1', type: 'helper' });
  }
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    {
      id: 'r1',
      z: 'f1',
      type: 'osc-route',
      name: '',
      property: 'topic',
      checkall: 'true',
      otherwise: false,
      ...config,
      wires,
    },
    { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
    ...helpers,
  ];
}

/**
 * Sends msgs into r1 and resolves with what each output received once every msg has completed
 * (done() or done(err)): routing is synchronous, so after the last completion nothing more arrives.
 */
async function route(config, outputs, msgs) {
  await helper.load([routeNode, catchNode], flow(config, outputs));
  const r1 = helper.getNode('r1');
  const got = Array.from({ length: outputs }, () => []);
  for (let i = 0; i < outputs; i++) helper.getNode(`o${i}`).on('input', (m) => got[i].push(m));
  const caught = [];
  helper.getNode('caught').on('input', (m) => caught.push(m));
  let completed = 0;
  const allDone = new Promise((resolve) => {
    // Node-RED calls the completion hook after each msg's done(); errors reach the catch node first.
    helper._RED.hooks.add('onComplete.oscRouteTest', (ev) => {
      if (ev.node.id === 'r1' && ++completed === msgs.length) setImmediate(resolve);
    });
  });
  for (const m of msgs) r1.receive(m);
  await allDone;
  helper._RED.hooks.remove('onComplete.oscRouteTest');
  // Messages to other nodes are delivered asynchronously; one more turn lets them land.
  await new Promise((resolve) => setImmediate(resolve));
  return { got, caught, r1 };
}

describe('osc-route node', () => {
  afterEach(async () => {
    await helper.unload();
  });

  it('routes by *, // and {} and reports what each wildcard matched', async () => {
    const rules = [{ pattern: '/synth/*/freq' }, { pattern: '/mixer//gain' }, { pattern: '/light/{on,off}' }];
    const { got } = await route({ rules, otherwise: true, outputs: 4 }, 4, [
      { topic: '/synth/3/freq', payload: 440 },
      { topic: '/mixer/ch/12/gain', payload: 0.5 },
      { topic: '/mixer/gain', payload: 0.25 },
      { topic: '/light/off', payload: 1 },
      { topic: '/synth/3/amp', payload: 0.1 },
      { topic: '/synth/a/b/freq', payload: 1 }, // '*' never crosses '/'
    ]);
    assert.deepEqual(
      got[0].map((m) => [m.topic, m.payload, m.route]),
      [['/synth/3/freq', 440, { index: 0, pattern: '/synth/*/freq', parts: ['3'] }]],
    );
    assert.deepEqual(
      got[1].map((m) => [m.topic, m.route]),
      [
        ['/mixer/ch/12/gain', { index: 1, pattern: '/mixer//gain', parts: ['ch/12'] }],
        ['/mixer/gain', { index: 1, pattern: '/mixer//gain', parts: [''] }],
      ],
    );
    assert.deepEqual(
      got[2].map((m) => [m.topic, m.route]),
      [['/light/off', { index: 2, pattern: '/light/{on,off}', parts: ['off'] }]],
    );
    assert.deepEqual(
      got[3].map((m) => [m.topic, m.route]),
      [
        ['/synth/3/amp', undefined],
        ['/synth/a/b/freq', undefined],
      ],
    );
  });

  it('sends on every matching output, each copy with its own msg.route, or on the first one only', async () => {
    const rules = [{ pattern: '/a/*' }, { pattern: '/a/b' }, { pattern: '/x' }, { pattern: '//b' }];
    let { got } = await route({ rules, checkall: 'true', outputs: 4 }, 4, [{ topic: '/a/b', payload: { n: 1 } }]);
    assert.deepEqual(
      got.map((g) => g.map((m) => m.route)),
      [
        [{ index: 0, pattern: '/a/*', parts: ['b'] }],
        [{ index: 1, pattern: '/a/b', parts: [] }],
        [],
        [{ index: 3, pattern: '//b', parts: ['a'] }],
      ],
    );
    const copies = [got[0][0], got[1][0], got[3][0]];
    assert.equal(new Set(copies).size, 3, 'three distinct msg objects');
    assert.equal(new Set(copies.map((m) => m.payload)).size, 3, 'payload objects are not shared either');
    copies.forEach((m) => assert.deepEqual(m.payload, { n: 1 }));
    await helper.unload();

    ({ got } = await route({ rules, checkall: 'false', outputs: 4 }, 4, [{ topic: '/a/b' }, { topic: '/q/b' }]));
    assert.deepEqual(
      got.map((g) => g.map((m) => [m.topic, m.route.index])),
      [[['/a/b', 0]], [], [], [['/q/b', 3]]],
    );
  });

  it('routes a msg that a loop brings straight back in, with the runtime delivering synchronously', async () => {
    // runtimeSyncDelivery: the node is entered again from inside its own send(), while its output array is in use.
    // Output 0 (/a/*) goes to a node that readdresses the msg to /b and sends it straight back into the router.
    function loopNode(RED) {
      RED.nodes.registerType(
        'loop-back',
        /** @this {any} */ function (config) {
          RED.nodes.createNode(this, config);
          this.on('input', (msg, send, done) => {
            msg.topic = '/b';
            send(msg);
            done();
          });
        },
      );
    }
    helper.settings({ runtimeSyncDelivery: true });
    try {
      await helper.load(
        [routeNode, loopNode],
        [
          { id: 'f1', type: 'tab', label: 'test' },
          {
            id: 'r1',
            z: 'f1',
            type: 'osc-route',
            property: 'topic',
            checkall: 'true',
            otherwise: false,
            outputs: 3,
            rules: [{ pattern: '/a/*' }, { pattern: '/b' }, { pattern: '/a/1' }],
            wires: [['back'], ['o1'], ['o2']],
          },
          { id: 'back', z: 'f1', type: 'loop-back', wires: [['r1']] },
          { id: 'o1', z: 'f1', type: 'helper' },
          { id: 'o2', z: 'f1', type: 'helper' },
        ],
      );
      const got = { o1: [], o2: [] };
      helper.getNode('o1').on('input', (m) => got.o1.push(m.route));
      helper.getNode('o2').on('input', (m) => got.o2.push(m.route));
      // Synchronous delivery: everything below has happened by the time receive() returns.
      helper.getNode('r1').receive({ topic: '/a/1', payload: 1 });
      helper.getNode('r1').receive({ topic: '/a/2', payload: 2 });
      assert.deepEqual(got.o1, [
        { index: 1, pattern: '/b', parts: [] },
        { index: 1, pattern: '/b', parts: [] },
      ]);
      assert.deepEqual(got.o2, [{ index: 2, pattern: '/a/1', parts: [] }], 'no msg left behind in another output');
    } finally {
      helper.settings({});
    }
  });

  it('drops unmatched msgs without an otherwise output, and never passes on a stale msg.route', async () => {
    const stale = () => ({ index: 7, pattern: '/old', parts: ['x'] });
    let { got, caught } = await route({ rules: [{ pattern: '/a' }], otherwise: false, outputs: 1 }, 1, [
      { topic: '/b' },
      { topic: '/a', route: stale() },
    ]);
    assert.deepEqual(
      got[0].map((m) => m.route),
      [{ index: 0, pattern: '/a', parts: [] }],
    );
    assert.equal(caught.length, 0);
    await helper.unload();
    ({ got } = await route({ rules: [{ pattern: '/a' }], otherwise: true, outputs: 2 }, 2, [
      { topic: '/b', route: stale() },
    ]));
    assert.equal(got[1].length, 1);
    assert.equal('route' in got[1][0], false, 'an otherwise msg carries no route from an earlier osc-route');
  });

  it('falls back to msg.osc.address when msg.topic is absent, and honours another property', async () => {
    let { got } = await route({ rules: [{ pattern: '/in/?' }], outputs: 1 }, 1, [
      { payload: 1, osc: { address: '/in/1', args: [] } },
    ]);
    assert.deepEqual(
      got[0].map((m) => m.route.parts),
      [['1']],
    );
    await helper.unload();
    ({ got } = await route({ rules: [{ pattern: '/in/[0-9]' }], property: 'meta.addr', outputs: 1 }, 1, [
      { topic: '/ignored', meta: { addr: '/in/5' } },
    ]));
    assert.deepEqual(
      got[0].map((m) => m.route.parts),
      [['5']],
    );
  });

  it('reports a msg without an address as done(err), caught by a catch node, and sends nothing', async () => {
    const { got, caught } = await route({ rules: [{ pattern: '//*' }], otherwise: true, outputs: 2 }, 2, [
      { payload: 1 },
      { topic: 42, payload: 2 },
      { topic: '/fine', payload: 3 },
    ]);
    assert.deepEqual(
      caught.map((m) => m.payload),
      [1, 2],
    );
    assert.match(caught[0].error.message, /no OSC address/);
    assert.equal(caught[0].error.code, 'NO_ADDRESS');
    assert.deepEqual(
      got[0].map((m) => m.payload),
      [3],
    );
    assert.deepEqual(got[1], []);
  });

  it('turns an invalid rule into a red status and an error at deploy; the other rules keep routing', async () => {
    const rules = [{ pattern: '/ok/*' }, { pattern: '/bad/[' }, { pattern: '/also/ok' }];
    await helper.load([routeNode, catchNode], flow({ rules, otherwise: true, outputs: 4 }, 4));
    const r1 = helper.getNode('r1');
    assert.ok(r1.status.calledWithMatch({ fill: 'red', text: 'invalid rule 2' }), 'red status names the rule');
    assert.ok(r1.error.calledWithMatch(/rule 2 "\/bad\/\[".*unclosed '\['/), 'error explains the pattern');
    const third = new Promise((resolve) => helper.getNode('o2').once('input', resolve));
    r1.receive({ topic: '/also/ok' });
    const m = await third;
    assert.deepEqual(
      m.route,
      { index: 2, pattern: '/also/ok', parts: [] },
      'rule index and output survive the bad rule',
    );
  });
});
