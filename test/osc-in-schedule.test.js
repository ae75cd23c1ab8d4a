'use strict';
// Bundles in time, end to end over real UDP on 127.0.0.1 with the real clock: osc-in holding bundles until
// their timetags are due (atomic groups, bounded queue, horizon, late policy, status), and osc-out's relative
// timetags and nested bundles. Ordering and policy on a fake clock are covered by test/scheduler.test.js.
const assert = require('node:assert/strict');
const codec = require('../dist/osc/codec');
const { wallClockNow } = require('../dist/osc/clock');
const { helper, UDP_NODES, oscInFlow, waitStatus, listeningPort, collect: collectMsgs } = require('./helpers/nodes');
const { udpPeer, sendTo } = require('./helpers/net');

/** Each input of a helper node with the time it arrived (a send of an array of msgs arrives as one call each). */
const collect = (node, n) => collectMsgs(node, n, (msg) => ({ msg, at: Date.now() }));

/** osc-in scheduling bundles: a queue of 1000, a horizon of an hour, late bundles emitted at once. */
function flow(inProps = {}) {
  return oscInFlow({ schedule: true, queueSize: 1000, horizon: 3600, late: 'emit', ...inProps });
}

const bundle = (whenMs, packets) => codec.encodePacket({ timetag: whenMs, packets });

