'use strict';
// osc-in's work without Node-RED: PacketReceiver (packets to msgs, errors at a bounded rate) and its scheduling
// glue (scheduleSettings, ScheduledBundles), with a fake node collecting what they send and say.
const assert = require('node:assert/strict');
const codec = require('../dist/osc/codec');
const { PacketReceiver, ERRORS_PER_SECOND } = require('../dist/nodes/receiver');
const { scheduleSettings, DEFAULT_HORIZON_S } = require('../dist/nodes/scheduling');
const { Texts } = require('../dist/nodes/texts');

const texts = new Texts('osc-in');

/** A stand-in for the node: records every call. */
function fakeNode() {
  const n = { sent: [], groups: [], errors: [], warnings: [], logs: [], changed: 0, changedNow: 0 };
  n.out = {
    send: (msg) => n.sent.push(msg),
    sendGroup: (msgs) => n.groups.push(msgs),
    error: (report, msg) => n.errors.push({ report, msg }),
    warn: (text) => n.warnings.push(text),
    log: (text) => n.logs.push(text),
    changed: () => n.changed++,
    changedNow: () => n.changedNow++,
  };
  return n;
}

const MSG = codec.encodePacket({ address: '/a', args: [1] });
const bundle = (timetag, packets) => codec.encodePacket({ timetag, packets });

describe('osc-in work (PacketReceiver)', () => {
  const receivers = [];
  /**
   * @param {import('../dist/nodes/receiver').ReceiveConfig} config
   * @returns {[PacketReceiver, ReturnType<typeof fakeNode>]}
   */
  const make = (config, n = fakeNode()) => {
    const r = new PacketReceiver(config, texts, n.out);
    receivers.push(r);
    return [r, n];
  };
  afterEach(() => receivers.splice(0).forEach((r) => r.close()));

  it('sends a message as one msg, a bundle as its messages one by one or whole, with the sender', () => {
    let [r, n] = make({});
    r.packet(MSG, '10.0.0.1', 9000);
    r.packet(
      bundle(codec.IMMEDIATELY, [
        { address: '/b', args: [] },
        { address: '/c', args: ['x'] },
      ]),
      '10.0.0.2',
      1,
    );
    assert.deepEqual(
      n.sent.map((m) => [m.topic, m.ip, m.port]),
      [
        ['/a', '10.0.0.1', 9000],
        ['/b', '10.0.0.2', 1],
        ['/c', '10.0.0.2', 1],
      ],
    );
    assert.equal(n.sent[0].payload, 1);
    assert.match(n.sent[0]._msgid, /^[0-9a-f]{16}$/, 'each msg with an id of ours');
    assert.equal(new Set(n.sent.map((m) => m._msgid)).size, 3);
    assert.equal(r.received, 3);
    assert.equal(n.changed, 2, 'the status is told once per packet');
    [r, n] = make({ bundles: 'whole', payloadArray: 'true' });
    r.packet(bundle(codec.IMMEDIATELY, [{ address: '/b', args: [] }]), '10.0.0.2', 1);
    r.packet(MSG, '10.0.0.1', 9000);
    assert.equal(n.sent[0].topic, '#bundle');
    assert.deepEqual(n.sent[1].payload, [1], 'payloadArray as saved by the editor ("true")');
  });

  it('reports a malformed packet as one sentence with its code, the bytes and the sender for Catch nodes', () => {
    const [r, n] = make({});
    const bad = Buffer.from('/bad\0\0\0\0,i\0\0', 'latin1');
    r.packet(bad, '::1', 5000);
    assert.equal(n.sent.length, 0);
    assert.equal(n.errors.length, 1);
    const { report, msg } = n.errors[0];
    assert.equal(report.code, 'TRUNCATED');
    assert.match(String(report), /^malformed OSC packet from \[::1\]:5000 \(12 bytes\): TRUNCATED: /);
    assert.deepEqual(msg, { payload: bad, ip: '::1', port: 5000 });
    assert.deepEqual([r.errors.count, r.errors.lastCode], [1, 'TRUNCATED']);
  });

  it('reports ERRORS_PER_SECOND malformed packets one by one, counts all, and sums up the rest in one warning', async () => {
    const n = fakeNode();
    const summary = new Promise((resolve) => (n.out.warn = resolve));
    const [r] = make({}, n);
    for (let i = 0; i < ERRORS_PER_SECOND + 5; i++) r.packet(Buffer.from([1, 2, 3, 4]), '127.0.0.1', 1);
    assert.equal(n.errors.length, ERRORS_PER_SECOND);
    assert.equal(r.errors.count, ERRORS_PER_SECOND + 5);
    assert.equal(await summary, '5 more malformed OSC packets in the last second not reported one by one');
  });

  it('words a stream error with its peer, or without one', () => {
    const [r, n] = make({});
    const e = Object.assign(new Error('invalid SLIP escape'), { code: 'BAD_FRAME' });
    r.streamError(e, { address: '10.0.0.9', port: 53000 });
    r.streamError(e, undefined);
    assert.deepEqual(
      n.errors.map((x) => [String(x.report), x.report.code, x.msg]),
      [
        [
          'TCP stream from 10.0.0.9:53000: BAD_FRAME: invalid SLIP escape',
          'BAD_FRAME',
          { ip: '10.0.0.9', port: 53000 },
        ],
        ['TCP stream: BAD_FRAME: invalid SLIP escape', 'BAD_FRAME', {}],
      ],
    );
  });

  it('holds future bundles when scheduling, sends each due group at once as one group, refuses what does not fit', () => {
    const [r, n] = make({ schedule: true, queueSize: '1', horizon: '10' });
    r.packet(
      bundle(codec.IMMEDIATELY, [
        { address: '/now', args: [] },
        { address: '/too', args: [] },
      ]),
      '10.0.0.1',
      7,
    );
    assert.deepEqual(
      n.groups.map((g) => g.map((m) => m.topic)),
      [['/now', '/too']],
    );
    assert.equal(n.groups[0][0].ip, '10.0.0.1');
    r.packet(bundle(Date.now() + 5000, [{ address: '/later', args: [] }]), '10.0.0.1', 7);
    assert.equal(n.changedNow, 1, 'the first bundle to wait shows at once');
    assert.equal(r.scheduled.stats().waiting, 1);
    r.packet(bundle(Date.now() + 5000, [{ address: '/full', args: [] }]), '10.0.0.1', 7);
    r.packet(bundle(Date.now() + 60000, [{ address: '/far', args: [] }]), '10.0.0.1', 7);
    assert.deepEqual(
      n.errors.map((x) => x.report.code),
      ['LIMIT_EXCEEDED', 'BAD_TIMETAG'],
    );
    assert.match(String(n.errors[0].report), /^bundle from 10\.0\.0\.1:7 not scheduled: scheduler queue full/);
    assert.equal(r.received, 2);
    r.close();
    assert.deepEqual(n.logs, ['1 scheduled bundle discarded on close']);
  });

  it("drops late bundles under the 'drop' policy with a warning naming the sender", () => {
    const [r, n] = make({ schedule: 'true', late: 'drop' });
    r.packet(
      bundle(Date.now() - 1000, [
        { address: '/stale', args: [] },
        { address: '/stale2', args: [] },
      ]),
      '10.0.0.1',
      7,
    );
    assert.equal(n.groups.length, 0);
    assert.match(n.warnings[0], /^late bundle from 10\.0\.0\.1:7 dropped: 2 messages due \d+ ms ago$/);
    assert.equal(r.scheduled.stats().dropped, 1);
  });
});

