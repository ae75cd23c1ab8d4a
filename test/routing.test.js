'use strict';
// osc-route's routing (src/nodes/routing.ts) without Node-RED: the outputs a msg goes to, msg.route, the address
// it is routed by, and the rules that do not compile.
const assert = require('node:assert/strict');
const { MsgRouter } = require('../dist/nodes/routing');

const getProperty = (msg, p) => p.split('.').reduce((o, k) => (o == null ? undefined : o[k]), msg);

describe('osc-route routing (MsgRouter)', () => {
  it('sends to every matching rule, a copy each with its own msg.route; the first match keeps the msg itself', () => {
    const r = new MsgRouter(
      { rules: [{ pattern: '/a/*' }, { pattern: '/x' }, { pattern: '//b' }], checkall: 'true' },
      getProperty,
    );
    assert.equal(r.outputs, 3);
    const msg = { topic: '/a/b', payload: 1 };
    const out = r.route(msg, r.address(msg));
    assert.equal(out.length, 3);
    assert.equal(out[0], msg);
    assert.equal(out[1], null);
    assert.notEqual(out[2], msg);
    assert.deepEqual(out[0].route, { index: 0, pattern: '/a/*', parts: ['b'] });
    assert.deepEqual(out[2].route, { index: 2, pattern: '//b', parts: ['a'] });
    assert.notEqual(r.route(msg, '/a/b'), out, 'a new array for every msg');
  });

  it('stops at the first match when checkall is "false"', () => {
    const r = new MsgRouter({ rules: [{ pattern: '/a/*' }, { pattern: '/a/b' }], checkall: 'false' }, getProperty);
    const out = r.route({ topic: '/a/b' }, '/a/b');
    assert.deepEqual(
      out.map((m) => m && m.route.index),
      [0, null],
    );
  });

  it('sends the unmatched to the otherwise output without a stale msg.route, or nowhere without one', () => {
    const withOtherwise = new MsgRouter({ rules: [{ pattern: '/a' }], otherwise: true }, getProperty);
    assert.equal(withOtherwise.outputs, 2);
    const msg = { topic: '/b', route: { index: 9, pattern: '/old', parts: [] } };
    const out = withOtherwise.route(msg, '/b');
    assert.deepEqual(out, [null, msg]);
    assert.equal('route' in msg, false);
    assert.equal(new MsgRouter({ rules: [{ pattern: '/a' }] }, getProperty).route({ topic: '/b' }, '/b'), null);
    assert.equal(
      new MsgRouter({ rules: [{ pattern: '/a' }], checkall: false }, getProperty).route({ topic: '/b' }, '/b'),
      null,
    );
  });

  it('routes by msg.topic, another property, or msg.osc.address; nothing else is an address', () => {
    const r = new MsgRouter({ rules: [] }, getProperty);
    assert.equal(r.property, 'topic');
    assert.equal(r.address({ topic: '/t', osc: { address: '/o' } }), '/t');
    assert.equal(r.address({ topic: '', osc: { address: '/o' } }), '/o');
    assert.equal(r.address({ topic: 42 }), undefined);
    assert.equal(r.address({ osc: null }), undefined);
    assert.equal(r.address({ osc: { address: '' } }), undefined);
    const byMeta = new MsgRouter({ rules: [], property: 'meta.addr' }, getProperty);
    assert.equal(byMeta.address({ topic: '/ignored', meta: { addr: '/m' } }), '/m');
    assert.equal(byMeta.address({ topic: '/ignored' }), undefined);
  });

  it('keeps an invalid rule out of the table, numbered as the editor numbers it, and routes by the others', () => {
    const r = new MsgRouter(
      { rules: [{ pattern: '/ok' }, { pattern: '/bad/[' }, {}, { pattern: '/also' }] },
      getProperty,
    );
    assert.deepEqual(
      r.invalid.map((i) => [i.number, i.pattern]),
      [
        [2, '/bad/['],
        [3, ''],
      ],
    );
    assert.match(r.invalid[0].detail, /unclosed '\['/);
    assert.deepEqual(
      r.route({ topic: '/also' }, '/also').map((m) => m && m.route.index),
      [null, null, null, 3],
    );
  });
});
