'use strict';
// `node bench/flow/readme-table.js [bench/results/flow-<time>.json]` (default: the newest): the tables of
// docs/performance.md (and the README's summary of them) from a saved run, so their numbers are copied, never typed.
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'results');
const file =
  process.argv[2] ||
  path.join(
    dir,
    fs
      .readdirSync(dir)
      .filter((f) => /^flow-\d{4}-.*\.json$/.test(f))
      .sort()
      .pop(),
  );
const run = JSON.parse(fs.readFileSync(file, 'utf8'));

const LABELS = {
  message: {
    ours: 'ours: osc in → osc route → osc out',
    incumbent: 'node-red-contrib-osc: udp in → osc → switch → osc → udp out',
    empty: 'empty flow: udp in → udp out (the runtime alone)',
    empty3: 'empty flow of our length: udp in → change (no rules) → udp out',
    raw: 'plain Node.js dgram relay, no Node-RED',
  },
  bundle: {
    ours: 'ours: osc in (splits bundles) → osc route → osc out',
    inout: 'ours without the router: osc in (splits bundles) → osc out',
    incumbent: 'node-red-contrib-osc: udp in → osc → split → change → switch → osc → udp out',
    empty: 'empty flow: udp in → udp out (relays each bundle whole: 1 msg per 16)',
    raw: 'plain Node.js dgram relay, cutting each bundle into 16 datagrams',
  },
};

const k = (n) => (n >= 1000 ? `${(n / 1000).toFixed(n >= 100000 ? 0 : 1)}k` : String(Math.round(n)));

function tableFor(mode) {
  const get = (c) => run.results.find((r) => r.chain === c && r.mode === mode && r.available);
  const inc = get('incumbent');
  const raw = get('raw');
  const x = (a, b) => (b ? `${(a / b).toFixed(1)}×` : '');
  const rows = ['ours', 'inout', 'incumbent', 'empty', 'empty3', 'raw']
    .map(get)
    .filter(Boolean)
    .map((r) => {
      const s = r.search ? r.search.sustained : NaN;
      return [
        LABELS[mode][r.chain],
        r.search ? k(s) : '',
        inc && inc.search ? `${(s / inc.search.sustained).toFixed(2)}×` : '',
        raw && raw.search ? `${Math.round((100 * s) / raw.search.sustained)}%` : '',
        `${r.latency1k.p50Ms.toFixed(2)} / ${r.latency1k.p99Ms.toFixed(2)}`,
        raw ? x(r.latency1k.p99Ms, raw.latency1k.p99Ms) : '',
        `${r.latencyAfterIdle.p99Ms.toFixed(2)}`,
        raw ? x(r.latencyAfterIdle.p99Ms, raw.latencyAfterIdle.p99Ms) : '',
        r.search && r.search.cpuUsPerMsgAtSustained ? r.search.cpuUsPerMsgAtSustained.toFixed(1) : '',
      ];
    });
  const header = [
    'chain',
    'msgs/s sustained (<0.1% loss)',
    'vs incumbent',
    'vs raw relay',
    'p50 / p99 ms at 1k msgs/s',
    'p99 vs raw',
    'p99 ms after 15 s idle',
    'vs raw',
    'CPU µs per msg at the sustained rate',
  ];
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

const m = run.machine;
console.log(`Single messages (\`,ii\`, one per datagram):\n\n${tableFor('message')}\n`);
if (run.results.some((r) => r.mode === 'bundle'))
  console.log(`16-message bundles (rates count messages):\n\n${tableFor('bundle')}\n`);
const ours = run.results.find((r) => r.chain === 'ours' && r.memory);
if (ours) {
  console.log(
    `Memory: Node-RED's RSS went from ${ours.memory.rssWarmMB.toFixed(1)} to ${ours.memory.rssEndMB.toFixed(1)} MB over ${ours.memory.seconds} s at ${k(ours.memory.rate)} msgs/s through our chain.\n`,
  );
}
console.log(
  `Measured on ${m.nproc} cores (${m.cpu}), Node.js ${m.node}, Node-RED ${m.nodeRed}, node-red-contrib-osc ${m.contribOsc}; load average ${m.loadavg[0].toFixed(1)} at start, ${m.loadavgEnd ? m.loadavgEnd[0].toFixed(1) : '?'} at end.`,
);
console.log(`(${path.relative(path.join(__dirname, '..', '..'), file)})`);
