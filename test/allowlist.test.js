'use strict';
const assert = require('node:assert/strict');
const v8 = require('node:v8');
const vm = require('node:vm');
const { PerformanceObserver } = require('node:perf_hooks');
const { parseAllowList, AllowListError } = require('../dist/transport/allowlist.js');

describe('allow-list (who may send)', () => {
  it('lets everyone send when the list is empty or blank', () => {
    for (const text of ['', '  \n ,, ', undefined, null, [], '# only a comment']) {
      const list = parseAllowList(text);
      assert.equal(list.empty, true);
      assert.equal(list.allows('203.0.113.9'), true);
      assert.equal(list.allows('2001:db8::1'), true);
    }
  });

  it('matches single IPv4 hosts and CIDR ranges, and nothing else', () => {
    const list = parseAllowList('192.168.1.20, 10.0.0.0/8\n172.16.0.0/12 127.0.0.1');
    assert.equal(list.empty, false);
    assert.deepEqual(list.entries, ['192.168.1.20/32', '10.0.0.0/8', '172.16.0.0/12', '127.0.0.1/32']);
    for (const ok of ['192.168.1.20', '10.0.0.0', '10.255.255.255', '172.16.0.1', '172.31.255.255', '127.0.0.1']) {
      assert.equal(list.allows(ok), true, ok);
    }
    for (const no of [
      '192.168.1.21',
      '11.0.0.1',
      '9.255.255.255',
      '172.32.0.0',
      '172.15.255.255',
      '127.0.0.2',
      '0.0.0.0',
    ]) {
      assert.equal(list.allows(no), false, no);
    }
  });

  it('handles the /0 and /32 edges and addresses with the top bit set', () => {
    assert.equal(parseAllowList('0.0.0.0/0').allows('255.255.255.255'), true);
    assert.equal(parseAllowList('0.0.0.0/0').allows('::1'), false, 'an IPv4 rule says nothing about IPv6 senders');
    const high = parseAllowList('224.0.0.0/4, 255.255.255.255/32');
    assert.equal(high.allows('239.1.2.3'), true);
    assert.equal(high.allows('255.255.255.255'), true);
    assert.equal(high.allows('240.0.0.0'), false);
  });

  it('clears host bits under the prefix, as firewalls do', () => {
    const list = parseAllowList('10.1.2.3/8');
    assert.deepEqual(list.entries, ['10.0.0.0/8']);
    assert.equal(list.allows('10.200.0.1'), true);
  });

  it('matches IPv6 hosts and ranges, in any text form the kernel reports', () => {
    const list = parseAllowList('::1, fe80::/10, 2001:db8:abcd::/48, [2001:db8::42]');
    assert.deepEqual(list.entries, ['::1/128', 'fe80::/10', '2001:db8:abcd::/48', '2001:db8::42/128']);
    assert.equal(list.allows('::1'), true);
    assert.equal(list.allows('0:0:0:0:0:0:0:1'), true);
    assert.equal(list.allows('::2'), false);
    assert.equal(list.allows('fe80::1234:5678%eth0'), true, 'link-local senders arrive with a zone id');
    assert.equal(list.allows('febf:ffff::1'), true);
    assert.equal(list.allows('fec0::1'), false);
    assert.equal(list.allows('2001:DB8:ABCD:1::9'), true);
    assert.equal(list.allows('2001:db8:abce::9'), false);
    assert.equal(list.allows('2001:db8::42'), true);
    assert.equal(list.allows('2001:db8:0:0:0:0:0:42'), true);
    assert.equal(list.allows('127.0.0.1'), false);
  });

  it('checks IPv4-mapped IPv6 senders (dual-stack udp6 sockets) against the IPv4 rules', () => {
    const list = parseAllowList('192.168.0.0/16');
    assert.equal(list.allows('::ffff:192.168.4.5'), true);
    assert.equal(list.allows('::FFFF:192.168.4.5'), true);
    assert.equal(list.allows('::ffff:c0a8:0405'), true, 'hex form of the same address');
    assert.equal(list.allows('::ffff:10.0.0.1'), false);
    assert.equal(list.allows('::192.168.4.5'), false, 'IPv4-compatible (deprecated) is not IPv4-mapped');
  });

  it('treats a rule written in IPv4-mapped form as an IPv4 rule', () => {
    const list = parseAllowList('::ffff:10.0.0.0/104, ::ffff:192.0.2.7');
    assert.deepEqual(list.entries, ['10.0.0.0/8', '192.0.2.7/32']);
    assert.equal(list.allows('10.9.8.7'), true);
    assert.equal(list.allows('::ffff:10.9.8.7'), true);
    assert.equal(list.allows('192.0.2.7'), true);
    assert.equal(list.allows('192.0.2.8'), false);
  });

  it('accepts arrays, comments, and any mix of separators', () => {
    const list = parseAllowList(['10.0.0.1', '10.0.0.2 10.0.0.3', '# desk\n10.0.0.4 # lights\r\n10.0.0.5;10.0.0.6']);
    assert.equal(list.entries.length, 6);
    for (let i = 1; i <= 6; i++) assert.equal(list.allows(`10.0.0.${i}`), true);
    assert.equal(list.allows('10.0.0.7'), false);
  });

  it('refuses what is not a sender address, without throwing', () => {
    const list = parseAllowList('0.0.0.0/0, ::/0');
    for (const bad of /** @type {any[]} */ ([
      '',
      'localhost',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '1.2.3.4 ',
      ':',
      ':::',
      '1:2:3:4:5:6:7:8:9',
      '1::2::3',
      'g::1',
      '12345::',
      '1:2:3:4:5:6:7:',
      '::ffff:1.2.3.256',
      undefined,
      42,
    ])) {
      assert.equal(list.allows(bad), false, String(bad));
    }
  });

  it('names the first bad entry and says why', () => {
    /** @type {Array<[string, number, RegExp]>} */
    const cases = [
      ['10.0.0.1, localhost', 1, /host names are not accepted/],
      ['10.0.0.0/33', 0, /at most 32/],
      ['::/129', 0, /at most 128/],
      ['10.0.0.0/x', 0, /prefix length/],
      ['1.2.3', 0, /four numbers/],
      ['300.1.1.1', 0, /0-255/],
      ['010.1.1.1', 0, /leading zeros/],
      ['1::2::3', 0, /not a valid IPv6/],
      ['fe80::1%eth0', 0, /zone ids/],
      ['/8', 0, /no address/],
    ];
    for (const [text, index, why] of cases) {
      assert.throws(
        () => parseAllowList(text),
        (e) => e instanceof AllowListError && e.index === index && why.test(e.message) && e.message.includes('entry'),
        text,
      );
    }
  });

  it('checks an IPv4 or IPv6 sender without allocating (it runs for every datagram)', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    const list = parseAllowList('10.0.0.0/8, 192.168.1.0/24, fe80::/10');
    const senders = ['192.168.1.77', '172.16.0.1', '::ffff:10.1.2.3', 'fe80::1%eth0', '2001:db8::5'];
    const N = 100000;
    for (const a of senders) for (let i = 0; i < 20000; i++) list.allows(a); // let the JIT settle first
    for (const a of senders) {
      let growth = Infinity;
      // A garbage collection during the loop would hide allocations, so such a round does not count; the least
      // growth of a few rounds leaves out one-off costs (compiling a new path of the function).
      for (let attempt = 0; attempt < 4; attempt++) {
        let gcs = 0;
        const obs = new PerformanceObserver((l) => (gcs += l.getEntries().length));
        obs.observe({ entryTypes: ['gc'] });
        gc();
        await new Promise((r) => setTimeout(r, 20)); // the observer hears of that gc() a little later
        gcs = 0;
        const before = process.memoryUsage().heapUsed;
        for (let i = 0; i < N; i++) list.allows(a);
        const after = process.memoryUsage().heapUsed;
        await new Promise((r) => setTimeout(r, 20));
        obs.disconnect();
        if (gcs === 0) growth = Math.min(growth, after - before);
      }
      // 12 bytes is the smallest heap object; allocating one per check would show as 1.2 MB here.
      assert.ok(growth < 256 * 1024, `${a}: heap grew ${growth} bytes over ${N} checks`);
    }
  });

  it('agrees with a naive reference on random addresses and ranges', () => {
    // Deterministic PRNG so a failure reproduces.
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / 16777216;
    const toBits = (ip) =>
      ip
        .split('.')
        .map((n) => Number(n).toString(2).padStart(8, '0'))
        .join('');
    const randomIp = () => Array.from({ length: 4 }, () => Math.floor(rnd() * 256)).join('.');
    for (let round = 0; round < 200; round++) {
      const rules = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => `${randomIp()}/${Math.floor(rnd() * 33)}`);
      const list = parseAllowList(rules.join(','));
      for (let k = 0; k < 20; k++) {
        // Half the probes share a prefix with a rule, so both outcomes are exercised.
        const base = rules[Math.floor(rnd() * rules.length)].split('/')[0];
        const probe = rnd() < 0.5 ? randomIp() : base.split('.').slice(0, 3).join('.') + '.' + Math.floor(rnd() * 256);
        const expected = rules.some((r) => {
          const [net, p] = r.split('/');
          return toBits(net).slice(0, Number(p)) === toBits(probe).slice(0, Number(p));
        });
        assert.equal(list.allows(probe), expected, `${probe} against ${rules}`);
      }
    }
  });
});
