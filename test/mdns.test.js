'use strict';
// The mDNS core without the network: the DNS codec on hostile input, and the responder over a transport that
// records what it would send (what is answered where, caps, TTLs, goodbyes, probing). Real peers are in
// test/mdns-interop.test.js.
const assert = require('node:assert/strict');
const { once } = require('node:events');
const packet = require('../dist/transport/mdns/packet');
const { Responder, LIMITS, bindingOf, addressesOn, ifaceOfSource } = require('../dist/transport/mdns/responder');
const discovery = require('../dist/transport/discovery');
// The hand-made DNS bytes the fuzz target seeds with, built the same way here.
const { header, label } = require('../fuzz/mdns-target');

const LO = { name: 'lo', loopback: true, v4: [{ address: '127.0.0.1', netmask: '255.0.0.0' }], v6: ['::1'] };
const ETH = {
  name: 'eth0',
  loopback: false,
  v4: [{ address: '192.0.2.2', netmask: '255.255.255.0' }],
  v6: ['fd00::2'],
};
const NEIGHBOUR = { address: '192.0.2.77', port: 5353 };
const LOCAL = { address: '127.0.0.1', port: 5353 };

const T = { A: 1, PTR: 12, TXT: 16, AAAA: 28, SRV: 33, ANY: 255 };

function decodeError(buf) {
  try {
    packet.decodeMessage(buf);
  } catch (e) {
    assert.ok(packet.isMdnsError(e), `not an MdnsError: ${e && e.stack}`);
    assert.ok(e.offset >= -1 && e.offset <= buf.length, `offset ${e.offset}`);
    return e.code;
  }
  return 'decoded';
}

