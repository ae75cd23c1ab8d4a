'use strict';
// A hostile OSC sender in its own process (so the receiver under test shares nothing with it): a paced mix of
// valid messages carrying a sequence number, malformed, truncated, oversized and random datagrams.
// Every bad datagram is checked with our decoder before it is sent, so "bad" means exactly "osc-in must refuse it".
// Usage: node hostile-sender.js '<json options>'; prints one JSON line with what it sent when done.
//   { host, port, bind = '127.0.0.1', rate = 2000 (datagrams/s; 0 = as fast as possible), seconds = 3,
//     validShare = 0.5, bigEvery = 200 (every Nth valid message carries a 60 KB blob), seed = 1, address = '/seq' }
const dgram = require('node:dgram');
const path = require('node:path');
const codec = require(path.resolve(__dirname, '..', '..', 'dist', 'osc', 'codec.js'));
const { createRng, mutate, randomBytes } = require(path.resolve(__dirname, '..', '..', 'fuzz', 'mutate.js'));

const o = {
  bind: '127.0.0.1',
  rate: 2000,
  seconds: 3,
  validShare: 0.5,
  bigEvery: 200,
  seed: 1,
  address: '/seq',
  ...JSON.parse(process.argv[2] || '{}'),
};
const rng = createRng(o.seed);
const counts = { valid: 0, big: 0, malformed: 0, truncated: 0, oversized: 0, random: 0, sentBytes: 0 };
let seq = 0;
const bigBlob = Buffer.alloc(60000, 0x5a);

function isBad(b) {
  if (b.length === 0) return false; // an empty datagram is not a packet at all; left out to keep the count exact
  try {
    codec.decodePacket(b);
    return false;
  } catch (e) {
    if (!codec.isOscError(e)) throw e;
    return true;
  }
}

function validPacket() {
  seq++;
  counts.valid++;
  if (o.bigEvery > 0 && seq % o.bigEvery === 0) {
    counts.big++;
    return codec.encodePacket({
      address: o.address,
      args: [
        { type: 'i', value: seq },
        { type: 'b', value: bigBlob },
      ],
    });
  }
  return codec.encodePacket({
    address: o.address,
    args: [
      { type: 'i', value: seq },
      { type: 's', value: 'ok' },
    ],
  });
}

function badPacket() {
  for (;;) {
    const base = codec.encodePacket({
      address: '/x/y',
      args: [
        { type: 'i', value: rng.int(1000) },
        { type: 's', value: 'abc' },
        { type: 'f', value: 1.5 },
      ],
    });
    let b;
    let kind;
    switch (rng.int(4)) {
      case 0:
        kind = 'malformed';
        b = mutate(rng, base, base, 4096);
        break;
      case 1:
        kind = 'truncated';
        b = base.subarray(0, 1 + rng.int(base.length - 1));
        break;
      case 2: {
        kind = 'oversized';
        // Near the UDP maximum, claiming more than it carries: a blob size past the end.
        const big = Buffer.alloc(60000 + rng.int(5000));
        const head = codec.encodePacket({ address: '/big', args: [{ type: 'b', value: Buffer.alloc(0) }] });
        head.copy(big);
        big.writeInt32BE(0x7ffffff0 - rng.int(1000) * 4, head.length - 4);
        b = big;
        break;
      }
      default:
        kind = 'random';
        b = randomBytes(rng, 1 + rng.int(600));
    }
    if (b.length > 0 && isBad(b)) {
      counts[kind]++;
      return b;
    }
  }
}

let stopped = false;
// SIGTERM ends the run early but still reports what was sent (the redeploy test stops traffic when it is done).
process.on('SIGTERM', () => {
  stopped = true;
});

const socket = dgram.createSocket('udp4');
socket.on('error', (e) => {
  process.stderr.write(`sender socket error: ${e.message}\n`);
});
socket.bind(0, o.bind, async () => {
  const started = Date.now();
  const until = started + o.seconds * 1000;
  const send = (b) =>
    new Promise((resolve) =>
      socket.send(b, o.port, o.host, (err) => {
        if (err) counts.errors = (counts.errors || 0) + 1;
        counts.sentBytes += b.length;
        resolve();
      }),
    );
  let sent = 0;
  while (Date.now() < until && !stopped) {
    // Paced in 10 ms batches; at rate 0, as fast as the socket takes them.
    const due = o.rate > 0 ? Math.floor(((Date.now() - started) / 1000) * o.rate) : sent + 64;
    while (sent < due && !stopped) {
      await send(rng.next() < o.validShare ? validPacket() : badPacket());
      sent++;
    }
    if (o.rate > 0) await new Promise((r) => setTimeout(r, 10));
    else await new Promise((r) => setImmediate(r));
  }
  counts.bad = counts.malformed + counts.truncated + counts.oversized + counts.random;
  counts.lastSeq = seq;
  counts.ms = Date.now() - started;
  process.stdout.write(JSON.stringify(counts) + '\n');
  socket.close();
});