describe('osc-in scheduling bundles (real clock)', function () {
  let sender;
  before(async () => {
    sender = await udpPeer();
  });
  after(() => sender.close());
  afterEach(async () => {
    await helper.unload();
  });

  it('holds a future bundle until due, shows it waiting, then emits its messages together and in order', async () => {
    await helper.load(UDP_NODES, flow());
    const in1 = helper.getNode('in1');
    const port = await listeningPort(in1);
    const got = collect(helper.getNode('out'), 4);
    const sendSpy = in1.send;
    const due = Date.now() + 300;
    await sendTo(
      sender,
      bundle(due, [
        { address: '/late/1', args: [1] },
        { address: '/late/2', args: [2] },
        { address: '/late/3', args: [3] },
      ]),
      port,
    );
    await waitStatus(in1, /1 waiting \(next in 0\.\d s\)/);
    // A plain message and an "immediately" bundle overtake the waiting bundle.
    await sendTo(sender, codec.encodePacket({ address: '/now', args: [] }), port);
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.msg.topic),
      ['/now', '/late/1', '/late/2', '/late/3'],
    );
    for (const m of msgs.slice(1)) assert.ok(m.at >= due - 1, `emitted ${due - m.at} ms early`);
    // Together: one send of an array holding the group.
    const groupSend = sendSpy
      .getCalls()
      .find((c) => Array.isArray(c.args[0]) && Array.isArray(c.args[0][0]) && c.args[0][0].length === 3);
    assert.ok(groupSend, 'the three messages went out in one send');
    assert.deepEqual(msgs[1].msg.osc.timetag, codec.timetagFromMillis(due));
    assert.deepEqual([msgs[1].msg.ip, msgs[1].msg.port], ['127.0.0.1', sender.address().port]);
    await waitStatus(in1, /listening on 127\.0\.0\.1:\d+ · 4 in$/);
  });

  it('releases bundles with sub-millisecond timetags in order, none before due on the wall clock', async () => {
    await helper.load(UDP_NODES, flow());
    const port = await listeningPort(helper.getNode('in1'));
    const got = collectMsgs(helper.getNode('out'), 12, (msg) => ({ msg, at: wallClockNow() }));
    const base = wallClockNow() + 60;
    // Sent in shuffled order; some 0.2 ms apart.
    const offsets = [7.3, 0.2, 3.91, 0.4, 11.05, 5.5, 0, 9.99, 2.2, 0.6, 8.125, 1.0001];
    for (const [i, o] of offsets.entries())
      await sendTo(sender, bundle(base + o, [{ address: `/n/${i}`, args: [i] }]), port);
    const msgs = await got;
    const sorted = [...offsets.keys()].sort((a, b) => offsets[a] - offsets[b]);
    assert.deepEqual(
      msgs.map((m) => m.msg.topic),
      sorted.map((i) => `/n/${i}`),
    );
    for (const m of msgs) {
      const due = codec.timetagToMillis(m.msg.osc.timetag);
      assert.ok(m.at >= due, `${m.msg.topic} released ${(due - m.at).toFixed(4)} ms early`);
    }
  });

  it('emits "immediately" and past bundles at once; nested bundles at their own (later) times', async () => {
    await helper.load(UDP_NODES, flow());
    const in1 = helper.getNode('in1');
    const port = await listeningPort(in1);
    const got = collect(helper.getNode('out'), 4);
    const t0 = Date.now();
    await sendTo(
      sender,
      codec.encodePacket({ timetag: codec.IMMEDIATELY, packets: [{ address: '/imm', args: [] }] }),
      port,
    );
    await sendTo(
      sender,
      codec.encodePacket({
        timetag: t0 - 5,
        packets: [
          { address: '/outer', args: [] },
          { timetag: t0 + 200, packets: [{ address: '/inner', args: [] }] },
          { address: '/outer2', args: [] },
        ],
      }),
      port,
    );
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.msg.topic),
      ['/imm', '/outer', '/outer2', '/inner'],
    );
    assert.ok(msgs[3].at >= t0 + 199);
    assert.ok(msgs[1].at < t0 + 150, 'the past part went at once');
  });

  it('refuses a bundle beyond the horizon and one that would overfill the queue, with catchable errors', async () => {
    await helper.load(UDP_NODES, flow({ queueSize: 1, horizon: 10 }));
    const in1 = helper.getNode('in1');
    const port = await listeningPort(in1);
    const caught = collect(helper.getNode('caught'), 2);
    await sendTo(sender, bundle(Date.now() + 60000, [{ address: '/far', args: [] }]), port);
    await sendTo(sender, bundle(Date.now() + 5000, [{ address: '/held', args: [] }]), port);
    await waitStatus(in1, /1 waiting/);
    await sendTo(sender, bundle(Date.now() + 5000, [{ address: '/full', args: [] }]), port);
    const errs = (await caught).map((c) => c.msg);
    assert.deepEqual(
      errs.map((e) => e.error.code),
      ['BAD_TIMETAG', 'LIMIT_EXCEEDED'],
    );
    assert.match(errs[0].error.message, /beyond the scheduling horizon of 10000 ms/);
    assert.match(errs[1].error.message, /queue full/);
    assert.equal(errs[1].ip, '127.0.0.1');
    assert.ok(Buffer.isBuffer(errs[1].payload));
  });

  it("drops late bundles under the 'drop' policy, counting and warning, and emits them under 'emit'", async () => {
    await helper.load(UDP_NODES, flow({ late: 'drop' }));
    let in1 = helper.getNode('in1');
    let port = await listeningPort(in1);
    const got = collect(helper.getNode('out'), 1);
    await sendTo(sender, bundle(Date.now() - 1000, [{ address: '/stale', args: [] }]), port);
    await sendTo(sender, bundle(codec.IMMEDIATELY, [{ address: '/fresh', args: [] }]), port);
    assert.equal((await got)[0].msg.topic, '/fresh');
    await waitStatus(in1, /· 1 late dropped/);
    assert.match(
      String(in1.warn.firstCall.args[0]),
      /late bundle from 127\.0\.0\.1:\d+ dropped: 1 message due \d+ ms ago/,
    );
    await helper.unload();

    await helper.load(UDP_NODES, flow({ late: 'emit' }));
    in1 = helper.getNode('in1');
    port = await listeningPort(in1);
    const got2 = collect(helper.getNode('out'), 1);
    await sendTo(sender, bundle(Date.now() - 1000, [{ address: '/stale', args: [] }]), port);
    assert.equal((await got2)[0].msg.topic, '/stale');
    await waitStatus(in1, /· 1 late$/);
  });

  it('with whole bundles, emits each due group as one bundle msg', async () => {
    await helper.load(UDP_NODES, flow({ bundles: 'whole' }));
    const port = await listeningPort(helper.getNode('in1'));
    const got = collect(helper.getNode('out'), 1);
    const due = Date.now() + 100;
    await sendTo(
      sender,
      bundle(due, [
        { address: '/a', args: [1] },
        { address: '/b', args: [] },
      ]),
      port,
    );
    const [{ msg, at }] = await got;
    assert.ok(at >= due - 1);
    assert.equal(msg.topic, '#bundle');
    assert.deepEqual(msg.osc.timetag, codec.timetagFromMillis(due));
    assert.deepEqual(
      msg.osc.packets.map((p) => [p.address, p.types]),
      [
        ['/a', ',i'],
        ['/b', ','],
      ],
    );
  });

  it('discards what waits on close: nothing comes out of a stopped node', async () => {
    await helper.load(UDP_NODES, flow());
    const in1 = helper.getNode('in1');
    const port = await listeningPort(in1);
    let emitted = 0;
    helper.getNode('out').on('input', () => emitted++);
    const logs = [];
    in1.log = (m) => logs.push(String(m));
    const due = Date.now() + 150;
    await sendTo(sender, bundle(due, [{ address: '/never', args: [] }]), port);
    await waitStatus(in1, /1 waiting/);
    await helper.unload();
    assert.deepEqual(logs, ['1 scheduled bundle discarded on close']);
    // Wait past the due time (nothing can be awaited for an absence): the closed node's timer is gone.
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now()) + 100));
    assert.equal(emitted, 0);
  });

  it('without scheduling (the default), bundles go at once whatever their timetag', async () => {
    await helper.load(UDP_NODES, flow({ schedule: false }));
    const port = await listeningPort(helper.getNode('in1'));
    const got = collect(helper.getNode('out'), 1);
    const t0 = Date.now();
    await sendTo(sender, bundle(t0 + 60000, [{ address: '/future', args: [] }]), port);
    const [{ at }] = await got;
    assert.ok(at - t0 < 30000);
  });
});

