'use strict';
// The ceiling: a plain Node.js process relaying datagrams with dgram and no OSC decoding, the least any relay
// in JavaScript can do per datagram. `node relay.js <targetPort> [split] [recvBufferBytes]`; prints the port it
// listens on. The receive buffer defaults to osc-udp's (1 MiB): on a busy machine loss comes mostly from the
// relay being descheduled until its buffer overflows, so a smaller buffer would measure the neighbours, not speed.
// With "split", a bundle is cut along its element sizes and each element sent as its own datagram, so the
// ceiling for bundles sends as many datagrams as the Node-RED chains do (one per message).
const dgram = require('node:dgram');

const targetPort = Number(process.argv[2]);
const split = process.argv[3] === 'split';
const recvBufferSize = Number(process.argv[4]) || 1 << 20;
const host = '127.0.0.1';

const out = dgram.createSocket('udp4');
const sock = dgram.createSocket({ type: 'udp4', recvBufferSize });
sock.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
out.on('error', () => {});

sock.on('message', (buf) => {
  if (!split || buf[0] !== 0x23 /* # */) {
    out.send(buf, targetPort, host);
    return;
  }
  let off = 16;
  while (off + 4 <= buf.length) {
    const size = buf.readInt32BE(off);
    off += 4;
    if (size <= 0 || off + size > buf.length) return;
    out.send(buf.subarray(off, off + size), targetPort, host);
    off += size;
  }
});

sock.bind(0, host, () => {
  process.stdout.write(`listening ${sock.address().port} rcvbuf ${sock.getRecvBufferSize()}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
