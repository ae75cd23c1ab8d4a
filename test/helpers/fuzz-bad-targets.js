'use strict';
// Deliberately broken fuzz targets, so test/fuzz.test.js can show that the harness reports a crash, a broken
// invariant, a slow call and a hang (a fuzzer that cannot find anything proves nothing).
const { InvariantError, isOscError } = require('../../fuzz/targets');
const { mutate } = require('../../fuzz/mutate');

function target(name, run) {
  return {
    name,
    description: name,
    load: () => null,
    seeds: () => [Buffer.from('2f610000', 'hex'), Buffer.from('00000000', 'hex')],
    generate: (rng) => [Buffer.from([rng.int(256), rng.int(256), rng.int(256), rng.int(256)])],
    mutate: (rng, a, b) => mutate(rng, a, b, 4096),
    run,
  };
}

// A byte value the mutator reaches quickly (it is one of its "interesting" bytes) but no seed contains.
const has = (input, byte) => input.includes(byte);
let slowCalls = 0;

function allTargets() {
  return [
    target('throws-typeerror', (input) => {
      if (has(input, 0x80)) return input.this_is.undefined; // TypeError
      return 'ok';
    }),
    target('breaks-invariant', (input) => {
      if (has(input, 0x7f)) throw new InvariantError('answer disagrees with the oracle');
      return 'ok';
    }),
    target('slow', (input) => {
      // Slow only for the first three such inputs: enough for the harness to confirm it, not enough to eat the test's time.
      if (has(input, 0xff) && slowCalls++ < 3) {
        const until = Date.now() + 150;
        while (Date.now() < until);
      }
      return 'ok';
    }),
    target('hangs', (input) => {
      if (has(input, 0xc0)) for (;;);
      return 'ok';
    }),
  ];
}

module.exports = { allTargets, isOscError };
