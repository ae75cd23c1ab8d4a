'use strict';
// Load generator and receiver. It runs in the runner's process, never in Node-RED's, so the chain under test does
// not pay for it; it sends from one connected socket (no per-datagram address lookup) in batches per timer tick,
// and keeps the send time of every sequence number so latency needs no clock inside the chain.
const dgram = require('node:dgram');
const { performance } = require('node:perf_hooks');
const P = require('./packets');

const BUNDLE_SIZE = 16;
const RING = 4096; // send buffers reused round-robin: a datagram handed to the kernel that many sends ago is gone
// Step numbers stay below 2^24 so they survive a chain that re-encodes integers as float32 (the incumbent does).
const PROBE_STEP = 1;

class LoadGen {
  constructor() {
    this.recv = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    this.send = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    this.sendErrors = 0;
    this.send.on('error', () => this.sendErrors++);
    this.recv.on('error', () => {});
    this.step = 0;
    this.onMessage = this.onMessage.bind(this);
    this.recv.on('message', (buf) => {
      this.now = performance.now();
      P.parsePacket(buf, 0, buf.length, this.onMessage);
    });
    this.resetCounters(0);
  }

  async open() {
    await new Promise((resolve) => this.recv.bind(0, '127.0.0.1', () => resolve()));
    this.port = this.recv.address().port;
    return this.port;
  }

  async target(port) {
    if (this.connected) {
      this.send.disconnect();
      this.connected = false;
    }
    await new Promise((resolve) => this.send.connect(port, '127.0.0.1', () => resolve()));
    this.connected = true;
  }

  resetCounters(capacity) {
    this.sendTimes = new Float64Array(capacity);
    this.seen = new Uint8Array(capacity);
    this.latencies = new Float64Array(capacity);
    this.received = 0;
    this.duplicates = 0;
    this.stale = 0;
    this.sentMsgs = 0;
  }

  onMessage(step, seq) {
    if (step !== this.step) {
      this.stale++;
      return;
    }
    if (!(seq >= 0 && seq < this.sentMsgs) || !Number.isInteger(seq)) return;
    if (this.seen[seq]) {
      this.duplicates++;
      return;
    }
    this.seen[seq] = 1;
    this.latencies[this.received++] = this.now - this.sendTimes[seq];
  }

  /** Resolves once a message makes it through the chain (the flow is deployed and its sockets are bound). */
  async probe(mode = 'message', timeoutMs = 30000) {
    const deadline = performance.now() + timeoutMs;
    const perPacket = mode === 'bundle' ? BUNDLE_SIZE : 1;
    this.step = PROBE_STEP;
    this.resetCounters(perPacket);
    // In the shape the chain is built for: the incumbent's bundle flow cannot route a lone message.
    const buf = perPacket === 1 ? P.newMessage() : P.newBundle(perPacket);
    if (perPacket === 1) P.setMessage(buf, this.step, 0);
    else P.setBundle(buf, perPacket, this.step, 0);
    while (performance.now() < deadline) {
      this.sentMsgs = perPacket;
      this.sendTimes.fill(performance.now());
      this.send.send(buf);
      await sleep(100);
      if (this.received > 0) return true;
    }
    return false;
  }

  /**
   * Sends `rate` OSC messages per second for durationMs (as single messages, or as bundles of 16 when mode is
   * 'bundle'), then waits drainMs for stragglers: a message that arrives later than that counts as lost.
   */
  async run({ rate, durationMs, drainMs = 500, mode = 'message', keepLatencies = false }) {
    const perPacket = mode === 'bundle' ? BUNDLE_SIZE : 1;
    const totalPackets = Math.max(1, Math.round((rate * durationMs) / 1000 / perPacket));
    const total = totalPackets * perPacket;
    this.step = this.step >= 0xffffff || this.step === PROBE_STEP ? PROBE_STEP + 1 : this.step + 1;
    this.resetCounters(total);
    const ring = Array.from({ length: Math.min(RING, totalPackets) }, () =>
      perPacket === 1 ? P.newMessage() : P.newBundle(BUNDLE_SIZE),
    );
    const packetsPerMs = rate / perPacket / 1000;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let packets = 0;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(totalPackets, Math.floor((now - t0) * packetsPerMs) + 1);
        for (; packets < due; packets++) {
          const buf = ring[packets % ring.length];
          const seq = packets * perPacket;
          if (perPacket === 1) P.setMessage(buf, this.step, seq);
          else P.setBundle(buf, perPacket, this.step, seq);
          const t = performance.now();
          for (let i = 0; i < perPacket; i++) this.sendTimes[seq + i] = t;
          this.sentMsgs = seq + perPacket;
          this.send.send(buf);
        }
        if (packets >= totalPackets) {
          clearInterval(timer);
          resolve();
        }
      };
      const timer = setInterval(tick, 1);
    });
    const sendMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await sleep(drainMs);
    const lat = this.latencies.subarray(0, this.received).sort();
    const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : NaN);
    return {
      rate,
      mode,
      sent: total,
      received: this.received,
      loss: 1 - this.received / total,
      // The generator is on time if it sent everything within the step (one tick of slack).
      achievedRate: (total / Math.max(sendMs, durationMs)) * 1000,
      generatorCpu: (cpu.user + cpu.system) / 1000 / sendMs,
      p50Ms: pct(50),
      p99Ms: pct(99),
      maxMs: lat.length ? lat[lat.length - 1] : NaN,
      duplicates: this.duplicates,
      stale: this.stale,
      sendErrors: this.sendErrors,
      latencies: keepLatencies ? Float64Array.from(lat) : undefined,
    };
  }

  close() {
    this.recv.close();
    this.send.close();
  }
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

module.exports = { LoadGen, sleep, BUNDLE_SIZE };
