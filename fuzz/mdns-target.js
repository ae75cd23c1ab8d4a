'use strict';
// The mDNS packet path as anyone on the LAN reaches it: decodeMessage, then the shared responder's receive()
// (conflict checks, answers, the browse cache) on a responder with an announced advertisement and a browser,
// over a transport that only counts what would be sent. Acceptable: an MdnsError from decodeMessage (receive()
// must never throw at all). Invariants: an error's offset lies in the packet, a decoded message re-encodes to
// the same message, and the browse cache and the send path stay within their caps.
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const { mutate } = require('./mutate');

const DIST = path.resolve(__dirname, '..', 'dist', 'transport', 'mdns');
const TYPES = ['_osc._udp', '_osc._tcp', '_oscjson._tcp'];

class InvariantError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InvariantError';
  }
}
const fail = (m) => {
  throw new InvariantError(m);
};

const IFACES = [
  { name: 'lo', loopback: true, v4: [{ address: '127.0.0.1', netmask: '255.0.0.0' }], v6: ['::1'] },
  { name: 'eth0', loopback: false, v4: [{ address: '192.0.2.2', netmask: '255.255.255.0' }], v6: ['fd00::2'] },
];
// Loopback, a neighbour, ourselves, a one-shot querier (not port 5353), and a source on no link of ours.
const SOURCES = [
  { address: '127.0.0.1', port: 5353 },
  { address: '192.0.2.77', port: 5353 },
  { address: '192.0.2.2', port: 5353 },
  { address: '192.0.2.9', port: 40000 },
  { address: '198.51.100.1', port: 5353 },
];

/** A DNS message header: `qd` questions, `an` answers, a response with AA unless `flags` says otherwise. */
function header(qd, an, flags = 0x8400) {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(flags, 2);
  b.writeUInt16BE(qd, 4);
  b.writeUInt16BE(an, 6);
  return b;
}

/** One DNS label: its length byte, then its bytes. */
const label = (s) => Buffer.concat([Buffer.from([Buffer.byteLength(s)]), Buffer.from(s)]);

