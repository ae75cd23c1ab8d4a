'use strict';
// The _msgid osc-in gives the msgs it creates (src/nodes/red.ts): the runtime's form, and unique.
const assert = require('node:assert/strict');
const { nextMsgId } = require('../dist/nodes/red');

describe('msg ids', () => {
  it('are 16 lowercase hex digits, like the ids the runtime makes', () => {
    for (let i = 0; i < 1000; i++) assert.match(nextMsgId(), /^[0-9a-f]{16}$/);
  });

  it('never repeat within the runtime', () => {
    const seen = new Set();
    for (let i = 0; i < 200000; i++) seen.add(nextMsgId());
    assert.equal(seen.size, 200000);
  });
});
