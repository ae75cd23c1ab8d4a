'use strict';
// osc-out's work without Node-RED: where a msg goes (Destination), encoding and sending it through the right
// endpoint with every failure worded for done() (Sender), and its own sockets (OwnSockets), with fake endpoints.
const assert = require('node:assert/strict');
const codec = require('../dist/osc/codec');
const { EndpointError } = require('../dist/transport/endpoint');
const { Destination } = require('../dist/nodes/destination');
const { Sender, OwnSockets, sharedRoute } = require('../dist/nodes/sender');
const { EndpointWords } = require('../dist/nodes/endpoint-words');
const { Texts } = require('../dist/nodes/texts');

const texts = new Texts('osc-out');
const words = new EndpointWords(texts);

/**
 * @typedef {import('../dist/transport/endpoint').EndpointHandle & { sends: any[], released: number }} FakeHandle
 */

/**
 * A fake endpoint handle: records sends, answers each with `answer()` on the next turn. Its endpoint has only the
 * maxPacket the Sender reads.
 * @param {{ maxPacket?: number, answer?: () => Error | null }} [fake]
 * @returns {FakeHandle}
 */
function fakeHandle({ maxPacket = 65507, answer = () => null } = {}) {
  const h = /** @type {any} */ ({ sends: [], released: 0 });
  h.endpoint = { maxPacket };
  h.send = (data, port, host, cb) => {
    h.sends.push({ data, port, host });
    setImmediate(() => cb(answer()));
  };
  h.release = () => {
    h.released++;
    return Promise.resolve();
  };
  return h;
}

/** Sends msg and resolves with what done() got. */
function send(sender, msg, route) {
  return new Promise((resolve) => sender.send(msg, route, (err) => resolve(err)));
}

describe('osc-out destination (Destination)', () => {
  it('uses Host and Port when set, msg.ip and msg.port otherwise', () => {
    const both = new Destination({ host: ' 10.0.0.5 ', port: '9001' }, false);
    assert.equal(both.resolve({ ip: '1.1.1.1', port: 1 }), undefined);
    assert.deepEqual([both.host, both.port, both.fixed], ['10.0.0.5', 9001, true]);
    const none = new Destination({ host: '', port: '' }, false);
    assert.equal(none.resolve({ ip: '1.1.1.1', port: 1 }), undefined);
    assert.deepEqual([none.host, none.port, none.fixed], ['1.1.1.1', 1, false]);
    const hostOnly = new Destination({ host: 'mixer.local' }, false);
    assert.equal(hostOnly.resolve({ ip: '1.1.1.1', port: '8000' }), undefined);
    assert.deepEqual([hostOnly.host, hostOnly.port], ['mixer.local', 8000]);
  });

  it('says why there is no destination, each with NO_DESTINATION', () => {
    const t = (d, msg) => {
      const e = d.resolve(msg);
      return e && [e.code, texts.t(e.key, e.params)];
    };
    assert.deepEqual(t(new Destination({}, false), { port: 1 }), [
      'NO_DESTINATION',
      'no destination host: set Host in the node, or msg.ip',
    ]);
    assert.deepEqual(t(new Destination({}, false), { ip: 'h' }), [
      'NO_DESTINATION',
      'no valid destination port (1-65535): no msg.port',
    ]);
    assert.deepEqual(t(new Destination({}, false), { ip: 'h', port: 70000 }), [
      'NO_DESTINATION',
      'no valid destination port (1-65535): msg.port 70000',
    ]);
    assert.deepEqual(t(new Destination({ port: 'abc' }, false), { ip: 'h', port: 1 }), [
      'NO_DESTINATION',
      'no valid destination port (1-65535): Port abc',
    ]);
    assert.deepEqual(t(new Destination({ host: 'x', port: '1' }, true), { port: -1 }), [
      'NO_DESTINATION',
      'msg.port -1 is not a port number (1-65535)',
    ]);
  });

  it('describes where it sends for the status: Host and Port, or the msg property standing in for either', () => {
    assert.equal(new Destination({ host: '10.0.0.5', port: '9001' }, false).describe(), '10.0.0.5:9001');
    assert.equal(new Destination({ host: 'fe80::1', port: 9001 }, false).describe(), '[fe80::1]:9001');
    assert.equal(new Destination({ host: '', port: '9001' }, false).describe(), 'msg.ip:9001');
    assert.equal(new Destination({ host: 'mixer.local' }, false).describe(), 'mixer.local:msg.port');
    assert.equal(new Destination({}, false).describe(), 'msg.ip');
  });

  it('over TCP ignores Host and Port: msg.ip and msg.port name a client of a server, neither means every client', () => {
    const d = new Destination({ host: '10.0.0.5', port: '9001' }, true);
    assert.equal(d.fixed, false);
    assert.equal(d.resolve({}), undefined);
    assert.deepEqual([d.host, d.port], ['', 0]);
    assert.equal(d.resolve({ ip: '10.0.0.7', port: '5000' }), undefined);
    assert.deepEqual([d.host, d.port], ['10.0.0.7', 5000]);
  });
});

