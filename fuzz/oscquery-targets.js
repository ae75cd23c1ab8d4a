'use strict';
// The OSCQuery server's faces to the LAN, fuzzed: the HTTP request handler (src/oscquery/http.ts: a request's
// method and target), the WebSocket command parser (commands.ts) and the walk that finds declared addresses in the
// packets passing an endpoint (packets.ts). None may throw, whatever arrives; answers keep the proposal's shape.
const path = require('node:path');

const DIST = path.resolve(__dirname, '..', 'dist', 'oscquery');

function load(file) {
  try {
    return require(path.join(DIST, file));
  } catch (e) {
    if (e && e.code === 'MODULE_NOT_FOUND') return null;
    throw e;
  }
}

const TABLE = [
  { address: '/avatar/change', types: 's', access: 'r' },
  { address: '/avatar/parameters/Gain', types: 'f', min: 0, max: 1, unit: 'gain', description: 'a "quoted" one' },
  { address: '/mix/ch/1/fader', types: 'f[ii]T', access: 'w' },
  { address: '/__proto__/x', types: '' },
];

const STATUSES = new Set([200, 204, 400, 404, 405, 414]);

/** @param {{ mutateString: (rng: any, s: string) => string, mutateOnce: (rng: any, input: Buffer, other: Buffer) => Buffer, fail: (m: string) => void }} h */
function oscqueryTargets(h) {
  let http;
  let space;
  const hostInfo = () => ({ NAME: 'fuzz', EXTENSIONS: {}, OSC_PORT: 9001, OSC_TRANSPORT: 'UDP' });
  const request = {
    name: 'oscquery-http',
    description: 'answer(space, method, target): OSCQuery HTTP requests',
    load() {
      http = load('http.js');
      const s = load('space.js');
      if (!http || !s) return 'dist/oscquery not built yet';
      space = new s.AddressSpace(TABLE, ['/route/literal']);
      return null;
    },
    seeds() {
      return [
        'GET /',
        'GET /?HOST_INFO',
        'GET /avatar/change?VALUE',
        'GET /avatar/parameters/Gain?RANGE',
        'GET /mix?CONTENTS',
        'GET /nope?TYPE',
        'GET /avatar?BOGUS',
        'HEAD /avatar/',
        'POST /',
        'GET /%E0%A4%A?VALUE',
        'GET http://host/avatar',
        'GET /__proto__?CONTENTS',
        'GET /constructor?VALUE',
        'GET /avatar?VALUE=&x#frag',
      ].map((t) => Buffer.from(t, 'utf8'));
    },
    generate(rng) {
      const paths = ['/', '/avatar', '/avatar/change', '/mix/ch/1/fader', '//', '/a%2Fb', '/%', '*', ''];
      const attrs = ['', '?VALUE', '?HOST_INFO', '?TYPE', '?CONTENTS', '?TAGS', '?toString', '?__proto__', '?'];
      const method = rng.pick(['GET', 'HEAD', 'PUT', 'get', '']);
      return [Buffer.from(`${method} ${rng.pick(paths)}${rng.pick(attrs)}`, 'utf8')];
    },
    mutate(rng, input) {
      return Buffer.from(h.mutateString(rng, input.toString('utf8')), 'utf8');
    },
    run(input) {
      const text = input.toString('utf8');
      const sp = text.indexOf(' ');
      const method = sp < 0 ? text : text.slice(0, sp);
      const target = sp < 0 ? '/' : text.slice(sp + 1);
      const r = http.answer(space, method, target, hostInfo);
      if (!STATUSES.has(r.status)) h.fail(`status ${r.status}`);
      if (r.status === 204) {
        if (r.body !== '') h.fail('204 with a body');
      } else {
        const v = JSON.parse(r.body);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) h.fail('the body is not a JSON object');
      }
      return `status:${r.status}`;
    },
  };

  let commands;
  const command = {
    name: 'oscquery-command',
    description: 'parseCommand(text): OSCQuery WebSocket text frames',
    load() {
      commands = load('commands.js');
      return commands ? null : 'dist/oscquery not built yet';
    },
    seeds() {
      return [
        '{"COMMAND":"LISTEN","DATA":"/foo"}',
        '{"COMMAND":"IGNORE","DATA":"/foo"}',
        '{"COMMAND":"LISTEN"}',
        '{"COMMAND":"PATH_CHANGED","DATA":"/x"}',
        '[1,2]',
        'null',
        '{"__proto__":{"COMMAND":"LISTEN"},"DATA":"/a"}',
      ].map((t) => Buffer.from(t, 'utf8'));
    },
    generate(rng) {
      const c = rng.pick(['LISTEN', 'IGNORE', 'listen', '', 'X']);
      const d = rng.pick(['"/a"', '"a"', '1', 'null', '["/a"]', '"/' + 'x'.repeat(rng.int(3000)) + '"']);
      return [Buffer.from(`{"COMMAND":"${c}","DATA":${d}}`, 'utf8')];
    },
    mutate(rng, input) {
      return Buffer.from(h.mutateString(rng, input.toString('utf8')), 'utf8');
    },
    run(input) {
      const r = commands.parseCommand(input.toString('utf8'));
      if ('error' in r) return 'error';
      if (r.command !== 'LISTEN' && r.command !== 'IGNORE') h.fail(`command ${r.command}`);
      if (typeof r.path !== 'string' || r.path[0] !== '/') h.fail('a path that is not one');
      return r.command;
    },
  };

  let packets;
  let pspace;
  const walk = {
    name: 'oscquery-packet',
    description: 'declaredMessages(space, bytes): declared addresses found in passing packets',
    load() {
      packets = load('packets.js');
      const s = load('space.js');
      if (!packets || !s) return 'dist/oscquery not built yet';
      pspace = new s.AddressSpace([
        { address: '/a', types: 'f' },
        { address: '/b/c', types: 'i' },
      ]);
      return null;
    },
    seeds() {
      const msg = (a) => {
        const b = Buffer.alloc(Math.ceil((a.length + 1) / 4) * 4 + 8);
        b.write(a);
        b.write(',f', Math.ceil((a.length + 1) / 4) * 4);
        return b;
      };
      const bundle = (...els) => {
        const head = Buffer.alloc(16);
        head.write('#bundle');
        return Buffer.concat([head, ...els.flatMap((e) => [Buffer.from([0, 0, 0, e.length].map(Number)), e])]);
      };
      return [msg('/a'), msg('/b/c'), bundle(msg('/a'), msg('/x')), bundle(bundle(msg('/b/c')))];
    },
    generate(rng) {
      return [this.seeds()[rng.int(4)]];
    },
    mutate(rng, input, other) {
      return h.mutateOnce(rng, input, other);
    },
    run(input) {
      let n = 0;
      packets.declaredMessages(pspace, input, (m, data, start, end) => {
        if (start < 0 || end > data.length || start >= end) h.fail(`range ${start}..${end} of ${data.length}`);
        if (!pspace.methods.has(m.address)) h.fail('an undeclared method');
        n++;
      });
      return `found:${Math.min(n, 3)}`;
    },
  };
  return [request, command, walk];
}

module.exports = { oscqueryTargets };