function mdnsTarget() {
  let packet;
  let resp;
  let r;
  let ad;
  let clock = 1e12;
  let runs = 0;
  let sent = 0;
  const names = () => {
    const host = ['fuzz-osc', 'local'];
    return [
      ['_osc', '_udp', 'local'],
      ['_osc', '_tcp', 'local'],
      ['_oscjson', '_tcp', 'local'],
      ['Fuzz', '_osc', '_udp', 'local'],
      ['Other', '_osc', '_udp', 'local'],
      ['Dev.ice', '_oscjson', '_tcp', 'local'],
      ['_services', '_dns-sd', '_udp', 'local'],
      host,
      ['peer', 'local'],
    ];
  };

  function fresh() {
    if (ad) r.closeAd(ad);
    ad = r.advertise({ type: '_osc._udp', name: 'Fuzz', port: 9000, txt: packet.encodeTxt({ a: '1' }) });
    // Straight to announced: the fuzzer is after the answering path, not the probe timers.
    ad.clearTimers();
    ad.state = 'announced';
  }

  function randomRecord(rng, all) {
    const type = rng.pick([1, 12, 16, 28, 33, 33, 12, 47, rng.int(65536)]);
    const name = rng.pick(all);
    let data;
    switch (type) {
      case 1:
        data = rng.pick(['127.0.0.1', '192.0.2.77', `10.0.${rng.int(256)}.${rng.int(256)}`]);
        break;
      case 28:
        data = rng.pick(['::1', 'fd00::77', 'fe80::1:2:3:4']);
        break;
      case 12:
        data = rng.pick(all);
        break;
      case 33:
        data = { priority: rng.int(3), weight: rng.int(3), port: rng.int(65536), target: rng.pick(all) };
        break;
      case 16:
        data = Array.from({ length: rng.int(4) }, () =>
          Buffer.from(rng.pick(['a=1', 'k', '', 'x=' + 'y'.repeat(rng.int(300) % 250)])),
        );
        break;
      default:
        data = Buffer.alloc(rng.int(20), rng.int(256));
    }
    return {
      name,
      type,
      class: rng.chance(0.9) ? 1 : rng.int(0x8000),
      flush: rng.chance(0.5),
      ttl: rng.pick([0, 1, 120, 4500, rng.int(0x7fffffff)]),
      data,
    };
  }

  function randomMessage(rng) {
    const all = names();
    const n = () => rng.int(rng.chance(0.1) ? 40 : 5);
    const response = rng.chance(0.6);
    return packet.encodeMessage({
      response,
      id: rng.chance(0.8) ? 0 : rng.int(65536),
      questions: Array.from({ length: response ? rng.int(2) : 1 + n() }, () => ({
        name: rng.pick(all),
        type: rng.pick([12, 33, 16, 1, 28, 255]),
        class: 1,
        unicast: rng.chance(0.2),
      })),
      answers: Array.from({ length: n() }, () => randomRecord(rng, all)),
      authorities: Array.from({ length: rng.chance(0.2) ? n() : 0 }, () => randomRecord(rng, all)),
      additionals: Array.from({ length: n() }, () => randomRecord(rng, all)),
    });
  }

  /** A header then raw bytes: the shapes a careless or hostile sender makes. */
  function handMade() {
    const h = header;
    const long = Buffer.concat([...Array(5)].map(() => label('x'.repeat(63))));
    return [
      Buffer.concat([h(1, 0, 0), Buffer.from([0xc0, 12, 0, 12, 0, 1])]), // a pointer to itself
      Buffer.concat([h(1, 0, 0), Buffer.from([0xc0, 14, 0, 12, 0, 1, 1, 0x61, 0xc0, 12])]), // forwards
      Buffer.concat([h(1, 0, 0), long, Buffer.from([0, 0, 12, 0, 1])]), // a name of 321 bytes
      Buffer.concat([h(0xffff, 0xffff), Buffer.from([0])]), // counts far beyond the packet
      Buffer.concat([h(0, 1), label('a'), Buffer.from([0, 0, 16, 0, 1, 0, 0, 0, 10, 0, 4, 9, 1, 2, 3])]), // TXT overflow
      Buffer.concat([h(0, 1), label('a'), Buffer.from([0, 0, 1, 0, 1, 0, 0, 0, 10, 0, 3, 1, 2, 3])]), // A of 3 bytes
      Buffer.concat([h(0, 1), label('a'), Buffer.from([0, 0, 33, 0, 1, 0, 0, 0, 10, 0, 0x20])]), // rdata truncated
      Buffer.concat([h(0, 1), label('a'), Buffer.from([0x80])]), // a reserved label type
      h(0, 0).subarray(0, 7),
    ];
  }

  return {
    name: 'mdns',
    description:
      'decodeMessage(bytes), encode again; then Responder.receive from rotating sources (answers, conflicts, browse cache)',
    load() {
      try {
        packet = require(path.join(DIST, 'packet.js'));
        resp = require(path.join(DIST, 'responder.js'));
      } catch (e) {
        if (e && e.code === 'MODULE_NOT_FOUND') return 'dist/transport/mdns not built yet';
        throw e;
      }
      const transport = {
        interfaces: () => IFACES,
        open() {},
        update() {},
        send(buf) {
          sent++;
          if (buf.length > 9000) fail(`sent a packet of ${buf.length} bytes`);
          return Promise.resolve();
        },
        close() {},
      };
      r = new resp.Responder(transport, ['fuzz-osc', 'local']);
      r.now = () => clock;
      r.defer = (ms, fn) => fn();
      r.browse(TYPES);
      fresh();
      return null;
    },
    seeds(seed) {
      const { createRng } = require('./mutate');
      const rng = createRng(seed);
      const out = handMade();
      for (let i = 0; i < 100; i++) out.push(randomMessage(rng));
      return out;
    },
    generate(rng) {
      return [randomMessage(rng)];
    },
    mutate(rng, input, other) {
      if (rng.chance(0.5) || input.length < 14) return mutate(rng, input, other, 9100);
      // DNS-shaped damage: pointers, counts, lengths and types where they count.
      const b = Buffer.from(input);
      for (let k = 1 + rng.int(3); k > 0; k--) {
        const at = rng.int(b.length);
        switch (rng.int(4)) {
          case 0:
            b[at] = 0xc0 | rng.int(64);
            if (at + 1 < b.length) b[at + 1] = rng.int(b.length);
            break;
          case 1:
            b.writeUInt16BE(rng.pick([0, 1, 2, 0x7fff, 0xffff]), 4 + 2 * rng.int(4));
            break;
          case 2:
            b[at] = rng.pick([0, 1, 63, 64, 0x40, 0x80, 0xff]);
            break;
          default:
            if (at + 1 < b.length) b.writeUInt16BE(rng.pick([1, 12, 16, 28, 33, 41, 47, 255]), at);
        }
      }
      return b;
    },
    run(input) {
      let outcome;
      let m;
      try {
        m = packet.decodeMessage(input);
      } catch (e) {
        if (!packet.isMdnsError(e)) throw e;
        if (!(e.offset >= -1 && e.offset <= input.length))
          fail(`MdnsError ${e.code} with offset ${e.offset} outside the ${input.length}-byte packet`);
        outcome = `err:${e.code}`;
      }
      if (m) {
        outcome = `${m.response ? 'response' : 'query'}:${Math.min(m.answers.length, 3)}:${Math.min(m.questions.length, 3)}`;
        let again;
        try {
          again = packet.decodeMessage(packet.encodeMessage(m));
        } catch (e) {
          if (!packet.isMdnsError(e)) throw e;
          // A label decoded with replacement characters can outgrow 63 bytes: refused on the way out, fine.
          outcome += ':unencodable';
        }
        if (again && !isDeepStrictEqual(summary(again), summary(m)))
          fail('decode(encode(decode(x))) differs from decode(x)');
      }
      // The responder: never throws, whatever arrives, and holds no more than its caps.
      clock += 700;
      if (ad.state !== 'announced') fresh();
      const internal = r.stats.internalErrors;
      r.receive(input, SOURCES[runs++ % SOURCES.length]);
      // receive() swallows our own exceptions to protect the runtime: here they are crashes.
      if (r.stats.internalErrors !== internal) throw r.stats.lastInternalError;
      if (runs % 64 === 0) r.tick();
      if (r.stats.cacheRecords > resp.LIMITS.cacheRecords) fail(`cache holds ${r.stats.cacheRecords} records`);
      const listed = r.services(new Set(TYPES)).length;
      if (listed > resp.LIMITS.instances) fail(`browse list of ${listed}`);
      return outcome;
    },
    get sent() {
      return sent;
    },
  };
}

/** What a message says, with bytes as hex, for comparing two decodings. */
function summary(m) {
  const rr = (x) => ({
    ...x,
    data:
      x.type === 16 && Array.isArray(x.data) && x.data.length === 0
        ? [''] // no strings is sent as one empty string (RFC 6763 section 6.1)
        : x.data instanceof Uint8Array
          ? Buffer.from(x.data).toString('hex')
          : Array.isArray(x.data) && x.data[0] instanceof Uint8Array
            ? x.data.map((s) => Buffer.from(s).toString('hex'))
            : x.data,
  });
  return { ...m, answers: m.answers.map(rr), authorities: m.authorities.map(rr), additionals: m.additionals.map(rr) };
}

module.exports = { mdnsTarget, header, label };
