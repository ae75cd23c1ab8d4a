'use strict';
// The monitor's bookkeeping (src/monitor/aggregator.ts), without Node-RED or sockets: rows by address, the caps
// and eviction, truncation, the filter, and what a batch holds.
const assert = require('node:assert/strict');
const { MonitorAggregator, compileFilter, truncateArg } = require('../dist/monitor/aggregator');
const { shortValue } = require('../dist/monitor/format');
const { encodePacket } = require('../dist/osc/codec');

const peer = { address: '127.0.0.1', port: 5000 };

function setup(options = {}) {
  let now = 1000;
  const agg = new MonitorAggregator({ now: () => now, ...options });
  agg.addEndpoint({ id: 'u1', name: 'desk', label: '0.0.0.0:9000', transport: 'udp' });
  agg.addEndpoint({ id: 'u2', name: 'phone', label: '0.0.0.0:9001', transport: 'udp' });
  return {
    agg,
    advance: (ms) => (now += ms),
    /** @type {(address: string, args?: any[], ep?: string, dir?: 'in' | 'out', from?: typeof peer) => void} */
    send: (address, args = [], ep = 'u1', dir = 'in', from = peer) =>
      agg.feed(dir, encodePacket({ address, args }), from, ep),
  };
}

describe('monitor aggregator', () => {
  it('keeps one row per endpoint, direction, peer and address, with the latest values and a count', () => {
    const { agg, send } = setup();
    const w = agg.addWatcher();
    for (let i = 0; i < 60; i++) send('/fader/1', [{ type: 'f', value: i / 64 }]);
    send('/fader/1', [1], 'u1', 'out');
    send('/fader/1', [2], 'u1', 'in', { address: '127.0.0.1', port: 5001 });
    const b = agg.batch(w);
    assert.equal(b.reset, true);
    assert.equal(b.rows.length, 3);
    const fader = b.rows.find((r) => r.direction === 'in' && r.peer.port === 5000);
    assert.equal(fader.count, 60);
    assert.equal(fader.types, 'f');
    assert.deepEqual(fader.args, [{ type: 'f', value: 59 / 64 }]);
    assert.equal(agg.rowCount, 3);
  });

  it('caps the rows per endpoint, evicting the least recently seen, and tells the watcher', () => {
    const { agg, send, advance } = setup({ maxRowsPerEndpoint: 3 });
    const w = agg.addWatcher();
    agg.batch(w);
    send('/a');
    advance(10);
    send('/b');
    advance(10);
    send('/c');
    advance(2000);
    send('/a'); // seen again a while later: no longer the oldest
    send('/d'); // evicts /b
    send('/x', [], 'u2'); // another endpoint has its own cap
    assert.equal(agg.rowCount, 4);
    const b = agg.batch(w);
    assert.deepEqual(b.removed, ['u1|in|127.0.0.1|5000|/b']);
    assert.deepEqual(b.rows.map((r) => r.address).sort(), ['/a', '/c', '/d', '/x']);
  });

  it('truncates long strings, blobs and argument lists, and keeps the type of each argument', () => {
    const { agg, send } = setup({ maxString: 8, maxBlobBytes: 4, maxArgs: 3 });
    const w = agg.addWatcher();
    const blob = new Uint8Array(100).map((_, i) => i);
    send('/t', ['a'.repeat(100), blob, 1, 2, 3]);
    send('/n', [{ type: 'h', value: 2n ** 40n }, { type: 'd', value: Infinity }, true]);
    const [t, n] = agg.batch(w).rows;
    assert.equal(t.types, 'sbiii');
    assert.deepEqual(t.args, [
      { type: 's', value: 'aaaaaaaa', truncated: true },
      { type: 'b', value: '00010203', size: 100, truncated: true },
      { type: 'i', value: 1 },
    ]);
    assert.equal(shortValue(t.args[1]), 'blob[100] 00010203…');
    assert.equal(shortValue(t.args[0]), '"aaaaaaaa"…');
    // float32's digits, not the double it widens to.
    assert.equal(shortValue({ type: 'f', value: Math.fround(0.34) }), '0.34');
    assert.deepEqual(n.args, [
      { type: 'h', value: '1099511627776' },
      { type: 'd', value: 'Infinity' },
      { type: 'T', value: true },
    ]);
    // JSON-able, so it can go to the editor as it is.
    assert.deepEqual(JSON.parse(JSON.stringify(n.args)), n.args);
  });

  it('sends -0, NaN and the infinities by name, since JSON has none of them (-0 would arrive as 0)', () => {
    const lim = { maxString: 8, maxBlobBytes: 4, maxArgs: 4 };
    const names = [-0, NaN, Infinity, -Infinity].map((value) => truncateArg({ type: 'd', value }, lim).value);
    assert.deepEqual(names, ['-0', 'NaN', 'Infinity', '-Infinity']);
    assert.equal(truncateArg({ type: 'f', value: 0 }, lim).value, 0);
  });

  it('counts malformed packets per endpoint and keeps no row for them', () => {
    const { agg } = setup();
    const w = agg.addWatcher();
    agg.feed('in', Buffer.from('/bad\0\0\0\0,q\0\0'), peer, 'u2');
    agg.feed('in', Buffer.from('garbage'), peer, 'u2');
    agg.setCounters('u2', 3, 7);
    const b = agg.batch(w);
    assert.equal(b.rows.length, 0);
    const u2 = b.endpoints.find((e) => e.id === 'u2');
    assert.deepEqual(u2.counts, { malformed: 2, rejected: 3, kernelDrops: 7, messages: 0 });
  });

  it('shows each message of a bundle with the bundle timetag', () => {
    const { agg } = setup();
    const w = agg.addWatcher();
    const timetag = { seconds: 3900000000, fraction: 5 };
    const bytes = encodePacket({
      timetag,
      packets: [
        { address: '/a', args: [1] },
        { timetag, packets: [{ address: '/b', args: ['x'] }] },
      ],
    });
    agg.feed('in', bytes, peer, 'u1');
    const b = agg.batch(w);
    assert.deepEqual(
      b.log.map((m) => [m.address, m.types, m.timetag]),
      [
        ['/a', 'i', timetag],
        ['/b', 's', timetag],
      ],
    );
  });

  it('sends only what changed since the last batch, and nothing when nothing did', () => {
    const { agg, send } = setup();
    const w = agg.addWatcher();
    send('/a', [1]);
    send('/b', [1]);
    assert.equal(agg.batch(w).rows.length, 2);
    assert.equal(agg.batch(w), undefined);
    for (let i = 0; i < 100; i++) send('/a', [i]);
    const b = agg.batch(w);
    assert.equal(b.reset, false);
    assert.deepEqual(
      b.rows.map((r) => [r.address, r.count]),
      [['/a', 101]],
    );
    assert.equal(b.log.length, 100);
  });

  it('bounds a batch: the log keeps the newest and counts the rest; rows beyond the cap follow next time', () => {
    const { agg, send } = setup({ maxLogPerBatch: 10, maxRowsPerBatch: 5, maxRowsPerEndpoint: 100 });
    const w = agg.addWatcher();
    agg.batch(w);
    for (let i = 0; i < 12; i++) send(`/r/${i}`, [i]);
    const b1 = agg.batch(w);
    assert.equal(b1.log.length, 10);
    assert.equal(b1.skipped, 2);
    assert.equal(b1.log[9].address, '/r/11');
    assert.equal(b1.rows.length, 5);
    const b2 = agg.batch(w);
    const b3 = agg.batch(w);
    assert.equal(b2.rows.length + b3.rows.length, 7);
    assert.equal(agg.batch(w), undefined);
  });

  it('holds the log in a ring of the last N', () => {
    const { agg, send } = setup({ logSize: 5 });
    for (let i = 0; i < 12; i++) send(`/l/${i}`);
    assert.deepEqual(
      agg.recent().map((m) => m.address),
      ['/l/7', '/l/8', '/l/9', '/l/10', '/l/11'],
    );
  });

  it('filters the log by address pattern (osc route rules), endpoint and direction; rows are never filtered', () => {
    const { agg, send } = setup();
    const w = agg.addWatcher({ pattern: '/mix/{a,b}/*', endpoint: 'u1', direction: 'in' });
    agg.batch(w);
    send('/mix/a/fader', [1]);
    send('/mix/c/fader', [1]);
    send('/mix/b/mute', [1], 'u2');
    send('/mix/b/mute', [1], 'u1', 'out');
    send('/mix/b/pan', [1]);
    const b = agg.batch(w);
    assert.deepEqual(
      b.log.map((m) => m.address),
      ['/mix/a/fader', '/mix/b/pan'],
    );
    assert.equal(b.rows.length, 5);
    // A new filter: a snapshot under it.
    assert.equal(agg.setFilter(w, { pattern: '//pan' }), undefined);
    const s = agg.batch(w);
    assert.equal(s.reset, true);
    assert.deepEqual(
      s.log.map((m) => m.address),
      ['/mix/b/pan'],
    );
  });

  it('sends no log to a watcher that does not want it (the by-address view), rows still', () => {
    const { agg, send } = setup();
    const w = agg.addWatcher({ log: false });
    send('/a', [1]);
    const b = agg.batch(w);
    assert.equal(b.rows.length, 1);
    assert.equal(b.log.length, 0);
    send('/a', [2]);
    assert.equal(agg.batch(w).log.length, 0);
  });

  it('answers addresses churning faster than batches with a snapshot rather than every key gone', () => {
    const { agg, send } = setup({ maxRowsPerEndpoint: 4, maxRowsPerBatch: 10 });
    const w = agg.addWatcher({ log: false });
    agg.batch(w);
    for (let i = 0; i < 50; i++) send(`/churn/${i}`);
    const b = agg.batch(w);
    assert.equal(b.reset, true);
    assert.deepEqual(
      b.rows.map((r) => r.address),
      ['/churn/46', '/churn/47', '/churn/48', '/churn/49'],
    );
  });

  it('reports an invalid pattern instead of throwing, and then lets nothing through', () => {
    const f = compileFilter({ pattern: '/a/[bc' });
    assert.match(f.error, /\[/);
    assert.equal(f.passes({ endpoint: 'u1', direction: 'in', address: '/a/b' }), false);
    assert.equal(compileFilter({ pattern: '  ' }).passes({ endpoint: 'x', direction: 'out', address: '/z' }), true);
  });

  it('computes messages per second and drops a quiet row to 0', () => {
    const { agg, send, advance } = setup();
    const w = agg.addWatcher();
    for (let i = 0; i < 60; i++) {
      send('/fader', [i]);
      advance(1000 / 60);
    }
    agg.updateRates();
    assert.equal(agg.batch(w).rows[0].rate, 60);
    advance(1000);
    agg.updateRates();
    assert.equal(agg.batch(w).rows[0].rate, 0);
  });

  it('forgets a closed endpoint: its rows go, it is reported closed once', () => {
    const { agg, send } = setup();
    const w = agg.addWatcher();
    send('/a', [], 'u2');
    agg.batch(w);
    agg.removeEndpoint('u2');
    const b = agg.batch(w);
    assert.deepEqual(b.removed, ['u2|in|127.0.0.1|5000|/a']);
    assert.equal(b.endpoints.find((e) => e.id === 'u2').closed, true);
    assert.equal(
      agg.batch(w, true).endpoints.find((e) => e.id === 'u2'),
      undefined,
    );
    send('/b', [], 'u2');
    assert.equal(agg.rowCount, 0);
  });
});
