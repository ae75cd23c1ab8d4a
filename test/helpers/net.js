'use strict';
// Real sockets on this machine for the tests (always port 0, never a fixed port), and bytes as a stream delivers
// them.
const dgram = require('node:dgram');
const net = require('node:net');
const { once } = require('node:events');

/** A udp4 socket bound to `address` on a free port (rejects if the bind fails). */
function udpPeer(address = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, address, () => resolve(s));
  });
}

/** Sends one datagram from `socket` to 127.0.0.1:`port`, resolving once it has left. */
function sendTo(socket, bytes, port) {
  return new Promise((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
}

/** The next `n` datagrams a socket receives, as { bytes, rinfo }. */
function receive(socket, n = 1) {
  return new Promise((resolve) => {
    const got = [];
    const on = (bytes, rinfo) => {
      got.push({ bytes, rinfo });
      if (got.length === n) {
        socket.removeListener('message', on);
        resolve(got);
      }
    };
    socket.on('message', on);
  });
}

/**
 * A UDP port free on `address` right now, for a node that must be told its port (it binds it itself later).
 * Ask on the address the node will bind: a port free on 127.0.0.1 may be taken on 0.0.0.0.
 */
async function freeUdpPort(address = '127.0.0.1') {
  const s = await udpPeer(address);
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * The port a listening net.Server is on (its address() is typed for pipes too).
 * @param {net.Server} server
 */
function listeningPort(server) {
  const a = server.address();
  if (a === null || typeof a === 'string') throw new Error(`not listening on a TCP port: ${a}`);
  return a.port;
}

/** A TCP port free on 127.0.0.1 right now. */
async function freeTcpPort() {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = listeningPort(s);
  await new Promise((r) => s.close(r));
  return port;
}

const hex = (s) => Buffer.from(s, 'hex');
const toHex = (list) => list.map((b) => Buffer.from(b).toString('hex'));

/** `buf` cut at the given offsets (taken modulo its length + 1, deduplicated), as a stream might deliver it. */
function chunkAt(buf, cuts) {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

/** Everything a stream decoder yields for these chunks. */
function decodeAll(decoder, chunks) {
  const got = [];
  // Copy each chunk into its own buffer, as a socket would deliver it, so views cannot alias the test's data.
  for (const c of chunks) got.push(...decoder.push(Buffer.from(c)));
  return got;
}

module.exports = { udpPeer, sendTo, receive, freeUdpPort, freeTcpPort, listeningPort, hex, toHex, chunkAt, decodeAll };