describe('osc-out timetags and nested bundles', function () {
  let receiver;
  let received;
  beforeEach(async () => {
    receiver = await udpPeer();
    received = [];
    receiver.on('message', (b) => received.push(codec.decodePacket(b)));
  });
  afterEach(async () => {
    await helper.unload();
    receiver.close();
  });

  /** osc out o1 sending to the receiver, and a Catch node collecting its errors in the helper node `caught`. */
  function loadOut() {
    return helper.load(UDP_NODES, [
      { id: 'f1', type: 'tab' },
      {
        id: 'o1',
        z: 'f1',
        type: 'osc-out',
        endpoint: '',
        host: '127.0.0.1',
        port: String(receiver.address().port),
        address: '',
        numbers: 'int',
      },
      { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
    ]);
  }

  async function sendAll(msgs) {
    await loadOut();
    const before = Date.now();
    for (const m of msgs) helper.getNode('o1').receive(m);
    while (received.length < msgs.length) await new Promise((r) => receiver.once('message', r));
    return { before, after: Date.now(), packets: received };
  }

  const ms = (tt) => codec.timetagToMillis(tt);

  it('reads "+seconds" strings and numbers below 1e11 as from now, larger numbers as epoch ms', async () => {
    const el = [{ topic: '/a', payload: 1 }];
    const { before, after, packets } = await sendAll([
      { payload: el, timetag: '+0.25' },
      { payload: el, timetag: '+ 2' },
      { payload: el, timetag: 500 },
      { payload: el, timetag: 0 },
      { payload: el, timetag: 1893456000000 },
    ]);
    const at = packets.map((p) => ms(p.timetag));
    const within = (t, offset) => t >= before + offset - 1 && t <= after + offset + 1;
    assert.ok(within(at[0], 250), `"+0.25": ${at[0] - before}`);
    assert.ok(within(at[1], 2000), `"+ 2": ${at[1] - before}`);
    assert.ok(within(at[2], 500), `500: ${at[2] - before}`);
    assert.ok(within(at[3], 0), `0: ${at[3] - before}`);
    assert.equal(at[4], 1893456000000);
    // "Now" is the scheduler's clock, with fractions of a millisecond (Date.now() would make all four whole).
    assert.ok(
      at.slice(0, 4).some((t) => !Number.isInteger(t)),
      `relative timetags on a whole-millisecond clock: ${at.slice(0, 4).map((t) => t - before)}`,
    );
  });

  it('refuses negative numbers and other text with BAD_TIMETAG', async () => {
    await loadOut();
    const caught = new Promise((resolve) => {
      const errs = [];
      helper.getNode('caught').on('input', (m) => errs.push(m) === 4 && resolve(errs));
    });
    for (const timetag of [-5, '0.25', '+x']) helper.getNode('o1').receive({ payload: [{ topic: '/a' }], timetag });
    // node-red-contrib-osc's bundle object: its timeTag would mean seconds; refused rather than sent at once.
    helper.getNode('o1').receive({ payload: { timeTag: 2, packets: [{ address: '/a', args: [] }] } });
    const errs = await caught;
    assert.deepEqual(
      errs.map((e) => e.error.code),
      ['BAD_TIMETAG', 'BAD_TIMETAG', 'BAD_TIMETAG', 'BAD_TIMETAG'],
    );
    assert.match(errs[3].error.message, /timeTag \(node-red-contrib-osc\) is not read/);
    assert.match(errs[0].error.message, /"\+seconds" from now/);
    assert.equal(received.length, 0);
  });

  it('sends nested bundles: an array element with its parent timetag, {timetag, packets} with its own, and a bundle object payload', async () => {
    const when = 1893456000000;
    const { before, packets } = await sendAll([
      {
        payload: [
          { topic: '/a', payload: 1 },
          [{ topic: '/b', payload: 2 }, [{ topic: '/c', payload: 3 }]],
          { timetag: '+1', packets: [{ topic: '/d', payload: 4 }] },
          { packets: [{ topic: '/e', payload: 5 }] },
        ],
        timetag: when,
      },
      { payload: { timetag: when, packets: [{ address: '/f', args: [{ type: 'f', value: 6 }] }] } },
    ]);
    const [nested, obj] = packets;
    const wt = codec.timetagFromMillis(when);
    assert.deepEqual(nested.timetag, wt);
    assert.deepEqual(nested.packets[0], { address: '/a', args: [{ type: 'i', value: 1 }] });
    assert.deepEqual(nested.packets[1].timetag, wt);
    assert.deepEqual(nested.packets[1].packets[0], { address: '/b', args: [{ type: 'i', value: 2 }] });
    assert.deepEqual(nested.packets[1].packets[1], {
      timetag: wt,
      packets: [{ address: '/c', args: [{ type: 'i', value: 3 }] }],
    });
    assert.ok(Math.abs(ms(nested.packets[2].timetag) - (before + 1000)) < 2000);
    assert.deepEqual(nested.packets[3].timetag, wt, "a nested bundle without a timetag takes its parent's");
    assert.deepEqual(obj, { timetag: wt, packets: [{ address: '/f', args: [{ type: 'f', value: 6 }] }] });
  });

  it('end to end: osc-out "+0.2" into a scheduling osc-in arrives about 0.2 s later', async () => {
    await helper.load(UDP_NODES, [
      { id: 'f1', type: 'tab' },
      { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0, ipv: 'udp4' },
      {
        id: 'in1',
        z: 'f1',
        type: 'osc-in',
        endpoint: 'udp1',
        bundles: 'split',
        schedule: true,
        queueSize: 10,
        horizon: 60,
        late: 'emit',
        wires: [['out']],
      },
      { id: 'out', z: 'f1', type: 'helper' },
      {
        id: 'o1',
        z: 'f1',
        type: 'osc-out',
        endpoint: 'udp1',
        host: '127.0.0.1',
        port: '',
        address: '',
        numbers: 'int',
      },
    ]);
    const port = await listeningPort(helper.getNode('in1'));
    const got = collect(helper.getNode('out'), 2);
    const t0 = Date.now();
    helper.getNode('o1').receive({
      payload: [
        { topic: '/s_new', payload: ['sine', 1000] },
        { topic: '/n_set', payload: [1000, 'freq', 440] },
      ],
      timetag: '+0.2',
      port,
    });
    const msgs = await got;
    assert.deepEqual(
      msgs.map((m) => m.msg.topic),
      ['/s_new', '/n_set'],
    );
    assert.ok(msgs[0].at - t0 >= 199, `after ${msgs[0].at - t0} ms`);
  });
});