describe('osc-out work (Sender)', () => {
  it('encodes and sends to the destination, counting what went out', async () => {
    let changed = 0;
    const s = new Sender({ host: '127.0.0.1', port: '9001', numbers: 'float' }, false, texts, words, () => changed++);
    const h = fakeHandle();
    assert.equal(await send(s, { topic: '/a', payload: 1 }, sharedRoute(h)), undefined);
    assert.deepEqual(codec.decodePacket(h.sends[0].data), { address: '/a', args: [{ type: 'f', value: 1 }] });
    assert.deepEqual([h.sends[0].host, h.sends[0].port], ['127.0.0.1', 9001]);
    assert.deepEqual([s.sent, s.failed, changed], [1, 0, 1]);
  });

  it('fails a msg with one sentence and its code: no destination, not encodable, too big, refused by the endpoint', async () => {
    const s = new Sender({ address: '' }, false, texts, words, () => {});
    const small = fakeHandle({ maxPacket: 32 });
    const route = sharedRoute(small);
    const errs = [
      await send(s, { topic: '/a' }, route),
      await send(s, { payload: 1, ip: 'h', port: 1 }, route),
      await send(s, { topic: '/a', payload: 'x'.repeat(64), ip: 'h', port: 1 }, route),
    ];
    assert.deepEqual(
      errs.map((e) => e.code),
      ['NO_DESTINATION', 'NO_ADDRESS', 'LIMIT_EXCEEDED'],
    );
    assert.equal(String(errs[2]), 'the packet is 76 bytes, more than the 32 one UDP datagram can carry');
    assert.equal(small.sends.length, 0);
    const refusing = fakeHandle({
      answer: () =>
        new EndpointError(
          'ENOTCONN',
          'endpoint 1.2.3.4:5 closed before the packet was sent',
          'closed',
          'ENOTCONN.udpClosed',
          { label: '1.2.3.4:5' },
        ),
    });
    const e = await send(s, { topic: '/a', ip: '::1', port: 9 }, sharedRoute(refusing));
    assert.equal(e.code, 'ENOTCONN');
    assert.equal(String(e), 'send to [::1]:9 failed: endpoint 1.2.3.4:5 closed before the packet was sent');
    const tcp = new Sender({}, true, texts, words, () => {});
    const sys = fakeHandle({ answer: () => Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }) });
    const t = await send(tcp, { topic: '/a' }, sharedRoute(sys));
    assert.deepEqual([t.code, String(t)], ['EPIPE', 'send over TCP failed: write EPIPE']);
    assert.deepEqual([s.failed, s.lastCode, s.sent], [4, 'ENOTCONN', 0]);
  });
});

describe("osc-out's own sockets (OwnSockets)", () => {
  const opener = () => {
    const opened = [];
    return { opened, open: (options, user) => (opened.push({ options, user }), fakeHandle()) };
  };

  it('connects its socket to a fixed Host and Port, of the family Host needs', async () => {
    const o = opener();
    const user = {};
    const own = new OwnSockets(new Destination({ host: '::1', port: '9000' }, false), user, o.open);
    assert.deepEqual(
      o.opened.map((x) => x.options),
      [{ ipv: 'udp6', localPort: 0, remoteHost: '::1', remotePort: 9000 }],
    );
    assert.equal(o.opened[0].user, user);
    assert.equal(own.forHost('::1'), own.handle);
    await own.release();
    assert.equal(/** @type {FakeHandle} */ (own.handle).released, 1);
  });

  it('with no Host, opens a socket of the other family on the first msg.ip of that family, and releases both', async () => {
    const o = opener();
    const own = new OwnSockets(new Destination({ host: '', port: '' }, false), {}, o.open);
    assert.deepEqual(
      o.opened.map((x) => x.options),
      [{ ipv: 'udp4', localPort: 0 }],
    );
    assert.equal(own.forHost('10.0.0.1'), own.handle);
    const v6 = own.forHost('fe80::1');
    assert.notEqual(v6, own.handle);
    assert.equal(own.forHost('::1'), v6, 'opened once');
    assert.deepEqual(
      o.opened.map((x) => x.options.ipv),
      ['udp4', 'udp6'],
    );
    await own.release();
    assert.deepEqual(
      [/** @type {FakeHandle} */ (own.handle).released, /** @type {FakeHandle} */ (v6).released],
      [1, 1],
    );
  });
});
