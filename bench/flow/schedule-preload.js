'use strict';
// Loaded into the Node-RED under test by `npm run bench:schedule` (node -r): notes the wall-clock time of every
// OSC message the runtime sends (osc out's datagrams), with the step and sequence number the benchmark embedded,
// so that a release can be compared with its timetag inside the runtime too, without the way back to the
// benchmark. SIGWINCH starts a recording; the next SIGWINCH writes it to $BENCH_SCHEDULE_DIR/sends-<pid>.json.
// Diagnostics only: it wraps dgram for the whole process.
const dgram = require('node:dgram');
const fs = require('node:fs');
const path = require('node:path');
const { wallNow } = require('./wallclock');
const P = require('./packets');

const dir = process.env.BENCH_SCHEDULE_DIR;
let sends = [];
let on = false;

const send = dgram.Socket.prototype.send;
/** @type {(this: import('node:dgram').Socket, buf: any, ...rest: any[]) => void} */
dgram.Socket.prototype.send = function (buf, ...rest) {
  if (on && Buffer.isBuffer(buf)) {
    const at = wallNow();
    P.parsePacket(buf, 0, buf.length, (step, seq) => sends.push([step, seq, at]));
  }
  return Reflect.apply(send, this, [buf, ...rest]);
};

process.on('SIGWINCH', () => {
  if (!on) {
    sends = [];
    on = true;
    return;
  }
  on = false;
  const file = path.join(dir, `sends-${process.pid}.json`);
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(sends));
  fs.renameSync(`${file}.tmp`, file);
  sends = [];
});
