'use strict';
// Child for procnet.test.js: a UDP receiver with the smallest receive buffer the kernel allows, which stops
// reading (its only thread blocked in a synchronous stdin read) until the parent has sent its burst, then
// drains and reports how many datagrams it got.
const dgram = require('node:dgram');
const fs = require('node:fs');
const { findOwnUdpSocketInode } = require('../../dist/transport/procnet.js');

const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 });
let received = 0;
s.on('message', () => received++);
s.bind(0, '127.0.0.1', () => {
  const port = s.address().port;
  fs.writeSync(
    1,
    JSON.stringify({ port, inode: findOwnUdpSocketInode(port, 'udp4'), rcvbuf: s.getRecvBufferSize() }) + '\n',
  );
  fs.readSync(0, Buffer.alloc(64)); // block until the parent says "read"
  // Everything queued is readable now; an empty turn of the loop after that means the queue is drained.
  const finish = () => {
    const seen = received;
    setTimeout(() => {
      if (received !== seen) return finish();
      fs.writeSync(1, JSON.stringify({ received }) + '\n');
      s.close();
    }, 50);
  };
  finish();
});
