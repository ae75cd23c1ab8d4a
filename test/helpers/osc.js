'use strict';
// decodePacket gives a message or a bundle, and the type checker cannot know which bytes hold which. A test
// that knows what it sent says so here, and the assertion makes a packet of the other kind fail the test.
// The arguments come back untyped: each test reads the value of the type it sent, and asserts it.
const assert = require('node:assert/strict');
const { inspect } = require('node:util');

/**
 * @typedef {import('../../dist/osc/types').OscPacket} OscPacket
 * @typedef {import('../../dist/osc/types').Timetag} Timetag
 * @typedef {{ address: string, args: any[] }} Message
 * @typedef {{ timetag: Timetag, packets: any[] }} Bundle
 */

/**
 * The packet, which must be a message.
 * @param {OscPacket} p
 * @returns {Message}
 */
function asMessage(p) {
  assert.ok(p && 'address' in p, `expected a message, got ${inspect(p)}`);
  return p;
}

/**
 * The packet, which must be a bundle.
 * @param {OscPacket} p
 * @returns {Bundle}
 */
function asBundle(p) {
  assert.ok(p && 'packets' in p, `expected a bundle, got ${inspect(p)}`);
  return p;
}

module.exports = { asMessage, asBundle };
