#!/usr/bin/env node
'use strict';
// npm run fuzz -- [--seconds 60] [--seed 42] [--target decode,slip] [--slow-ms 100] [--hang-ms 2000]
//                 [--mem-mb 64] [--no-save]
// Fuzzes the decoder, the stream decoders, the pattern compiler, osc-in's receive path and osc-out's text messages
// the mDNS packet path (discovery), the monitor, GET osc/services, OSCQuery's server and its client's
// reading of a device's address space from dist/ (npm run fuzz builds first).
// Every finding is printed with its input in hex and stack, and appended to test/fixtures/fuzz-regressions.json
// so test/fuzz.test.js replays it from then on. Exit code 1 when anything was found.
const { runFuzz } = require('./engine');
const regressions = require('./regressions');

function parseArgs(argv) {
  const o = {
    seconds: 60,
    seed: Math.floor(Math.random() * 0x7fffffff),
    slowMs: 100,
    hangMs: 2000,
    memLimitMb: 64,
    save: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const num = () => {
      const n = Number(val());
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a} needs a non-negative number`);
      return n;
    };
    if (a === '--seconds') o.seconds = num();
    else if (a === '--seed') o.seed = Math.floor(num());
    else if (a === '--target' || a === '--targets') o.targets = val().split(',').filter(Boolean);
    else if (a === '--slow-ms') o.slowMs = num();
    else if (a === '--hang-ms') o.hangMs = num();
    else if (a === '--mem-mb') o.memLimitMb = num();
    else if (a === '--no-save') o.save = false;
    else if (a === '--help' || a === '-h') {
      console.log(
        'usage: npm run fuzz -- [--seconds 60] [--seed N] [--target decode,decode-lenient,slip,length-prefix,auto-framing,pattern,receive-path,message-text,monitor,services-query,mdns,oscquery-http,oscquery-command,oscquery-packet,address-space] [--slow-ms 100] [--hang-ms 2000] [--mem-mb 64] [--no-save]',
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a} (try --help)`);
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  console.log(
    `fuzzing for ${o.seconds} s, seed ${o.seed} (repeat with --seed ${o.seed}); slow > ${o.slowMs} ms, hang > ${o.hangMs} ms`,
  );
  const { findings, stats, skipped } = await runFuzz(o);
  for (const [name, why] of Object.entries(skipped)) console.log(`  skipped ${name}: ${why}`);
  const rows = Object.entries(stats).filter(([k]) => !k.startsWith('_'));
  for (const [name, s] of rows) {
    const secs = stats._seconds / Math.max(1, rows.length);
    console.log(
      `  ${name.padEnd(15)} ${String(s.execs).padStart(9)} execs  ~${Math.round(s.execs / secs)}/s  corpus ${s.corpus}  outcomes ${s.outcomes}  peak memory growth ${s.peakMemoryGrowthMb} MB`,
    );
  }
  if (findings.length === 0) {
    console.log('no findings: only OscErrors, no slow call, no hang, memory flat');
    return 0;
  }
  console.log(`\n${findings.length} finding(s):`);
  for (const f of findings) {
    console.log(`\n[${f.kind}] ${f.target}: ${f.error.name}: ${f.error.message}`);
    console.log(
      `  input (${f.input.length} bytes): ${f.input.toString('hex').slice(0, 2000)}${f.input.length > 1000 ? '...' : ''}`,
    );
    if (f.error.stack)
      console.log(
        f.error.stack
          .split('\n')
          .slice(0, 8)
          .map((l) => '  ' + l)
          .join('\n'),
      );
  }
  if (o.save) {
    const added = regressions.add(
      findings.filter((f) => f.input.length || f.kind !== 'memory'),
      { seed: o.seed },
    );
    console.log(`\n${added} new case(s) saved to ${regressions.FILE}`);
  }
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e.message);
    process.exit(2);
  },
);
