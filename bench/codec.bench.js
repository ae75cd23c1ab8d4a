'use strict';
// The codec against the JS OSC libraries people use today, side by side in one process: encode and decode of the
// same packets, checked first to produce (or read back) the same bytes so that nobody is measured doing less work.
const assert = require('node:assert/strict');
const { formatOps, printTable } = require('./measure');
const ours = require('../dist/osc/codec.js');
const osc = require('osc');
const nodeOsc = require('node-osc');

/** @returns {Array<{ name: string, packet: import('../dist/osc/types').OscPacket }>} */
function workloads() {
  const blob = Buffer.alloc(1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 255;
  /** @type {import('../dist/osc/types').OscMessage[]} */
  const bundleMessages = [];
  for (let n = 0; n < 16; n++) {
    bundleMessages.push({
      address: `/mixer/ch/${n + 1}/fader`,
      args: [
        { type: 'f', value: 0.75 },
        { type: 'i', value: n },
      ],
    });
  }
  return [
    {
      name: 'small /synth/1/freq ,ifs',
      packet: {
        address: '/synth/1/freq',
        args: [
          { type: 'i', value: 440 },
          { type: 'f', value: 0.5 },
          { type: 's', value: 'sine' },
        ],
      },
    },
    {
      name: 'sensor /accxyz ,fff',
      packet: {
        address: '/accxyz',
        args: [
          { type: 'f', value: 0.125 },
          { type: 'f', value: -0.5 },
          { type: 'f', value: 9.8125 },
        ],
      },
    },
    { name: 'blob 1 KiB ,b', packet: { address: '/blob', args: [{ type: 'b', value: blob }] } },
    {
      name: 'bundle of 16 ,fi',
      packet: { timetag: { seconds: 0, fraction: 1 }, packets: bundleMessages },
    },
  ];
}

// Each peer's own representation of the same packet.
function forOscJs(p) {
  if (p.packets) return { timeTag: { raw: [p.timetag.seconds, p.timetag.fraction] }, packets: p.packets.map(forOscJs) };
  return { address: p.address, args: p.args.map((a) => ({ type: a.type, value: a.value })) };
}
const OSC_MIN_TYPES = { i: 'integer', f: 'float', s: 'string', b: 'blob' };
function forOscMin(p) {
  if (p.packets) return { oscType: 'bundle', timetag: [p.timetag.seconds, p.timetag.fraction], elements: p.packets.map(forOscMin) };
  return { oscType: 'message', address: p.address, args: p.args.map((a) => ({ type: OSC_MIN_TYPES[a.type], value: a.value })) };
}
function forNodeOsc(p) {
  if (p.packets) return new nodeOsc.Bundle(0, ...p.packets.map(forNodeOsc));
  return new nodeOsc.Message(p.address, ...p.args.map((a) => ({ type: a.type, value: a.value })));
}

/**
 * Ops per second of each function, measured in interleaved rounds (each round runs every contender once) and
 * taking each one's best round: on a shared, busy machine a burst of load then hits all contenders alike
 * instead of whichever happened to be running, so the ratios stay meaningful.
 */
function interleavedOps(fns, { rounds = 7, roundMs = 60 } = {}) {
  const iterations = fns.map((fn) => {
    let n = 256;
    for (;;) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(i);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ms >= roundMs / 4) return Math.max(1, Math.round((n * roundMs) / ms));
      n *= 4;
    }
  });
  const best = fns.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const n = iterations[k];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < n; i++) fn(i);
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      best[k] = Math.max(best[k], n / s);
    });
  }
  return best;
}

function bytesOf(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof DataView) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

async function run() {
  const oscMin = await import('osc-min');
  const peers = [
    {
      name: 'osc',
      prepare: forOscJs,
      encode: (p) => osc.writePacket(p, { metadata: true }),
      decode: (b) => osc.readPacket(b, { metadata: true }),
    },
    { name: 'osc-min', prepare: forOscMin, encode: (p) => oscMin.toBuffer(p), decode: (b) => oscMin.fromBuffer(b) },
    { name: 'node-osc', prepare: forNodeOsc, encode: (p) => nodeOsc.encode(p), decode: (b) => nodeOsc.decode(b) },
  ];
  const columns = ['ours', ...peers.map((p) => p.name), 'x fastest peer'];
  const encRows = [];
  const decRows = [];
  let sink = 0;
  for (const w of workloads()) {
    const bytes = ours.encodePacket(w.packet);
    // Every peer must produce the very bytes we do, or the comparison is meaningless.
    for (const peer of peers) {
      const theirs = bytesOf(peer.encode(peer.prepare(w.packet)));
      assert.equal(theirs.toString('hex'), bytes.toString('hex'), `${peer.name} encodes ${w.name} differently`);
      peer.decode(bytes);
    }
    assert.deepEqual(ours.encodePacket(ours.decodePacket(bytes)), bytes);

    const enc = { name: w.name, cells: {} };
    const dec = { name: w.name, cells: {} };
    const inputs = peers.map((peer) => peer.prepare(w.packet));
    const encOps = interleavedOps([
      () => {
        sink += ours.encodePacket(w.packet).length;
      },
      ...peers.map((peer, k) => () => {
        sink += peer.encode(inputs[k]).byteLength;
      }),
    ]);
    const decOps = interleavedOps([
      () => {
        sink += /** @type {{ address?: string }} */ (ours.decodePacket(bytes)).address ? 1 : 0;
      },
      ...peers.map((peer) => () => {
        sink += peer.decode(bytes) ? 1 : 0;
      }),
    ]);
    enc.cells.ours = formatOps(encOps[0]);
    dec.cells.ours = formatOps(decOps[0]);
    peers.forEach((peer, k) => {
      enc.cells[peer.name] = formatOps(encOps[k + 1]);
      dec.cells[peer.name] = formatOps(decOps[k + 1]);
    });
    enc.cells['x fastest peer'] = (encOps[0] / Math.max(...encOps.slice(1))).toFixed(1) + 'x';
    dec.cells['x fastest peer'] = (decOps[0] / Math.max(...decOps.slice(1))).toFixed(1) + 'x';
    encRows.push(enc);
    decRows.push(dec);
  }
  printTable('codec: encode, ops/s (typed arguments)', columns, encRows);
  printTable('codec: decode, ops/s', columns, decRows);
  if (sink === 0.5) console.log(sink); // keeps the results alive
}

module.exports = { run };