describe('osc-in scheduling settings (scheduleSettings)', () => {
  it('takes the node properties, empty meaning the default', () => {
    assert.deepEqual(scheduleSettings({ queueSize: '5', horizon: '2.5', late: 'drop' }), {
      maxQueue: 5,
      horizonMs: 2500,
      late: 'drop',
      warning: undefined,
    });
    const d = scheduleSettings({ queueSize: '', horizon: undefined });
    assert.deepEqual([d.maxQueue, d.horizonMs, d.late, d.warning], [1000, DEFAULT_HORIZON_S * 1000, 'emit', undefined]);
  });

  it('replaces a property that is not valid by its default, and says which', () => {
    const both = scheduleSettings({ queueSize: '1.5', horizon: '-1' });
    assert.deepEqual([both.maxQueue, both.horizonMs], [1000, DEFAULT_HORIZON_S * 1000]);
    assert.equal(
      texts.t(both.warning.key, both.warning.params),
      'invalid queue size 1.5 and horizon -1: using the default (1000 bundles, 3600 s)',
    );
    const q = scheduleSettings({ queueSize: 'x', horizon: '5' });
    assert.equal(q.horizonMs, 5000);
    assert.equal(
      texts.t(q.warning.key, q.warning.params),
      'invalid queue size x: using the default (1000 bundles, 3600 s)',
    );
    const h = scheduleSettings({ queueSize: '3', horizon: 'soon' });
    assert.equal(h.maxQueue, 3);
    assert.equal(
      texts.t(h.warning.key, h.warning.params),
      'invalid horizon soon: using the default (1000 bundles, 3600 s)',
    );
  });
});
