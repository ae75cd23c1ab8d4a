'use strict';
// The load generator's own OSC bytes: a fixed message layout patched in place, and a parser that reads back just
// the two numbers we embed. Deliberately independent of src/osc and of every OSC library under test, so that the
// generator costs the same for every chain and a bug in the code being measured cannot hide in the measurement.

// A fader bank: ten rules /mixer/ch/1/fader .. /mixer/ch/10/fader, traffic on the last one, so every router walks
// all ten rules before it matches.
const RULE_ADDRESSES = Array.from({ length: 10 }, (_, i) => `/mixer/ch/${i + 1}/fader`);
const ADDRESS = RULE_ADDRESSES[RULE_ADDRESSES.length - 1];

function padded(str) {
  const len = (Buffer.byteLength(str) + 4) & ~3;
  const b = Buffer.alloc(len);
  b.write(str);
  return b;
}

// ,ii step seq: integers survive every chain exactly, even the incumbent which re-encodes numbers as float32
// (exact below 2^24, and a step never sends that many).
const HEAD = Buffer.concat([padded(ADDRESS), padded(',ii')]);
const MESSAGE_SIZE = HEAD.length + 8;

function writeMessage(buf, offset, step, seq) {
  HEAD.copy(buf, offset);
  buf.writeInt32BE(step, offset + HEAD.length);
  buf.writeInt32BE(seq, offset + HEAD.length + 4);
}

function newMessage() {
  const b = Buffer.alloc(MESSAGE_SIZE);
  HEAD.copy(b, 0);
  return b;
}

/** Patch step and seq into a buffer made by newMessage(). */
function setMessage(buf, step, seq) {
  buf.writeInt32BE(step, HEAD.length);
  buf.writeInt32BE(seq, HEAD.length + 4);
}

const BUNDLE_HEAD = Buffer.concat([padded('#bundle'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1])]); // timetag: immediately

function bundleSize(count) {
  return BUNDLE_HEAD.length + count * (4 + MESSAGE_SIZE);
}

function newBundle(count) {
  const b = Buffer.alloc(bundleSize(count));
  BUNDLE_HEAD.copy(b, 0);
  for (let i = 0; i < count; i++) {
    const off = BUNDLE_HEAD.length + i * (4 + MESSAGE_SIZE);
    b.writeInt32BE(MESSAGE_SIZE, off);
    writeMessage(b, off + 4, 0, 0);
  }
  return b;
}

/** Patch step and consecutive seqs (firstSeq, firstSeq+1, ...) into a bundle made by newBundle(). */
function setBundle(buf, count, step, firstSeq) {
  for (let i = 0; i < count; i++) {
    const off = BUNDLE_HEAD.length + i * (4 + MESSAGE_SIZE) + 4 + HEAD.length;
    buf.writeInt32BE(step, off);
    buf.writeInt32BE(firstSeq + i, off + 4);
  }
}

function readNumber(buf, off, tag) {
  switch (tag) {
    case 0x69:
      return buf.readInt32BE(off); // i
    case 0x66:
      return buf.readFloatBE(off); // f
    case 0x64:
      return buf.readDoubleBE(off); // d
    case 0x68:
      return Number(buf.readBigInt64BE(off)); // h
    default:
      return NaN;
  }
}

function argSize(tag) {
  return tag === 0x64 || tag === 0x68 ? 8 : 4;
}

/**
 * Calls onMessage(step, seq) for the message in buf[start, end), or for each message of a bundle (nested too).
 * Tolerates whatever numeric tags a chain re-encoded our integers as; anything unreadable is skipped and so
 * counts as lost.
 */
function parsePacket(buf, start, end, onMessage) {
  if (end - start < 8) return;
  if (buf[start] === 0x23 /* # */) {
    let off = start + 16;
    while (off + 4 <= end) {
      const size = buf.readInt32BE(off);
      off += 4;
      if (size <= 0 || off + size > end) return;
      parsePacket(buf, off, off + size, onMessage);
      off += size;
    }
    return;
  }
  let nul = start;
  while (nul < end && buf[nul] !== 0) nul++;
  const off = start + ((nul - start + 4) & ~3);
  if (off >= end || buf[off] !== 0x2c /* , */) return;
  const tagStart = off + 1;
  let tagEnd = tagStart;
  while (tagEnd < end && buf[tagEnd] !== 0) tagEnd++;
  if (tagEnd - tagStart < 2) return;
  let argOff = off + ((tagEnd - off + 4) & ~3);
  const t0 = buf[tagStart];
  const t1 = buf[tagStart + 1];
  if (argOff + argSize(t0) + argSize(t1) > end) return;
  const step = readNumber(buf, argOff, t0);
  argOff += argSize(t0);
  const seq = readNumber(buf, argOff, t1);
  onMessage(step, seq);
}

module.exports = {
  RULE_ADDRESSES,
  ADDRESS,
  MESSAGE_SIZE,
  newMessage,
  setMessage,
  newBundle,
  setBundle,
  bundleSize,
  parsePacket,
};
