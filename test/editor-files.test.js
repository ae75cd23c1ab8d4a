'use strict';
// The editor half of each node, checked without a browser: the files Node-RED and the Flow Library scorecard
// look for, the property names saved flows depend on, and the editor's validators run against the runtime's.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const fc = require('fast-check');
const { compilePattern, validateAddress } = require('../dist/osc/pattern.js');
const { msgToPacket } = require('../dist/nodes/convert.js');
const pkg = require('../package.json');

const root = path.resolve(__dirname, '..');
const types = Object.keys(pkg['node-red'].nodes);
const read = (...p) => fs.readFileSync(path.join(root, ...p), 'utf8');

// Node-RED serves <module root>/resources/ at resources/<module name>/; the editor loads <script src> ones
// before the node's own scripts.
const RESOURCE_SRC = /<script src="resources\/([^"]+?)\/([^"/]+)"><\/script>/g;
const resourcesOf = (html) => [...html.matchAll(RESOURCE_SRC)].map((m) => ({ module: m[1], file: m[2] }));

/**
 * Runs a node's editor script with a stand-in RED and returns the definition it registers. RED._ returns
 * "key {json of options}" so tests can see which message and which position a validator chose.
 */
function loadDefinition(type, configNodes = {}) {
  const html = read('nodes', `${type}.html`);
  const scripts = [...html.matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]);
  const registered = {};
  const RED = {
    _: (key, opts) => {
      const k = key.replace(/^[^:]*:/, ''); // the node set's namespace, "@oscflow/node-red-osc/<type>:"
      return opts ? `${k} ${JSON.stringify(opts)}` : k;
    },
    nodes: {
      registerType: (t, def) => {
        registered[t] = def;
      },
      node: (id) => configNodes[id] || null,
    },
  };
  const context = vm.createContext({ RED, $: () => assert.fail('$ used at load time') });
  vm.runInContext('var window = this;', context);
  for (const r of resourcesOf(html)) vm.runInContext(read('resources', r.file), context, { filename: r.file });
  for (const s of scripts) vm.runInContext(s, context);
  assert.ok(registered[type], `${type}.html registers ${type}`);
  return registered[type];
}

/** The editor's verdict on a property value: true, or the message key and 1-based position it reported. */
function verdict(def, prop, value, node = {}) {
  const r = def.defaults[prop].validate.call(node, value, {});
  if (r === true) return true;
  const text = Array.isArray(r) ? r[0] : r;
  assert.equal(typeof text, 'string', `${prop} validator returns an explanation, not ${JSON.stringify(r)}`);
  return text;
}

// Position in an editor message: 'pos' of the innermost options object (the rule wrapper nests it as text).
function editorOffset(text) {
  const m = /\\?"pos\\?":(\d+)/.exec(text);
  return m ? Number(m[1]) - 1 : 0;
}

function runtimeOffset(fn) {
  try {
    fn();
    return true;
  } catch (err) {
    return err.offset;
  }
}

describe('editor files', () => {
  for (const type of types) {
    describe(type, () => {
      it('has its template, an inline registerType with a category, help and messages', () => {
        const html = read('nodes', `${type}.html`);
        assert.match(html, new RegExp(`<script type="text/html" data-template-name="${type}">`));
        // The scorecard parses this literally: quoted type, then an object literal holding category.
        assert.match(html, new RegExp(`RED\\.nodes\\.registerType\\('${type}',\\s*\\{[^}]*?category:\\s*'(OSC|config)'`));
        const help = read('nodes', 'locales', 'en-US', `${type}.html`);
        assert.match(help, new RegExp(`data-help-name="${type}"`));
        assert.match(help, /<script type="text\/html" data-help-name="[^"]+">\s*<p>[^<]/, 'the first paragraph is the palette tooltip');
        const messages = JSON.parse(read('nodes', 'locales', 'en-US', `${type}.json`));
        assert.ok(messages[type], `locales/en-US/${type}.json holds a "${type}" section`);
      });

      it('uses only message keys that exist in its locale file', () => {
        const html = read('nodes', `${type}.html`);
        const messages = JSON.parse(read('nodes', 'locales', 'en-US', `${type}.json`));
        const keys = [
          ...[...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]),
          ...[...html.matchAll(/\bt\("([^"]+[^."-])"/g)].map((m) => `${type}.${m[1]}`),
          // Error keys chosen at run time: t("errors." + e.key), e.key from this file or a shared resource, where
          // the node may put its own prefix before it: t("errors.address-" + e.key).
          ...[...html.matchAll(/\bkey: "([^"]+)"/g)].map((m) => `${type}.errors.${m[1]}`),
          ...resourcesOf(html).flatMap((r) => {
            const shared = [...read('resources', r.file).matchAll(/\bkey: (?:gap \? )?"([^"]+)"(?: : "([^"]+)")?/g)]
              .flatMap((m) => m.slice(1).filter(Boolean));
            const prefixes = [...html.matchAll(/\bt\("errors\.([\w-]*)" \+ e\.key/g)].map((m) => m[1]);
            // Only the pattern check returns message keys; the allow-list check returns the bad entry itself.
            if (!html.includes('checkPattern')) return [];
            assert.ok(shared.length > 5 && prefixes.length > 0, `${type} uses the keys of ${r.file}`);
            return prefixes.flatMap((prefix) => shared.map((k) => `${type}.errors.${prefix}${k}`));
          }),
        ].filter((k) => !k.startsWith('node-red:'));
        assert.ok(keys.length > 3);
        for (const key of keys) {
          const value = key.split('.').reduce((o, k) => (o == null ? undefined : o[k]), messages);
          assert.equal(typeof value, 'string', `${key} is defined in locales/en-US/${type}.json`);
        }
      });

      it('declares every validator with two parameters, so the editor shows its explanation', () => {
        // Node-RED (3.x, 4.x) coerces the result of a one-parameter validator to a boolean: an explanation
        // returned from it would count as valid.
        const def = loadDefinition(type);
        for (const [prop, d] of Object.entries(def.defaults)) {
          if (d.validate) assert.equal(d.validate.length, 2, `${type}.${prop}`);
        }
      });

      it('has an existing icon, or none as a config node', () => {
        const def = loadDefinition(type);
        if (def.category === 'config') return assert.equal(def.icon, undefined);
        assert.equal(def.category, 'OSC');
        assert.match(def.icon, /^oscflow-.+\.svg$/, 'icon names are global: prefixed');
        const svg = read('icons', def.icon);
        const [, w, h] = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
        assert.equal(Number(w) * 3, Number(h) * 2, 'icons are 2:3');
        assert.ok(Number(w) >= 40);
        assert.doesNotMatch(svg, /(fill|stroke)="#(?!fff\b|ffffff\b)[0-9a-f]+"/i, 'white on transparent');
      });
    });
  }

  it('saves exactly the property names and defaults of the API contract', () => {
    const defaults = (type) =>
      // Through JSON: the objects were made in another realm (vm), and JSON is how flows are saved anyway.
      JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(loadDefinition(type).defaults).map(([k, v]) => [k, v.value]))));
    assert.deepEqual(defaults('osc-udp'), {
      name: '', localAddress: '0.0.0.0', localPort: 0, ipv: 'udp4', broadcast: false, multicastGroup: '',
      multicastInterface: '', ttl: 64, multicastLoopback: true, allow: '', rcvbuf: 1048576,
    });
    assert.deepEqual(defaults('osc-in'), {
      name: '', transport: 'udp', endpoint: '', tcpEndpoint: '', payloadArray: false, bundles: 'split', lenient: false,
      schedule: false, queueSize: 1000, horizon: 3600, late: 'emit',
    });
    assert.deepEqual(defaults('osc-out'), { name: '', transport: 'udp', endpoint: '', tcpEndpoint: '', host: '', port: '', address: '', numbers: 'int' });
    assert.deepEqual(defaults('osc-tcp'), {
      name: '', mode: 'client', host: '', port: '', localAddress: '0.0.0.0', localPort: '', framing: 'slip', maxClients: 64, allow: '',
    });
    assert.deepEqual(defaults('osc-codec'), {
      name: '', action: 'auto', framing: 'none', address: '', numbers: 'int', payloadArray: false, bundles: 'split', lenient: false,
    });
    assert.deepEqual(defaults('osc-route'), {
      name: '', property: 'topic', rules: [{ pattern: '' }], checkall: 'true', otherwise: false, outputs: 1,
    });
    assert.deepEqual(defaults('osc-request'), {
      name: '', transport: 'udp', endpoint: '', tcpEndpoint: '', host: '', port: '', address: '', numbers: 'int',
      reply: '', format: 'osc', timeout: 1, retries: 0, maxPending: 100, consume: false,
    });
    assert.deepEqual([loadDefinition('osc-request').defaults.endpoint.type, loadDefinition('osc-request').defaults.tcpEndpoint.type], ['osc-udp', 'osc-tcp']);
    const inEndpoint = loadDefinition('osc-in').defaults.endpoint;
    const outEndpoint = loadDefinition('osc-out').defaults.endpoint;
    assert.deepEqual([inEndpoint.type, outEndpoint.type, outEndpoint.required], ['osc-udp', 'osc-udp', false]);
    assert.deepEqual(['osc-in', 'osc-out'].map((t) => loadDefinition(t).defaults.tcpEndpoint.type), ['osc-tcp', 'osc-tcp']);
  });

  it('asks osc-in and osc-out for the endpoint of the chosen transport only, and saved flows without one stay UDP', () => {
    const configs = {
      u1: { type: 'osc-udp', localPort: '9000' },
      t1: { type: 'osc-tcp', mode: 'client', host: 'qlab', port: '53000' },
      bad: { type: 'osc-tcp', valid: false },
    };
    const oscIn = loadDefinition('osc-in', configs);
    const oscOut = loadDefinition('osc-out', configs);
    // A flow saved before TCP: no transport property at all.
    assert.equal(verdict(oscIn, 'endpoint', 'u1', {}), true);
    assert.match(String(verdict(oscIn, 'endpoint', '', {})), /errors\.endpoint/);
    assert.match(String(verdict(oscIn, 'endpoint', 't1', {})), /errors\.endpoint/, 'an osc-tcp id is not an osc-udp endpoint');
    assert.equal(verdict(oscIn, 'tcpEndpoint', '', {}), true);
    assert.equal(verdict(oscIn, 'endpoint', '', { transport: 'tcp' }), true);
    assert.equal(verdict(oscIn, 'tcpEndpoint', 't1', { transport: 'tcp' }), true);
    for (const v of ['', '_ADD_', 'u1', 'bad', 'gone']) {
      assert.match(String(verdict(oscIn, 'tcpEndpoint', v, { transport: 'tcp' })), /errors\.tcpEndpoint/, v);
      assert.match(String(verdict(oscOut, 'tcpEndpoint', v, { transport: 'tcp' })), /errors\.tcpEndpoint/, v);
    }
    assert.equal(verdict(oscOut, 'tcpEndpoint', '', {}), true);
    assert.equal(oscIn.label.call({ transport: 'tcp', tcpEndpoint: 't1' }), 'tcp qlab:53000');
    assert.equal(oscOut.label.call({ transport: 'tcp', tcpEndpoint: 't1' }), 'tcp qlab:53000');
    assert.equal(oscIn.label.call({ endpoint: 'u1' }), ':9000');
  });

  it('checks the scheduling and TCP settings', () => {
    const oscIn = loadDefinition('osc-in');
    const on = { schedule: true };
    for (const ok of [1, '1000', 1000000]) assert.equal(verdict(oscIn, 'queueSize', ok, on), true, String(ok));
    for (const bad of [0, '-1', '1.5', 'x', 1000001]) assert.match(String(verdict(oscIn, 'queueSize', bad, on)), /errors\.queueSize/, String(bad));
    for (const ok of [3600, '0.5', '.25', 31536000]) assert.equal(verdict(oscIn, 'horizon', ok, on), true, String(ok));
    for (const bad of [0, '-1', 'x', '', 31536001]) assert.match(String(verdict(oscIn, 'horizon', bad, on)), /errors\.horizon/, String(bad));
    // Scheduling off, or an osc-in saved before scheduling existed (no such properties): nothing to check.
    assert.equal(verdict(oscIn, 'queueSize', 'x', {}), true);
    for (const p of ['queueSize', 'horizon']) {
      assert.equal(verdict(oscIn, p, undefined, {}), true, p);
      assert.equal(verdict(oscIn, p, undefined, on), true, p);
    }
    const tcp = loadDefinition('osc-tcp');
    const client = { mode: 'client' };
    const server = { mode: 'server' };
    assert.equal(verdict(tcp, 'host', 'qlab.local', client), true);
    assert.match(String(verdict(tcp, 'host', ' ', client)), /errors\.host/);
    assert.equal(verdict(tcp, 'host', '', server), true, 'a server needs no host');
    assert.equal(verdict(tcp, 'port', '53000', client), true);
    for (const bad of ['', '0', '65536', 'x']) assert.match(String(verdict(tcp, 'port', bad, client)), /errors\.port/, bad);
    assert.equal(verdict(tcp, 'port', '', server), true);
    for (const ok of ['0', 9000]) assert.equal(verdict(tcp, 'localPort', ok, server), true);
    assert.match(String(verdict(tcp, 'localPort', '', server)), /errors\.localPort/);
    assert.equal(verdict(tcp, 'framing', 'auto', server), true);
    assert.match(String(verdict(tcp, 'framing', 'auto', client)), /errors\.framing/, 'a client cannot detect the framing');
    assert.match(String(verdict(tcp, 'maxClients', '0', server)), /errors\.maxClients/);
    assert.equal(verdict(tcp, 'allow', '127.0.0.0/8, ::1 # this machine', server), true);
    assert.match(String(verdict(tcp, 'allow', '10.0.0.300', server)), /errors\.allow/);
    assert.equal(verdict(tcp, 'allow', 'junk', client), true, 'a client ignores its hidden allow-list');
    assert.equal(tcp.label.call({ mode: 'client', host: '10.0.0.5', port: '53000' }), 'tcp 10.0.0.5:53000');
    assert.equal(tcp.label.call({ mode: 'server', localAddress: '::', localPort: '9000' }), 'tcp server [::]:9000');
    const c = loadDefinition('osc-codec');
    assert.equal(c.label.call({ action: 'decode', framing: 'slip' }), 'osc decode (SLIP)');
    assert.match(String(verdict(c, 'address', '/a b')), /errors\.address-char/);
    // The codec encodes through osc out's conversion, so its Address takes a pattern too, with the same checks.
    assert.equal(verdict(c, 'address', '/synth/*/gate'), true);
    assert.match(String(verdict(c, 'address', '/a/[b')), /errors\.address-unclosed-bracket/);
  });

  it('checks osc request\'s settings as its runtime does', () => {
    const { requestOptionsFromConfig } = require('../dist/nodes/requester.js');
    const req = loadDefinition('osc-request', { t1: { type: 'osc-tcp', mode: 'client', name: 'QLab' } });
    const runtimeProblems = (prop, value) => requestOptionsFromConfig({ [prop]: value }, 'udp', 4).problems.length === 0;
    for (const [prop, values] of Object.entries({
      timeout: [1, '0.25', '.5', '2147483', 0, '0', '-1', 'x', '', '2147484'],
      retries: [0, '3', '1000', '-1', '1.5', 'x', '1001'],
      maxPending: [100, '1', '1000000', '0', '2.5', 'x', '1000001'],
      reply: ['', '/synced', '<address>.reply', '/reply<address>', '/reply//*', '/a b', '<address>/[x', 'nope'],
    })) {
      for (const v of values) {
        const editor = verdict(req, prop, v) === true;
        // Blank numbers are the defaults to the runtime; the editor asks for a value.
        if (v === '' && prop !== 'reply') assert.equal(editor, false, `${prop} ${JSON.stringify(v)}`);
        else assert.equal(editor, runtimeProblems(prop, v), `${prop} ${JSON.stringify(v)}: the editor and the runtime agree`);
      }
    }
    assert.match(String(verdict(req, 'reply', '<address> x')), /errors\.address-char \{"pos":10,/, 'positions count in the Reply as written');
    assert.equal(verdict(req, 'retries', 'x', { transport: 'tcp' }), true, 'no retries over TCP');
    assert.match(String(verdict(req, 'tcpEndpoint', '', { transport: 'tcp' })), /errors\.tcpEndpoint/);
    assert.equal(verdict(req, 'tcpEndpoint', 't1', { transport: 'tcp' }), true);
    assert.equal(req.label.call({ host: '192.168.1.64', port: '10023', address: '/ch/01/mix/fader' }), '192.168.1.64:10023 /ch/01/mix/fader');
    assert.equal(req.label.call({ transport: 'tcp', tcpEndpoint: 't1' }), 'QLab');
    assert.equal(req.label.call({}), 'osc request');
    assert.equal(req.outputLabels.call({}, 0), 'osc-request.label.output');
  });

  it('labels nodes with what they do', () => {
    const route = loadDefinition('osc-route');
    const rules = [{ pattern: '/synth/*' }, { pattern: '/a' }, { pattern: '/b' }];
    assert.equal(route.label.call({ rules }), '/synth/* +2');
    assert.equal(route.label.call({ rules: rules.slice(0, 1) }), '/synth/*');
    assert.equal(route.label.call({ name: 'mixer', rules }), 'mixer');
    assert.deepEqual([0, 1, 2, 3].map((i) => route.outputLabels.call({ rules, otherwise: true }, i)),
      ['/synth/*', '/a', '/b', 'osc-route.label.otherwise']);
    const udp = loadDefinition('osc-udp');
    assert.equal(udp.label.call({ ipv: 'udp4', localAddress: '0.0.0.0', localPort: 9000 }), 'udp4 0.0.0.0:9000');
    assert.equal(udp.label.call({ ipv: 'udp6', localAddress: '::', localPort: 0 }), 'udp6 [::]:any');
    const oscIn = loadDefinition('osc-in', { e1: { localPort: '9000' } });
    assert.equal(oscIn.label.call({ endpoint: 'e1' }), ':9000');
    assert.equal(oscIn.label.call({ endpoint: '' }), 'osc in');
    const out = loadDefinition('osc-out');
    assert.equal(out.label.call({ host: '127.0.0.1', port: '57110' }), '127.0.0.1:57110');
    assert.equal(out.label.call({ host: '', port: '', address: '/xremote' }), '/xremote');
  });

  it('checks port ranges and explains them', () => {
    const udp = loadDefinition('osc-udp');
    for (const ok of [0, '0', 9000, '65535']) assert.equal(verdict(udp, 'localPort', ok), true, String(ok));
    for (const bad of [-1, 65536, '8.5', '1e3', 'abc', '']) assert.match(String(verdict(udp, 'localPort', bad)), /errors\.port/);
    const out = loadDefinition('osc-out');
    for (const ok of ['', '1', '57110', 65535]) assert.equal(verdict(out, 'port', ok), true, String(ok));
    for (const bad of ['0', 0, '65536', 'x']) assert.match(String(verdict(out, 'port', bad)), /errors\.port/);
    assert.equal(verdict(udp, 'multicastGroup', '239.0.0.1'), true);
    assert.equal(verdict(udp, 'multicastGroup', 'ff02::1'), true);
    assert.match(String(verdict(udp, 'multicastGroup', '192.168.1.1')), /errors\.group/);
  });

  describe('the editor pattern check agrees with compilePattern', () => {
    const route = loadDefinition('osc-route');
    const editor = (p) => {
      const v = verdict(route, 'rules', [{ pattern: p }]);
      return v === true ? true : editorOffset(v);
    };
    const runtime = (p) => runtimeOffset(() => compilePattern(p));

    it('on chosen patterns, valid and invalid, at the same position', () => {
      const patterns = [
        '/a', '/synth/*/freq', '/a//b', '//*', '/a/{on,off}', '/a/{}', '/a/{,s}', '/[a-z]x', '/[!0-9]', '/[-a]', '/[a-]',
        '/x+y.$^|()', '/caf\u00e9/\u{1F600}?', '/[\u{1F600}-\u{1F64F}]',
        '', 'a', '/', '/a/', '/a//', '///a', '/a///b', '/a b', '/a#', '/a,b', '/a]', '/a}', '/[', '/[]', '/[!]', '/[a/b]',
        '/[z-a]', '/[a-/]', '/[a,b]', '/[a}]', '/[*]', '/{a', '/{a/b}', '/{a]}', '/{a*}', '/{a{b}}', '/a\u0000', '/a\u007f',
      ];
      for (const p of patterns) assert.equal(editor(p), runtime(p), JSON.stringify(p));
      assert.equal(editor('/synth/*'), true);
      assert.notEqual(editor('/[a'), true);
    });

    it('on random patterns made of the characters that matter', () => {
      const alphabet = ['/', 'a', 'b', '*', '?', '[', ']', '!', '-', '{', '}', ',', ' ', '#', 'z', '\u{1F600}', '\n'];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }), (chars) => {
          const p = '/' + chars.join('');
          assert.equal(editor(p), runtime(p), JSON.stringify(p));
        }),
        { numRuns: 3000 },
      );
    });

    it('explains what is wrong, counting from 1', () => {
      const v = verdict(route, 'rules', [{ pattern: '/ok' }, { pattern: '/a[' }]);
      assert.equal(v, 'osc-route.errors.rule {"index":2,"error":"osc-route.errors.unclosed-bracket {\\"pos\\":3,\\"char\\":\\"\\"}"}');
      assert.match(String(verdict(route, 'rules', [])), /no-rules/);
    });
  });

  describe('the osc out Address check agrees with the runtime: a literal address or a pattern', () => {
    const out = loadDefinition('osc-out');
    const editor = (a) => {
      const v = verdict(out, 'address', a);
      return v === true ? true : editorOffset(v);
    };
    // What osc-out does with its Address property: accept it, or refuse it as BAD_ADDRESS "... at <offset>".
    const runtime = (a) => {
      try {
        msgToPacket({ payload: [] }, { address: a, numbers: 'int' });
        return true;
      } catch (err) {
        assert.equal(err.code, 'BAD_ADDRESS', `${JSON.stringify(a)}: ${err.message}`);
        return Number(/ at (\d+)$/.exec(err.message)[1]);
      }
    };
    const literalOrPattern = (a) => {
      const asAddress = runtimeOffset(() => validateAddress(a));
      const asPattern = runtimeOffset(() => compilePattern(a));
      // Every literal address is a pattern without operators, so "either" is the pattern's verdict.
      if (asAddress === true) assert.equal(asPattern, true, JSON.stringify(a));
      return asPattern;
    };

    it('on chosen addresses and patterns, with the same message and position', () => {
      const cases = {
        '/fader/1': true, '/synth/*/gate': true, '/a/{on,off}': true, '/mixer//gain': true, '/[!0-9]x?': true,
        'no-slash': 'address-slash {"pos":1,"char":""}', '/a b': "address-char {\"pos\":3,\"char\":\"' '\"}",
        '/a/': 'address-empty-part {"pos":4,"char":""}', '/a/[b': 'address-unclosed-bracket {"pos":4,"char":""}',
        '/a//': 'address-gap-end {"pos":5,"char":""}', '/a]': "address-unmatched {\"pos\":3,\"char\":\"']'\"}",
        '/x/{a*}': "address-inside-brace {\"pos\":6,\"char\":\"'*'\"}", '/[z-a]': 'address-reversed {"pos":3,"char":"\'z\'"}',
      };
      for (const [a, want] of Object.entries(cases)) {
        const v = verdict(out, 'address', a);
        assert.equal(v === true ? true : v.replace(/^osc-out\.errors\./, ''), want, a);
        assert.equal(editor(a), runtime(a), JSON.stringify(a));
        assert.equal(runtime(a), literalOrPattern(a), JSON.stringify(a));
      }
      assert.equal(editor(''), true, 'blank: the address comes from msg.topic');
    });

    it('on random addresses made of the characters that matter', () => {
      const alphabet = ['/', 'a', '*', '?', '[', ']', '!', '-', '{', '}', ',', ' ', '#', '\t', '.', '\u{1F600}'];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 10 }), (chars) => {
          const a = chars.join('').trim();
          if (a === '') return; // blank: the address comes from msg.topic
          const r = runtime(a);
          assert.equal(editor(a), r, JSON.stringify(a));
          assert.equal(r, literalOrPattern(a), JSON.stringify(a));
        }),
        { numRuns: 3000 },
      );
    });
  });

  it('loads shared editor code from resources/ under this module\'s name, and ships it', () => {
    const used = types.flatMap((type) => resourcesOf(read('nodes', `${type}.html`)).map((r) => ({ type, ...r })));
    assert.deepEqual([...new Set(used.map((u) => u.type))].sort(), ['osc-codec', 'osc-in', 'osc-out', 'osc-request', 'osc-route', 'osc-tcp', 'osc-udp']);
    for (const u of used) {
      assert.equal(u.module, pkg.name, `${u.type}: Node-RED serves resources/ at resources/${pkg.name}/`);
      assert.ok(fs.existsSync(path.join(root, 'resources', u.file)), `${u.type}: resources/${u.file} exists`);
    }
    assert.ok(pkg.files.includes('resources/'), 'package.json "files" ships resources/');
    const context = vm.createContext({});
    vm.runInContext(read('resources', 'osc-validate.js'), context);
    assert.deepEqual(Object.keys(context.OscflowValidate), ['checkPattern', 'badAllowEntry', 'wholeIn'], 'one global object, for every node');
  });
});
