'use strict';
// The codec against the JS OSC libraries people use today, side by side in one process: encode and decode of the
// same packets, checked first to produce (or read back) the same bytes so that nobody is measured doing less work.
const assert = require('node:assert/strict');
const path = require('node:path');
const { compiled, formatOps, interleavedOps, printTable, loadEntry } = require('./measure');
const ours = loadEntry(path.resolve(__dirname, '..'), './codec');
const osc = require('osc');
const nodeOsc = require('node-osc');

function workloads() {
  const blob = Buffer.alloc(1024);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7) & 255;
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
  if (p.packets)
    return { oscType: 'bundle', timetag: [p.timetag.seconds, p.timetag.fraction], elements: p.packets.map(forOscMin) };
  return {
    oscType: 'message',
    address: p.address,
    args: p.args.map((a) => ({ type: OSC_MIN_TYPES[a.type], value: a.value })),
  };
}
function forNodeOsc(p) {
  if (p.packets) return new nodeOsc.Bundle(0, ...p.packets.map(forNodeOsc));
  return new nodeOsc.Message(p.address, ...p.args.map((a) => ({ type: a.type, value: a.value })));
}

function bytesOf(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof DataView) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
}

/** @param {{ alt?: string, rounds?: number }} [options] see run.js */
async function run({ alt: altDir, rounds } = {}) {
  const alt = altDir ? loadEntry(altDir, './codec') : undefined;
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
  // Ours and alt come first in every round, the peers after: the same order for both.
  const mine = alt ? [ours, alt] : [ours];
  const columns = [...(alt ? ['ours', 'alt'] : ['ours']), ...peers.map((p) => p.name), 'x fastest peer'];
  // 'ours / alt': the median over rounds of the two measured back to back, steadier than the ratio of their bests.
  if (alt) columns.push('alt x fastest', 'ours / alt');
  const encRows = [];
  const decRows = [];
  for (const w of workloads()) {
    const bytes = ours.encodePacket(w.packet);
    // Every peer must produce the very bytes we do, or the comparison is meaningless.
    for (const peer of peers) {
      const theirs = bytesOf(peer.encode(peer.prepare(w.packet)));
      assert.equal(theirs.toString('hex'), bytes.toString('hex'), `${peer.name} encodes ${w.name} differently`);
      peer.decode(bytes);
    }
    assert.deepEqual(ours.encodePacket(ours.decodePacket(bytes)), bytes);
    if (alt) {
      assert.equal(
        alt.encodePacket(w.packet).toString('hex'),
        bytes.toString('hex'),
        `alt encodes ${w.name} differently`,
      );
      assert.deepEqual(alt.decodePacket(bytes), ours.decodePacket(bytes), `alt decodes ${w.name} differently`);
    }

    const encRow = { name: w.name, cells: {} };
    const decRow = { name: w.name, cells: {} };
    const inputs = peers.map((peer) => peer.prepare(w.packet));
    const timing = rounds ? { rounds } : undefined;
    const enc = interleavedOps(
      [
        ...mine.map((codec) =>
          compiled(['codec', 'packet'], 'return codec.encodePacket(packet).length;', codec, w.packet),
        ),
        ...peers.map((peer, k) =>
          compiled(['encode', 'input'], 'return encode(input).byteLength;', peer.encode, inputs[k]),
        ),
      ],
      timing,
    );
    const dec = interleavedOps(
      [
        ...mine.map((codec) => compiled(['codec', 'bytes'], 'return codec.decodePacket(bytes);', codec, bytes)),
        ...peers.map((peer) => compiled(['decode', 'bytes'], 'return decode(bytes);', peer.decode, bytes)),
      ],
      timing,
    );
    const m = mine.length;
    for (const [row, { best: ops, median }] of [
      [encRow, enc],
      [decRow, dec],
    ]) {
      const fastestPeer = Math.max(...ops.slice(m));
      row.cells.ours = formatOps(ops[0]);
      if (alt) row.cells.alt = formatOps(ops[1]);
      peers.forEach((peer, k) => {
        row.cells[peer.name] = formatOps(ops[m + k]);
      });
      row.cells['x fastest peer'] = (ops[0] / fastestPeer).toFixed(2) + 'x';
      if (alt) {
        row.cells['alt x fastest'] = (ops[1] / fastestPeer).toFixed(2) + 'x';
        row.cells['ours / alt'] = median(0, 1).toFixed(2);
      }
    }
    encRows.push(encRow);
    decRows.push(decRow);
  }
  printTable('codec: encode, ops/s (typed arguments)', columns, encRows);
  printTable('codec: decode, ops/s', columns, decRows);
}

module.exports = { run };