describe('mDNS packets (dist/transport/mdns/packet.js)', () => {
  it('encodes and decodes a DNS-SD announcement, names compressed, case and dots in labels kept', () => {
    const instance = ['Studio.A (2)', '_osc', '_udp', 'local'];
    const m = {
      response: true,
      answers: [
        { name: ['_osc', '_udp', 'local'], type: T.PTR, class: 1, flush: false, ttl: 4500, data: instance },
        {
          name: instance,
          type: T.SRV,
          class: 1,
          flush: true,
          ttl: 120,
          data: { priority: 0, weight: 0, port: 8000, target: ['Host', 'local'] },
        },
        { name: instance, type: T.TXT, class: 1, flush: true, ttl: 4500, data: packet.encodeTxt({ Key: 'vä' }) },
        { name: ['Host', 'local'], type: T.A, class: 1, flush: false, ttl: 120, data: '192.0.2.2' },
        { name: ['host', 'local'], type: T.AAAA, class: 1, flush: false, ttl: 120, data: 'fd00::2' },
      ],
    };
    const bytes = packet.encodeMessage(m);
    assert.ok(bytes.length < 200, `compressed: ${bytes.length} bytes`);
    const d = packet.decodeMessage(bytes);
    assert.equal(d.response, true);
    assert.equal(d.flags, 0x8400);
    assert.deepEqual(d.answers[0].data, instance);
    assert.deepEqual(d.answers[1].data, { priority: 0, weight: 0, port: 8000, target: ['Host', 'local'] });
    assert.equal(d.answers[1].flush, true);
    assert.deepEqual(packet.decodeTxt(/** @type {Uint8Array[]} */ (d.answers[2].data)), { Key: 'vä' });
    assert.equal(d.answers[3].data, '192.0.2.2');
    assert.deepEqual(d.answers[4].name, ['host', 'local'], 'a compression pointer keeps the case written');
    assert.equal(d.answers[4].data, 'fd00::2');
    assert.equal(packet.nameToString(instance), 'Studio\\.A (2)._osc._udp.local');
  });

  it('sends an empty TXT as one empty string, and reads key=value, bare keys, first of a key', () => {
    const bytes = packet.encodeMessage({
      response: true,
      answers: [{ name: ['a', 'local'], type: T.TXT, class: 1, flush: true, ttl: 1, data: [] }],
    });
    assert.equal(bytes.readUInt16BE(bytes.length - 3), 1, 'rdlength 1');
    assert.equal(bytes[bytes.length - 1], 0);
    const strings = ['a=1', 'flag', 'A=2', '=x', 'e='].map((s) => Buffer.from(s));
    assert.deepEqual(packet.decodeTxt(strings), { a: '1', flag: '', e: '' });
    assert.throws(() => packet.encodeTxt({ 'a=b': '1' }), { code: 'MDNS_BAD_RDATA' });
    assert.throws(() => packet.encodeTxt({ k: 'x'.repeat(300) }), { code: 'MDNS_BAD_RDATA' });
  });

  it('refuses malformed messages with a code, at once: loops, forward pointers, long names, huge counts', () => {
    const long = Buffer.concat([...Array(5)].map(() => label('x'.repeat(63))));
    // Questions whose names each add a label to the one before through a backward pointer: loop-free, but the
    // fifth name is 5 * 64 + 1 bytes long.
    const chainParts = [header(5, 0, 0)];
    let at = 12;
    let prev = -1;
    for (let i = 0; i < 5; i++) {
      const part = Buffer.concat([
        label('y'.repeat(63)),
        prev < 0 ? Buffer.from([0]) : Buffer.from([0xc0, prev]),
        Buffer.from([0, 12, 0, 1]),
      ]);
      chainParts.push(part);
      prev = at;
      at += part.length;
    }
    const chain = chainParts;
    /** @type {Array<[string, Buffer, string]>} */
    const cases = [
      ['pointer to itself', Buffer.concat([header(1, 0, 0), Buffer.from([0xc0, 12, 0, 12, 0, 1])]), 'MDNS_BAD_POINTER'],
      [
        'pointer forwards',
        Buffer.concat([header(1, 0, 0), Buffer.from([0xc0, 14, 1, 0x61, 0, 0, 12, 0, 1])]),
        'MDNS_BAD_POINTER',
      ],
      [
        'name of 321 bytes',
        Buffer.concat([header(1, 0, 0), long, Buffer.from([0, 0, 12, 0, 1])]),
        'MDNS_NAME_TOO_LONG',
      ],
      ['name over 255 through pointers', Buffer.concat(chain), 'MDNS_NAME_TOO_LONG'],
      ['65535 of everything', Buffer.concat([header(0xffff, 0xffff), Buffer.from([0])]), 'MDNS_TRUNCATED'],
      [
        'TXT string past its record',
        Buffer.concat([header(0, 1), label('a'), Buffer.from([0, 0, 16, 0, 1, 0, 0, 0, 10, 0, 4, 9, 1, 2, 3])]),
        'MDNS_TRUNCATED',
      ],
      [
        'A of 3 bytes',
        Buffer.concat([header(0, 1), label('a'), Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 10, 0, 3, 1, 2, 3])]),
        'MDNS_BAD_RDATA',
      ],
      [
        'SRV target past its record',
        Buffer.concat([
          header(0, 1),
          label('a'),
          Buffer.from([0, 0, 33, 0, 1, 0, 0, 0, 10, 0, 8, 0, 0, 0, 0, 0, 80, 5, 0x61]),
        ]),
        'MDNS_TRUNCATED',
      ],
      ['reserved label type', Buffer.concat([header(1, 0, 0), Buffer.from([0x80, 0, 0, 0, 0])]), 'MDNS_BAD_NAME'],
      ['short header', Buffer.alloc(7), 'MDNS_TRUNCATED'],
      ['over 9000 bytes', Buffer.alloc(9001), 'MDNS_TOO_LARGE'],
      ['bytes after the last record', Buffer.concat([header(0, 0), Buffer.from([1])]), 'MDNS_TRAILING_BYTES'],
    ];
    for (const [what, buf, code] of cases) assert.equal(decodeError(buf), code, what);
  });

  it('has its hand-made hostile packets among the fuzz regressions (replayed by test/fuzz.test.js)', () => {
    const { cases } = require('../fuzz/regressions').load();
    assert.ok(cases.filter((c) => c.target === 'mdns').length >= 5);
  });
});

// ---------------------------------------------------------------- the responder

