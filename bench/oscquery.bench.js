'use strict';
// What an osc-query adds to each packet passing its endpoint (its tap, OscQueryServer.packet): for an address not
// declared, a lookup by length and bytes; for a declared one, also decoding that message for VALUE. Measured side
// by side with decoding the same packet (what osc in does to every packet anyway), so the ratio says how much of a
// message's decoding cost OSCQuery adds. An endpoint without an osc-query has no tap: nothing to measure.
const path = require('node:path');
const { interleavedOps, formatOps, printTable } = require('./measure');

const dist = path.resolve(__dirname, '..', 'dist');

/** @param {{ alt?: string, rounds?: number }} [options] see run.js */
async function run({ rounds } = {}) {
  const { OscQueryServer } = require(path.join(dist, 'oscquery', 'server.js'));
  const { AddressSpace } = require(path.join(dist, 'oscquery', 'space.js'));
  const { parseAllowList } = require(path.join(dist, 'transport', 'allowlist.js'));
  const { encodePacket, decodePacket } = require(path.join(dist, 'osc', 'codec.js'));

  // A fader bank, as bench:flow's traffic: ten declared addresses, the packet on the last, or on an eleventh of
  // the same length that is not declared (the lookup then compares bytes before it misses).
  const faders = Array.from({ length: 10 }, (_, i) => `/mixer/ch/${i + 1}/fader`);
  const server = new OscQueryServer(
    { port: 0, localAddress: '127.0.0.1', allow: parseAllowList(''), websocket: false, name: 'bench' },
    new AddressSpace(faders.map((address) => ({ address, types: 'ii', access: 'rw' }))),
  );
  const hit = encodePacket({
    address: '/mixer/ch/10/fader',
    args: [
      { type: 'i', value: 7 },
      { type: 'i', value: 9 },
    ],
  });
  const miss = encodePacket({
    address: '/mixer/ch/11/fader',
    args: [
      { type: 'i', value: 7 },
      { type: 'i', value: 9 },
    ],
  });
  const other = encodePacket({ address: '/some/other/address', args: [{ type: 'f', value: 0.5 }] });

  const fns = [
    () => decodePacket(hit) !== null,
    () => (server.packet(other), true),
    () => (server.packet(miss), true),
    () => (server.packet(hit), true),
  ];
  const { best } = interleavedOps(fns, { rounds: rounds ?? 7, roundMs: 200 });
  const [decode] = best;
  const row = (name, ops) => ({
    name,
    cells: {
      'packets/s': formatOps(ops),
      'ns/packet': (1e9 / ops).toFixed(0),
      'vs decoding it': (decode / ops).toFixed(2),
    },
  });
  printTable(
    'osc-query tap per packet (one message, ,ii; 10 declared addresses)',
    ['packets/s', 'ns/packet', 'vs decoding it'],
    [
      row('decodePacket alone (osc in)', best[0]),
      row('tap: address of another length', best[1]),
      row('tap: same length, not declared', best[2]),
      row('tap: declared (decode + VALUE)', best[3]),
    ],
  );
  await server.close();
}

module.exports = { run };
