'use strict';
// The runtime texts of our nodes (src/nodes/texts.ts), without Node-RED: the English catalogue shipped beside the
// node, RED._ preferred where it knows a key, plurals and __params__, and the errors nodes hand to Node-RED.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Texts } = require('../dist/nodes/texts');
const { nodeError } = require('../dist/nodes/report');

describe('node texts (message catalogue)', () => {
  it('reads "<type>.runtime.<key>" from the English catalogue beside the node, with __params__', () => {
    const t = new Texts('osc-route');
    assert.equal(
      t.t('no-address', { property: 'topic' }),
      'no OSC address: msg.topic and msg.osc.address are both missing or not a string',
    );
    assert.equal(t.t('bad-rule', { number: 2, pattern: '/a/[', detail: 'x' }), 'rule 2 "/a/[": x');
  });

  it('picks _one or _other by params.count, and falls back to the plain key', () => {
    const t = new Texts('osc-route');
    assert.equal(t.t('status.invalid', { count: 1, rules: '2' }), 'invalid rule 2');
    assert.equal(t.t('status.invalid', { count: 2, rules: '2, 3' }), 'invalid rules 2, 3');
    assert.equal(t.t('status.invalid', { count: 0, rules: '' }), 'invalid rules ');
  });

  it('prefers RED._, and uses English where RED._ answers with the key itself (a key the runtime lacks)', () => {
    const asked = [];
    const german = new Texts('osc-route', (key, params) => {
      asked.push([key, params]);
      return key === 'osc-route.runtime.no-address' ? `keine OSC-Adresse: msg.${params.property}` : key;
    });
    assert.equal(german.t('no-address', { property: 'topic' }), 'keine OSC-Adresse: msg.topic');
    assert.equal(german.t('bad-rule', { number: 1, pattern: '/', detail: 'd' }), 'rule 1 "/": d');
    assert.deepEqual(
      asked.map((a) => a[0]),
      ['osc-route.runtime.no-address', 'osc-route.runtime.bad-rule'],
    );
  });

  it('shows a key missing from every catalogue as itself, and leaves unknown __params__ alone', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-texts-'));
    fs.mkdirSync(path.join(dir, 'locales', 'en-US'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'locales', 'en-US', 'x.json'),
      JSON.stringify({ x: { runtime: { a: '__known__ and __unknown__' } } }),
    );
    const t = new Texts('x', undefined, dir);
    assert.equal(t.t('a', { known: 'k' }), 'k and __unknown__');
    assert.equal(t.t('nope'), 'x.runtime.nope');
    assert.equal(new Texts('y', undefined, dir).t('a'), 'y.runtime.a', 'no catalogue at all');
  });

  it('hands errors to Node-RED as one sentence that carries its code', () => {
    const e = nodeError('NO_ADDRESS', 'no OSC address: set it');
    // What the runtime reads: toString() for msg.error.message, an own `code` for msg.error.code.
    assert.equal(e.toString(), 'no OSC address: set it');
    assert.equal(`${e}`, 'no OSC address: set it');
    assert.equal(Object.prototype.hasOwnProperty.call(e, 'code'), true);
    assert.equal(e.code, 'NO_ADDRESS');
    assert.equal(e instanceof Error, false, 'not shown as a collapsed Error object in the debug sidebar');
    assert.doesNotMatch(
      e.constructor.name,
      /error/i,
      'the sidebar would render an "...Error" class as an empty object',
    );
  });

  it('texts two nodes share read the same in both catalogues', () => {
    const dir = path.join(__dirname, '..', 'nodes', 'locales', 'en-US');
    const cat = (type) => JSON.parse(fs.readFileSync(path.join(dir, `${type}.json`), 'utf8'))[type].runtime;
    // osc-out and osc-codec both turn msgs into OSC (convert.ts): one set of texts, held by each node's catalogue.
    assert.deepEqual(cat('osc-codec').convert, cat('osc-out').convert);
    assert.deepEqual(cat('osc-request').convert, cat('osc-out').convert);
    // osc-in and osc-out both word their endpoint.
    for (const group of ['endpoint', 'endpoint-short', 'endpoint-status', 'endpoint-retry', 'endpoint-reachable']) {
      assert.deepEqual(cat('osc-in')[group], cat('osc-out')[group], group);
      assert.deepEqual(cat('osc-request')[group], cat('osc-out')[group], group);
    }
  });

  it('words only the endpoint errors the transport layer has (its keys, listed in docs/endpoints.md)', () => {
    const doc = fs.readFileSync(path.join(__dirname, '..', 'docs', 'endpoints.md'), 'utf8');
    const known = new Set();
    for (const row of doc.split('\n').filter((l) => /^\| `[A-Z_]+\.[A-Za-z]+`/.test(l))) {
      for (const m of row.split('|')[1].matchAll(/`([A-Z_]+\.[A-Za-z]+)`/g)) known.add(m[1]);
    }
    assert.ok(known.size > 30, `${known.size} keys read from the table`);
    const runtime = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', 'nodes', 'locales', 'en-US', 'osc-in.json'), 'utf8'),
    )['osc-in'].runtime;
    for (const group of ['endpoint', 'endpoint-short']) {
      for (const [code, cases] of Object.entries(runtime[group])) {
        for (const c of Object.keys(cases)) {
          const key = `${code}.${c.replace(/_(one|other)$/, '')}`;
          assert.ok(known.has(key), `${group}.${key} is not a key of the transport layer`);
        }
      }
    }
  });
});