/** A transport that records what would be sent, decoded. */
function fakeTransport(ifaces = [LO, ETH]) {
  const sent = [];
  const waiters = [];
  return {
    sent,
    ifaces,
    interfaces: () => ifaces,
    open() {},
    update() {},
    send(buf, iface, to) {
      const m = packet.decodeMessage(buf);
      const item = { m, iface: iface && iface.name, to, at: Date.now() };
      sent.push(item);
      for (const w of [...waiters])
        if (w.pred(item)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(item);
        }
      return Promise.resolve();
    },
    close() {},
    until(pred) {
      const hit = sent.find(pred);
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

function makeResponder(ifaces) {
  const t = fakeTransport(ifaces);
  const r = new Responder(t, ['me-osc', 'local']);
  r.defer = (ms, fn) => fn();
  let clock = 1e12;
  r.now = () => clock;
  return { r, t, advance: (ms) => (clock += ms) };
}

/** An advertisement put straight into the announced state (probing is tested on its own below). */
function announcedAd(r, o) {
  const ad = r.advertise({ type: '_osc._udp', port: 9000, txt: packet.encodeTxt({ a: '1' }), ...o });
  ad.clearTimers();
  ad.state = 'announced';
  return ad;
}

const query = (name, type = T.PTR, extra = {}) =>
  packet.encodeMessage({ response: false, questions: [{ name, type, class: 1, unicast: false }], ...extra });

function announcement(instance, port, host, addresses, ttl = 4500, type = ['_osc', '_udp', 'local']) {
  return packet.encodeMessage({
    response: true,
    answers: [
      { name: type, type: T.PTR, class: 1, flush: false, ttl, data: instance },
      {
        name: instance,
        type: T.SRV,
        class: 1,
        flush: true,
        ttl,
        data: { priority: 0, weight: 0, port, target: host },
      },
      { name: instance, type: T.TXT, class: 1, flush: true, ttl, data: [Buffer.from('k=v')] },
      ...addresses.map((a) => ({ name: host, type: T.A, class: 1, flush: true, ttl: Math.min(ttl, 120), data: a })),
    ],
  });
}

describe('mDNS responder (dist/transport/mdns/responder.js, a recording transport)', () => {
  it('tells the interface of a source: our own address, a subnet, the loopback; nothing for a stranger', () => {
    assert.equal(ifaceOfSource([LO, ETH], '192.0.2.2').name, 'eth0');
    assert.equal(ifaceOfSource([LO, ETH], '192.0.2.200').name, 'eth0');
    assert.equal(ifaceOfSource([LO, ETH], '127.0.0.1').name, 'lo');
    assert.equal(ifaceOfSource([LO, ETH], '::ffff:192.0.2.9').name, 'eth0');
    assert.equal(ifaceOfSource([LO, ETH], '198.51.100.1'), null);
    assert.deepEqual(addressesOn(bindingOf(''), ETH), ['192.0.2.2']);
    assert.deepEqual(addressesOn(bindingOf('::'), ETH), ['192.0.2.2', 'fd00::2']);
    assert.deepEqual(addressesOn(bindingOf('127.0.0.1'), ETH), []);
    assert.deepEqual(addressesOn(bindingOf('127.0.0.1'), LO), ['127.0.0.1']);
    assert.deepEqual(addressesOn(bindingOf('192.0.2.2'), LO), []);
    assert.deepEqual(addressesOn(bindingOf('fd00::2'), ETH), ['fd00::2']);
  });

  it('probes three times 250 ms apart with its records in the authority section, then announces twice', async function () {
    this.timeout(10000);
    const { r, t } = makeResponder([LO]);
    const ad = r.advertise({ type: '_osc._udp', name: 'Probe', port: 9000, txt: [] });
    assert.equal(ad.state, 'probing');
    await once(ad, 'announced');
    assert.equal(ad.state, 'announced');
    await t.until((s) => s.m.response && t.sent.filter((x) => x.m.response).length === 2);
    const probes = t.sent.filter((s) => !s.m.response);
    assert.equal(probes.length, 3);
    for (const p of probes) {
      assert.deepEqual(p.m.questions[0].name, ['Probe', '_osc', '_udp', 'local']);
      assert.equal(p.m.questions[0].type, T.ANY);
      assert.deepEqual(p.m.authorities.map((a) => a.type).sort(), [T.TXT, T.SRV].sort());
    }
    for (let i = 1; i < 3; i++) assert.ok(probes[i].at - probes[i - 1].at >= 240, 'probes 250 ms apart');
    const [first, second] = t.sent.filter((s) => s.m.response);
    assert.ok(second.at - first.at >= 990, 'announcements one second apart');
    const types = first.m.answers.map((a) => a.type);
    for (const want of [T.PTR, T.SRV, T.TXT, T.A]) assert.ok(types.includes(want), `announces type ${want}`);
    const txt = first.m.answers.find((a) => a.type === T.TXT);
    assert.deepEqual(
      txt.data.map((s) => s.length),
      [0],
      'an empty TXT is one empty string',
    );
    await r.closeAd(ad);
  });

  it('renames when a response holds its name during probing, and says so', async function () {
    this.timeout(10000);
    const { r, t } = makeResponder([LO]);
    const ad = r.advertise({ type: '_osc._udp', name: 'Taken', port: 9000 });
    await t.until((s) => !s.m.response);
    const renamed = once(ad, 'name');
    r.receive(announcement(['Taken', '_osc', '_udp', 'local'], 1234, ['other', 'local'], ['127.0.0.5']), LOCAL);
    assert.deepEqual(await renamed, ['Taken (2)']);
    await once(ad, 'announced');
    assert.equal(ad.name, 'Taken (2)');
    await r.closeAd(ad);
  });

  it('answers a PTR query on the interface it came from with that interface’s address only', async () => {
    const { r, t } = makeResponder();
    const ad = announcedAd(r, { name: 'All' });
    r.receive(query(['_osc', '_udp', 'local']), NEIGHBOUR);
    const a = await t.until((s) => s.m.response && s.iface === 'eth0');
    assert.deepEqual(a.to, { address: '224.0.0.251', port: 5353 });
    assert.deepEqual(a.m.answers[0].data, ['All', '_osc', '_udp', 'local']);
    const addresses = a.m.additionals.filter((x) => x.type === T.A || x.type === T.AAAA).map((x) => x.data);
    assert.deepEqual(addresses, ['192.0.2.2']);
    const srv = a.m.additionals.find((x) => x.type === T.SRV);
    assert.equal(srv.data.port, 9000);
    assert.deepEqual(srv.data.target, ['me-osc', 'local']);
    await r.closeAd(ad);
  });

  it('an advertisement bound to 127.0.0.1 answers on the loopback only; bound to one address, there only', async () => {
    const { r, t } = makeResponder();
    const lo = announcedAd(r, { name: 'Lo', address: '127.0.0.1' });
    r.receive(query(['Lo', '_osc', '_udp', 'local'], T.SRV), NEIGHBOUR);
    r.receive(query(['Lo', '_osc', '_udp', 'local'], T.SRV), LOCAL);
    const a = await t.until((s) => s.m.response);
    assert.equal(a.iface, 'lo');
    assert.deepEqual(
      a.m.additionals.map((x) => x.data),
      ['127.0.0.1'],
    );
    assert.equal(t.sent.filter((s) => s.m.response).length, 1, 'nothing answered on eth0');
    await r.closeAd(lo);
    const one = announcedAd(r, { name: 'One', address: '192.0.2.2' });
    r.receive(query(['_osc', '_udp', 'local']), LOCAL);
    r.receive(query(['_osc', '_udp', 'local']), NEIGHBOUR);
    const b = await t.until((s) => s.m.response && s.m.answers.some((x) => x.type === T.PTR && x.data[0] === 'One'));
    assert.equal(b.iface, 'eth0');
    assert.equal(t.sent.filter((s) => s.m.response && s.iface === 'lo' && s.m.answers[0].ttl > 0).length, 1);
    await r.closeAd(one);
  });

  it('a burst of queries gets one answer per interface, and not again within a second', async () => {
    const { r, t, advance } = makeResponder();
    let deferred = [];
    r.defer = (ms, fn) => deferred.push(fn); // held, as the real 20-120 ms wait would
    const ad = announcedAd(r, { name: 'Busy' });
    for (let i = 0; i < 1000; i++) r.receive(query(['_osc', '_udp', 'local']), NEIGHBOUR);
    assert.equal(deferred.length, 1, 'one pending answer for the interface');
    deferred.splice(0).forEach((f) => f());
    await t.until((s) => s.m.response);
    assert.equal(t.sent.filter((s) => s.m.response).length, 1);
    r.receive(query(['_osc', '_udp', 'local']), NEIGHBOUR);
    deferred.splice(0).forEach((f) => f());
    assert.equal(t.sent.filter((s) => s.m.response).length, 1, 'not multicast again within a second');
    advance(1000);
    r.receive(query(['_osc', '_udp', 'local']), NEIGHBOUR);
    deferred.splice(0).forEach((f) => f());
    await t.until((s) => s.m.response && t.sent.filter((x) => x.m.response).length === 2);
    deferred = [];
    await r.closeAd(ad);
  });

  it('answers a one-shot query (not from port 5353) by unicast, with its id and TTLs of 10 s at most', async () => {
    const { r, t } = makeResponder();
    const ad = announcedAd(r, { name: 'Legacy' });
    const q = packet.decodeMessage(query(['_osc', '_udp', 'local']));
    r.receive(packet.encodeMessage({ ...q, id: 4242 }), { address: '192.0.2.9', port: 40000 });
    const a = await t.until((s) => s.m.response);
    assert.deepEqual(a.to, { address: '192.0.2.9', port: 40000 });
    assert.equal(a.iface, null);
    assert.equal(a.m.id, 4242);
    assert.equal(a.m.questions.length, 1);
    for (const rr of [...a.m.answers, ...a.m.additionals]) {
      assert.ok(rr.ttl <= 10);
      assert.equal(rr.flush, false);
    }
    await r.closeAd(ad);
  });

  it('sends a goodbye (TTL 0) on every interface it was announced on when closed', async () => {
    const { r, t } = makeResponder();
    const ad = r.advertise({ type: '_osc._tcp', name: 'Bye', port: 9100 });
    await once(ad, 'announced');
    const before = t.sent.length;
    await r.closeAd(ad);
    assert.equal(ad.state, 'closed');
    const byes = t.sent.slice(before);
    assert.deepEqual(byes.map((s) => s.iface).sort(), ['eth0', 'lo']);
    for (const s of byes) {
      assert.ok(s.m.answers.length >= 3);
      for (const rr of s.m.answers) assert.equal(rr.ttl, 0);
    }
  });

  it('ignores packets from sources on none of our links, and responses not from port 5353', () => {
    const { r } = makeResponder();
    const b = r.browse(['_osc._udp']);
    r.receive(announcement(['X', '_osc', '_udp', 'local'], 1, ['x', 'local'], ['198.51.100.1']), {
      address: '198.51.100.1',
      port: 5353,
    });
    r.receive(announcement(['Y', '_osc', '_udp', 'local'], 1, ['y', 'local'], ['192.0.2.8']), {
      address: '192.0.2.8',
      port: 4444,
    });
    assert.deepEqual(r.services(b.types), []);
    assert.equal(r.stats.ignored, 1);
    r.closeBrowser(b);
  });

  it('ignores a response with a non-zero response code (RFC 6762 section 18.11)', () => {
    const { r } = makeResponder();
    const b = r.browse(['_osc._udp']);
    const bytes = announcement(['Rcode', '_osc', '_udp', 'local'], 1, ['rc', 'local'], ['192.0.2.8']);
    bytes.writeUInt16BE(0x8403, 2); // NXDOMAIN
    r.receive(bytes, NEIGHBOUR);
    assert.deepEqual(r.services(b.types), []);
    bytes.writeUInt16BE(0x8400, 2);
    r.receive(bytes, NEIGHBOUR);
    assert.equal(r.services(b.types).length, 1, 'the same packet with rcode 0 is taken');
    r.closeBrowser(b);
  });

  it('a malformed packet is counted and reported with its code and sender, never thrown', () => {
    const { r } = makeResponder();
    const b = r.browse(['_osc._udp']);
    const seen = [];
    r.warnings.on('warning', (e) => seen.push(e));
    const loop = Buffer.concat([header(1, 0, 0), Buffer.from([0xc0, 12, 0, 12, 0, 1])]);
    r.receive(loop, NEIGHBOUR);
    r.receive(loop, NEIGHBOUR); // within the second: counted, not reported again
    assert.equal(r.stats.malformed, 2);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].code, 'MDNS_BAD_POINTER');
    assert.deepEqual(seen[0].sender, NEIGHBOUR);
    r.closeBrowser(b);
  });

  describe('browsing', () => {
    it('lists a service with port, host, addresses and TXT; a goodbye removes it at once', async () => {
      const { r } = makeResponder();
      const b = r.browse(['_osc._udp', '_oscjson._tcp']);
      const inst = ['Phone', '_osc', '_udp', 'local'];
      const changed = once(b, 'change');
      r.receive(announcement(inst, 8000, ['phone', 'local'], ['192.0.2.50']), NEIGHBOUR);
      await changed;
      assert.deepEqual(r.services(b.types), [
        {
          name: 'Phone',
          type: '_osc._udp',
          host: 'phone.local',
          addresses: ['192.0.2.50'],
          port: 8000,
          txt: { k: 'v' },
        },
      ]);
      const left = once(b, 'change');
      r.receive(announcement(inst, 8000, ['phone', 'local'], ['192.0.2.50'], 0), NEIGHBOUR);
      await left;
      assert.deepEqual(r.services(b.types), []);
      r.closeBrowser(b);
    });

    it('forgets a service when its TTL runs out', async () => {
      const { r, advance } = makeResponder();
      const b = r.browse(['_osc._udp']);
      const listed = once(b, 'change');
      r.receive(announcement(['Short', '_osc', '_udp', 'local'], 1, ['s', 'local'], ['192.0.2.51'], 5), NEIGHBOUR);
      await listed;
      assert.equal(r.services(b.types).length, 1);
      advance(4000);
      r.tick();
      assert.equal(r.services(b.types).length, 1, 'still there before its TTL');
      advance(2000);
      const gone = once(b, 'change');
      r.tick();
      await gone;
      assert.deepEqual(r.services(b.types), []);
      r.closeBrowser(b);
    });

    it('caps what a flood of answers can make it hold', () => {
      const { r } = makeResponder();
      const b = r.browse(['_osc._udp']);
      const before = process.memoryUsage().heapUsed;
      for (let i = 0; i < 2000; i++)
        r.receive(
          announcement([`Flood ${i}`, '_osc', '_udp', 'local'], 1000 + i, [`h${i}`, 'local'], ['192.0.2.60']),
          NEIGHBOUR,
        );
      // Many addresses for one host: capped too.
      for (let i = 0; i < 100; i++)
        r.receive(
          announcement([`Flood 0`, '_osc', '_udp', 'local'], 1000, ['h0', 'local'], [`192.0.2.${i}`]),
          NEIGHBOUR,
        );
      const list = r.services(b.types);
      assert.ok(list.length <= LIMITS.instances, `${list.length} listed`);
      assert.ok(list.length > 0);
      assert.ok(r.stats.cacheRecords <= LIMITS.cacheRecords);
      assert.ok(r.stats.cacheDropped > 0);
      assert.ok(list.every((s) => s.addresses.length <= LIMITS.addressesPerHost));
      assert.ok(process.memoryUsage().heapUsed - before < 64 << 20);
      r.closeBrowser(b);
      assert.equal(r.stats.cacheRecords, 0, 'the cache goes with the last browser');
    });

    it('does not keep a TXT record over 1300 bytes', () => {
      const { r } = makeResponder();
      const b = r.browse(['_osc._udp']);
      const inst = ['Big', '_osc', '_udp', 'local'];
      const big = packet.encodeMessage({
        response: true,
        answers: [
          { name: ['_osc', '_udp', 'local'], type: T.PTR, class: 1, flush: false, ttl: 100, data: inst },
          {
            name: inst,
            type: T.SRV,
            class: 1,
            flush: true,
            ttl: 100,
            data: { priority: 0, weight: 0, port: 1, target: ['b', 'local'] },
          },
          { name: inst, type: T.TXT, class: 1, flush: true, ttl: 100, data: Array(8).fill(Buffer.alloc(200, 0x61)) },
        ],
      });
      r.receive(big, NEIGHBOUR);
      assert.deepEqual(r.services(b.types)[0].txt, {});
      r.closeBrowser(b);
    });
  });
});

describe('discovery facade (dist/transport/discovery.js)', () => {
  it('has the shape the nodes use', () => {
    assert.match(discovery.defaultServiceName(), /^Node-RED on \S+/);
    assert.deepEqual([...discovery.OSC_SERVICE_TYPES], ['_osc._udp', '_osc._tcp', '_oscjson._tcp']);
    assert.throws(
      () => discovery.advertise({ type: /** @type {any} */ ('_http._tcp'), name: 'x', port: 1 }),
      TypeError,
    );
    assert.throws(() => discovery.advertise({ type: '_osc._udp', name: 'x', port: 0 }), TypeError);
    assert.throws(() => discovery.advertise({ type: '_osc._udp', name: 'x', port: 1, txt: { 'a=': '1' } }), {
      code: 'MDNS_BAD_RDATA',
    });
    assert.throws(() => discovery.browse([/** @type {any} */ ('_http._tcp')]), TypeError);
  });

  it('cuts a name too long for a DNS label, and opens the socket only while something uses it', async () => {
    const r = discovery.responder();
    const ad = discovery.advertise({ type: '_osc._udp', name: 'é'.repeat(80), port: 9999, address: '127.0.0.1' });
    assert.ok(Buffer.byteLength(ad.name) <= 58);
    assert.equal(r.isOpen, true);
    const b = discovery.browse();
    await ad.close();
    assert.equal(ad.state, 'closed');
    await ad.close(); // twice is fine
    assert.equal(r.isOpen, true, 'the browser still holds it');
    b.close();
    assert.equal(r.isOpen, false);
  });
});
