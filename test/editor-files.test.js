'use strict';
// The editor half of each node, checked without a browser: the files Node-RED and the Flow Library scorecard
// look for, the property names saved flows depend on, and the editor's validators run against the runtime's:
// the same verdicts, in the same words.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const fc = require('fast-check');
const { compilePattern, validateAddress } = require('../dist/osc/pattern.js');
const { RESOURCES, bundle } = require('../scripts/editor-resources');
const { shortValue } = require('../dist/monitor/format.js');
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

/** The runtime's message for what fn refuses, or true when it accepts. */
function runtimeMessage(fn) {
  try {
    fn();
    return true;
  } catch (err) {
    return err.message;
  }
}

describe('editor files', () => {
  for (const type of types) {
    describe(type, () => {
      it('has its template, an inline registerType with a category, help and messages', () => {
        const html = read('nodes', `${type}.html`);
        assert.match(html, new RegExp(`<script type="text/html" data-template-name="${type}">`));
        // The scorecard parses this literally: quoted type, then an object literal holding category.
        assert.match(
          html,
          new RegExp(`RED\\.nodes\\.registerType\\('${type}',\\s*\\{[^}]*?category:\\s*'(OSC|config)'`),
        );
        const help = read('nodes', 'locales', 'en-US', `${type}.html`);
        assert.match(help, new RegExp(`data-help-name="${type}"`));
        assert.match(
          help,
          /<script type="text\/html" data-help-name="[^"]+">\s*<p>[^<]/,
          'the first paragraph is the palette tooltip',
        );
        const messages = JSON.parse(read('nodes', 'locales', 'en-US', `${type}.json`));
        assert.ok(messages[type], `locales/en-US/${type}.json holds a "${type}" section`);
      });

      it('uses only message keys that exist in its locale file', () => {
        const html = read('nodes', `${type}.html`);
        const messages = JSON.parse(read('nodes', 'locales', 'en-US', `${type}.json`));
        const keys = [
          ...[...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]),
          ...[...html.matchAll(/\bt\("([^"]+[^."-])"/g)].map((m) => `${type}.${m[1]}`),
        ].filter((k) => !k.startsWith('node-red:'));
        // V.sendTarget's validators (resources/osc-validate.js) look their messages up in the node's own file.
        if (/\bV\.sendTarget\(/.test(html)) {
          const validate = read('resources', 'osc-validate.js');
          const context = vm.createContext({});
          vm.runInContext(validate, context);
          const { messages } = context.OscflowValidate.sendTarget;
          assert.deepEqual(
            [...messages],
            [...validate.matchAll(/\bt\("([^"]+)"/g)].map((m) => m[1]),
            'sendTarget.messages lists the keys it uses',
          );
          keys.push(...messages.map((k) => `${type}.${k}`));
        }
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
      JSON.parse(
        JSON.stringify(Object.fromEntries(Object.entries(loadDefinition(type).defaults).map(([k, v]) => [k, v.value]))),
      );
    assert.deepEqual(defaults('osc-udp'), {
      name: '',
      localAddress: '0.0.0.0',
      localPort: 0,
      ipv: 'udp4',
      broadcast: false,
      multicastGroup: '',
      multicastInterface: '',
      ttl: 64,
      multicastLoopback: true,
      allow: '',
      rcvbuf: 1048576,
      advertise: false,
      serviceName: '',
    });
    assert.deepEqual(defaults('osc-in'), {
      name: '',
      transport: 'udp',
      endpoint: '',
      tcpEndpoint: '',
      payloadArray: false,
      bundles: 'split',
      lenient: false,
      schedule: false,
      queueSize: 1000,
      horizon: 3600,
      late: 'emit',
    });
    assert.deepEqual(defaults('osc-out'), {
      name: '',
      transport: 'udp',
      endpoint: '',
      tcpEndpoint: '',
      host: '',
      port: '',
      address: '',
      numbers: 'int',
      typesFrom: '',
      query: '',
    });
    assert.deepEqual(defaults('osc-tcp'), {
      name: '',
      mode: 'client',
      host: '',
      port: '',
      localAddress: '0.0.0.0',
      localPort: '',
      framing: 'slip',
      maxClients: 64,
      allow: '',
      advertise: false,
      serviceName: '',
    });
    assert.deepEqual(defaults('osc-codec'), {
      name: '',
      action: 'auto',
      framing: 'none',
      address: '',
      numbers: 'int',
      payloadArray: false,
      bundles: 'split',
      lenient: false,
    });
    assert.deepEqual(defaults('osc-query'), {
      name: '',
      mode: 'serve',
      remote: '',
      transport: 'udp',
      endpoint: '',
      tcpEndpoint: '',
      port: 0,
      localAddress: '',
      allow: '',
      websocket: true,
      advertise: true,
      serviceName: '',
      routeRules: false,
      methods: [],
    });
    assert.deepEqual(defaults('osc-route'), {
      name: '',
      property: 'topic',
      rules: [{ pattern: '' }],
      checkall: 'true',
      otherwise: false,
      outputs: 1,
    });
    assert.deepEqual(defaults('osc-request'), {
      name: '',
      transport: 'udp',
      endpoint: '',
      tcpEndpoint: '',
      host: '',
      port: '',
      address: '',
      numbers: 'int',
      reply: '',
      format: 'osc',
      timeout: 1,
      retries: 0,
      maxPending: 100,
      consume: false,
    });
    assert.deepEqual(
      [loadDefinition('osc-request').defaults.endpoint.type, loadDefinition('osc-request').defaults.tcpEndpoint.type],
      ['osc-udp', 'osc-tcp'],
    );
    const inEndpoint = loadDefinition('osc-in').defaults.endpoint;
    const outEndpoint = loadDefinition('osc-out').defaults.endpoint;
    assert.deepEqual([inEndpoint.type, outEndpoint.type, outEndpoint.required], ['osc-udp', 'osc-udp', false]);
    assert.deepEqual(
      ['osc-in', 'osc-out'].map((t) => loadDefinition(t).defaults.tcpEndpoint.type),
      ['osc-tcp', 'osc-tcp'],
    );
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
    assert.match(
      String(verdict(oscIn, 'endpoint', 't1', {})),
      /errors\.endpoint/,
      'an osc-tcp id is not an osc-udp endpoint',
    );
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
    for (const bad of [0, '-1', '1.5', 'x', 1000001])
      assert.match(String(verdict(oscIn, 'queueSize', bad, on)), /errors\.queueSize/, String(bad));
    for (const ok of [3600, '0.5', '.25', 31536000]) assert.equal(verdict(oscIn, 'horizon', ok, on), true, String(ok));
    for (const bad of [0, '-1', 'x', '', 31536001])
      assert.match(String(verdict(oscIn, 'horizon', bad, on)), /errors\.horizon/, String(bad));
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
    assert.match(String(verdict(tcp, 'host', ' ', client)), /errors\.host$/);
    assert.match(String(verdict(tcp, 'host', 'not a host!', client)), /errors\.hostName$/);
    assert.equal(verdict(tcp, 'host', '', server), true, 'a server needs no host');
    assert.equal(verdict(tcp, 'port', '53000', client), true);
    for (const bad of ['', '0', '65536', 'x'])
      assert.match(String(verdict(tcp, 'port', bad, client)), /errors\.port/, bad);
    assert.equal(verdict(tcp, 'port', '', server), true);
    for (const ok of ['0', 9000]) assert.equal(verdict(tcp, 'localPort', ok, server), true);
    assert.match(String(verdict(tcp, 'localPort', '', server)), /errors\.localPort/);
    assert.equal(verdict(tcp, 'framing', 'auto', server), true);
    assert.match(
      String(verdict(tcp, 'framing', 'auto', client)),
      /errors\.framing/,
      'a client cannot detect the framing',
    );
    assert.match(String(verdict(tcp, 'maxClients', '0', server)), /errors\.maxClients/);
    assert.equal(verdict(tcp, 'allow', '127.0.0.0/8, ::1 # this machine', server), true);
    assert.match(String(verdict(tcp, 'allow', '10.0.0.300', server)), /errors\.allow/);
    assert.equal(verdict(tcp, 'allow', 'junk', client), true, 'a client ignores its hidden allow-list');
    assert.equal(tcp.label.call({ mode: 'client', host: '10.0.0.5', port: '53000' }), 'tcp 10.0.0.5:53000');
    assert.equal(tcp.label.call({ mode: 'server', localAddress: '::', localPort: '9000' }), 'tcp server [::]:9000');
    const c = loadDefinition('osc-codec');
    assert.equal(c.label.call({ action: 'decode', framing: 'slip' }), 'osc decode (SLIP)');
    // The codec encodes through osc out's conversion, so its Address takes a pattern too (checked below with osc out's).
    assert.equal(verdict(c, 'address', '/synth/*/gate'), true);
    assert.match(String(verdict(c, 'address', '/a b')), /not allowed in an OSC address/);
  });

  it("checks osc request's settings as its runtime does", () => {
    const { requestOptionsFromConfig } = require('../dist/nodes/requester.js');
    const req = loadDefinition('osc-request', { t1: { type: 'osc-tcp', mode: 'client', name: 'QLab' } });
    const runtimeProblems = (prop, value) =>
      requestOptionsFromConfig({ [prop]: value }, 'udp', 4).problems.length === 0;
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
        else
          assert.equal(
            editor,
            runtimeProblems(prop, v),
            `${prop} ${JSON.stringify(v)}: the editor and the runtime agree`,
          );
      }
    }
    // The runtime's words for an address of the same length in place of <address>, quoting the Reply as written,
    // so the position (counted from 0, as the runtime counts) is the Reply's own.
    assert.equal(
      verdict(req, 'reply', '<address> x'),
      'Invalid OSC address "<address> x": \' \' is not allowed in an OSC address at 9',
      'positions count in the Reply as written',
    );
    assert.equal(
      verdict(req, 'reply', '<address> x'),
      String(runtimeMessage(() => validateAddress('/synth/ab x'))).replace('"/synth/ab x"', '"<address> x"'),
      "the runtime's words",
    );
    assert.equal(
      verdict(req, 'reply', '/reply<address>/[x'),
      'Invalid OSC address pattern "/reply<address>/[x": unclosed \'[\' at 16',
    );
    assert.equal(verdict(req, 'host', 'mixer.local'), true);
    assert.equal(verdict(req, 'host', ''), true, 'blank: msg.ip');
    assert.match(String(verdict(req, 'host', 'not a host!')), /^osc-request\.errors\.host$/);
    assert.equal(verdict(req, 'host', 'not a host!', { transport: 'tcp' }), true, 'no host over TCP');
    assert.equal(verdict(req, 'retries', 'x', { transport: 'tcp' }), true, 'no retries over TCP');
    assert.match(String(verdict(req, 'tcpEndpoint', '', { transport: 'tcp' })), /errors\.tcpEndpoint/);
    assert.equal(verdict(req, 'tcpEndpoint', 't1', { transport: 'tcp' }), true);
    assert.equal(
      req.label.call({ host: '192.168.1.64', port: '10023', address: '/ch/01/mix/fader' }),
      '192.168.1.64:10023 /ch/01/mix/fader',
    );
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
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => route.outputLabels.call({ rules, otherwise: true }, i)),
      ['/synth/*', '/a', '/b', 'osc-route.label.otherwise'],
    );
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

  it('checks port ranges and explains them; a blank local port is 0, as its placeholder says', () => {
    const udp = loadDefinition('osc-udp');
    for (const ok of [0, '0', 9000, '65535', '', ' ', undefined])
      assert.equal(verdict(udp, 'localPort', ok), true, String(ok));
    for (const bad of [-1, 65536, '8.5', '1e3', 'abc'])
      assert.match(String(verdict(udp, 'localPort', bad)), /errors\.port/);
    const out = loadDefinition('osc-out');
    for (const ok of ['', '1', '57110', 65535]) assert.equal(verdict(out, 'port', ok), true, String(ok));
    for (const bad of ['0', 0, '65536', '70000', 'x']) assert.match(String(verdict(out, 'port', bad)), /errors\.port/);
    assert.equal(verdict(udp, 'multicastGroup', '239.0.0.1'), true);
    assert.equal(verdict(udp, 'multicastGroup', 'ff02::1'), true);
    assert.match(String(verdict(udp, 'multicastGroup', '192.168.1.1')), /errors\.group/);
  });

  it('refuses a host that cannot be one, where the runtime would only fail when sending', () => {
    const out = loadDefinition('osc-out');
    const tcp = loadDefinition('osc-tcp');
    const udp = loadDefinition('osc-udp');
    const hosts = [
      '127.0.0.1',
      'localhost',
      'mixer.local',
      'x32-desk',
      'my_pc.lan.',
      '::1',
      'fe80::1%eth0',
      '::ffff:192.168.1.20',
      '2001:db8::8a2e:370:7334',
      '1:2:3:4:5:6:7:8',
    ];
    const notHosts = [
      'not a host!',
      '192.168.1.300',
      '10.0.0',
      'a..b',
      '-dash.local',
      'qlab:53000',
      '[::1]',
      '1::2::3',
      'http://x',
      'ü.local',
    ];
    for (const h of hosts) {
      assert.equal(verdict(out, 'host', h), true, h);
      assert.equal(verdict(tcp, 'host', h, { mode: 'client' }), true, h);
      assert.equal(verdict(udp, 'localAddress', h), true, h);
    }
    for (const h of notHosts) {
      assert.match(String(verdict(out, 'host', h)), /errors\.host$/, h);
      assert.match(String(verdict(tcp, 'host', h, { mode: 'client' })), /errors\.hostName$/, h);
      assert.match(String(verdict(udp, 'localAddress', h)), /errors\.localAddress$/, h);
    }
    // Blank: msg.ip for osc out; over TCP osc out has no host at all.
    assert.equal(verdict(out, 'host', ''), true);
    assert.equal(verdict(out, 'host', 'not a host!', { transport: 'tcp' }), true);
  });

  it('accepts every property a flow saved before it existed leaves out, as the runtime does', () => {
    for (const type of types) {
      const def = loadDefinition(type);
      for (const [prop, d] of Object.entries(def.defaults)) {
        // Required: the endpoint of the transport in use, the rules, what an osc tcp connects to or listens on.
        // Everything else has a runtime default.
        const required = [
          'endpoint',
          'rules',
          'property',
          ...(type === 'osc-tcp' ? ['host', 'port', 'localPort'] : []),
        ];
        if (!d.validate || required.includes(prop)) continue;
        for (const node of [{}, { mode: 'server' }, { schedule: true }]) {
          assert.equal(verdict(def, prop, undefined, node), true, `${type}.${prop} absent, ${JSON.stringify(node)}`);
        }
      }
    }
  });

  describe("osc route judges a rule with the runtime's compiler, in its words", () => {
    const route = loadDefinition('osc-route');
    const editor = (p) => {
      const v = verdict(route, 'rules', [{ pattern: p }]);
      if (v === true) return true;
      const m = /^osc-route\.errors\.rule (.*)$/.exec(v);
      return m ? JSON.parse(m[1]).error : v;
    };
    const runtime = (p) => runtimeMessage(() => compilePattern(p));

    it('on chosen patterns, valid and invalid', () => {
      const patterns = [
        '/a',
        '/synth/*/freq',
        '/a//b',
        '//*',
        '/a/{on,off}',
        '/a/{}',
        '/a/{,s}',
        '/[a-z]x',
        '/[!0-9]',
        '/[-a]',
        '/[a-]',
        '/x+y.$^|()',
        '/caf\u00e9/\u{1F600}?',
        '/[\u{1F600}-\u{1F64F}]',
        'a',
        '/',
        '/a/',
        '/a//',
        '///a',
        '/a///b',
        '/a b',
        '/a#',
        '/a,b',
        '/a]',
        '/a}',
        '/[',
        '/[]',
        '/[!]',
        '/[a/b]',
        '/[z-a]',
        '/[a-/]',
        '/[a,b]',
        '/[a}]',
        '/[*]',
        '/{a',
        '/{a/b}',
        '/{a]}',
        '/{a*}',
        '/{a{b}}',
        '/a\u0000',
        '/a\u007f',
      ];
      for (const p of patterns) assert.equal(editor(p), runtime(p), JSON.stringify(p));
      assert.equal(editor('/synth/*'), true);
      assert.equal(editor('/a/[b'), 'Invalid OSC address pattern "/a/[b": unclosed \'[\' at 3');
      assert.match(editor(''), /errors\.empty/);
    });

    it('on random patterns made of the characters that matter', () => {
      const alphabet = ['/', 'a', 'b', '*', '?', '[', ']', '!', '-', '{', '}', ',', ' ', '#', 'z', '\u{1F600}', '\n'];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }), (chars) => {
          const p = '/' + chars.join('');
          assert.equal(editor(p), runtime(p), JSON.stringify(p));
        }),
        { numRuns: 1000 },
      );
    });

    it('names the rule as the runtime does when it reports it at deploy', () => {
      const v = verdict(route, 'rules', [{ pattern: '/ok' }, { pattern: '/a[' }]);
      assert.equal(v, `osc-route.errors.rule ${JSON.stringify({ index: 2, pattern: '/a[', error: runtime('/a[') })}`);
      const messages = JSON.parse(read('nodes', 'locales', 'en-US', 'osc-route.json'))['osc-route'].errors;
      // src/nodes/osc-route.ts: `rule ${i + 1} "${pattern}": ${message}`
      assert.equal(
        messages.rule.replace('__index__', '2').replace('__pattern__', '/a[').replace('__error__', runtime('/a[')),
        `rule 2 "/a[": ${runtime('/a[')}`,
      );
      assert.match(String(verdict(route, 'rules', [])), /no-rules/);
    });
  });

  describe("the Address of osc out, osc codec and osc request: what the runtime sends, refused in the runtime's words", () => {
    // What osc-out (and osc-request, which converts as it does) does with its Address property: accept it, or refuse
    // it as BAD_ADDRESS with this message.
    const runtime = (a) => {
      try {
        msgToPacket({ payload: [] }, { address: a, numbers: 'int' });
        return true;
      } catch (err) {
        assert.equal(err.code, 'BAD_ADDRESS', `${JSON.stringify(a)}: ${err.message}`);
        return err.message;
      }
    };
    const editors = ['osc-out', 'osc-codec', 'osc-request'].map((t) => loadDefinition(t));
    const check = (a) => {
      const r = runtime(a);
      for (const def of editors) assert.equal(verdict(def, 'address', a), r, JSON.stringify(a));
      return r;
    };

    it('on chosen addresses and patterns', () => {
      const cases = {
        '/fader/1': true,
        '/synth/*/gate': true,
        '/a/{on,off}': true,
        '/mixer//gain': true,
        '/[!0-9]x?': true,
        hello: 'Invalid OSC address "hello": an address must start with \'/\' at 0',
        '/a b': 'Invalid OSC address "/a b": \' \' is not allowed in an OSC address at 2',
        '/a/[b': 'Invalid OSC address pattern "/a/[b": unclosed \'[\' at 3',
      };
      for (const [a, want] of Object.entries(cases)) assert.equal(check(a), want, a);
      for (const a of ['/a/', '/a//', '/a]', '/x/{a*}', '/[z-a]', 'no-slash']) assert.notEqual(check(a), true, a);
      for (const def of editors)
        assert.equal(verdict(def, 'address', ''), true, 'blank: the address comes from msg.topic');
    });

    it('on random addresses made of the characters that matter', () => {
      const alphabet = ['/', 'a', '*', '?', '[', ']', '!', '-', '{', '}', ',', ' ', '#', '\t', '.', '\u{1F600}'];
      fc.assert(
        fc.property(fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 10 }), (chars) => {
          const a = chars.join('').trim();
          if (a === '') return; // blank: the address comes from msg.topic
          check(a);
        }),
        { numRuns: 1000 },
      );
    });
  });

  it("loads shared editor code from resources/ under this module's name, and ships it", () => {
    const used = types.flatMap((type) => resourcesOf(read('nodes', `${type}.html`)).map((r) => ({ type, ...r })));
    assert.deepEqual([...new Set(used.map((u) => u.type))].sort(), [...types].sort());
    // "Learn" (resources/osc-learn.js) in the dialogs with an address to take from the traffic.
    const learns = ['osc-out', 'osc-request', 'osc-route'];
    // An OSCQuery device's tree (resources/osc-query-tree.js) in the dialogs that take addresses from it.
    const trees = ['osc-out', 'osc-route'];
    for (const type of types) {
      // The dialogs with a Host and Port also load the Browse list (issue 16).
      const browse = ['osc-out', 'osc-request', 'osc-tcp'].includes(type) ? ['osc-browse.js'] : [];
      assert.deepEqual(
        used.filter((u) => u.type === type).map((u) => u.file),
        [
          'osc-pattern.js',
          'osc-validate.js',
          ...(learns.includes(type) ? ['osc-learn.js'] : []),
          ...browse,
          ...(trees.includes(type) ? ['osc-query-tree.js'] : []),
        ],
        type,
      );
    }
    for (const u of used) {
      assert.equal(u.module, pkg.name, `${u.type}: Node-RED serves resources/ at resources/${pkg.name}/`);
      assert.ok(fs.existsSync(path.join(root, 'resources', u.file)), `${u.type}: resources/${u.file} exists`);
    }
    assert.ok(pkg.files.includes('resources/'), 'package.json "files" ships resources/');
    const context = vm.createContext({});
    vm.runInContext(read('resources', 'osc-validate.js'), context);
    assert.deepEqual(
      Object.keys(context.OscflowValidate),
      [
        'checkPattern',
        'checkAddress',
        'isHost',
        'badAllowEntry',
        'wholeIn',
        'serviceNameOk',
        'live',
        'prepareDialog',
        'saveDialog',
        'sendTarget',
        'blank',
        'configValid',
      ],
      'one global object, for every node',
    );
    // Loading touches neither RED nor jQuery (the editor may load it before either is ready).
    const learnContext = vm.createContext({});
    vm.runInContext('var window = this;', learnContext);
    vm.runInContext(read('resources', 'osc-learn.js'), learnContext);
    assert.equal(typeof learnContext.OscLearn.oscsendCommand, 'function');
    assert.equal(typeof learnContext.OscLearn.insertInject, 'function');
    const treeContext = vm.createContext({});
    vm.runInContext('var window = this;', treeContext);
    vm.runInContext(read('resources', 'osc-query-tree.js'), treeContext);
    const { parseDevice } = treeContext.OscQueryTree;
    assert.deepEqual(JSON.parse(JSON.stringify(parseDevice(' 192.168.1.20:8080 '))), {
      host: '192.168.1.20',
      port: 8080,
    });
    assert.deepEqual(JSON.parse(JSON.stringify(parseDevice('[::1]:9000'))), { host: '::1', port: 9000 });
    for (const bad of ['host', 'a/b:80', 'x:0', 'x:70000', 'user@x:80', '::1:80'])
      assert.equal(parseDevice(bad), null, bad);
  });

  it('checks patterns with the compiled runtime itself, rebuilt by every build', () => {
    // resources/osc-pattern.js is generated from dist/ (scripts/editor-resources.js); a stale copy would let the
    // editor and the runtime disagree again.
    assert.equal(read('resources', 'osc-pattern.js'), bundle(path.join(root, 'dist'), 'osc-pattern.js'));
    assert.match(read('resources', 'osc-pattern.js'), /Invalid OSC address pattern/);
    const context = vm.createContext({});
    vm.runInContext(read('resources', 'osc-pattern.js'), context);
    assert.throws(
      () => context.OscflowPattern.compilePattern('/a/[b'),
      (e) => /** @type {Error} */ (e).message === runtimeMessage(() => compilePattern('/a/[b')),
    );
    assert.equal(context.OscflowPattern.compilePattern('/synth/*/freq').match('/synth/3/freq'), true);
  });

  it("shows the monitor's values with the runtime's formatting, rebuilt by every build", () => {
    assert.deepEqual(Object.keys(RESOURCES).sort(), ['osc-monitor-format.js', 'osc-pattern.js']);
    assert.equal(read('resources', 'osc-monitor-format.js'), bundle(path.join(root, 'dist'), 'osc-monitor-format.js'));
    assert.match(
      read('plugins', 'osc-monitor.html'),
      /<script src="resources\/@oscflow\/node-red-osc\/osc-monitor-format\.js"><\/script>/,
    );
    assert.doesNotMatch(read('resources', 'osc-monitor-client.js'), /case 'b':/, 'no second copy of the formatting');
    // The editor's OscMonitor.shortValue, loaded as the plugin loads it (the format before or after the client).
    /** @type {import('../dist/monitor/format.js').MonitorArg[]} */
    const args = [
      { type: 'f', value: Math.fround(0.34) },
      { type: 'b', value: '00010203', size: 100, truncated: true },
      { type: 's', value: 'aaaaaaaa', truncated: true },
      { type: 'h', value: '1099511627776' },
      { type: 't', value: { seconds: 1, fraction: 2 } },
      {
        type: '[',
        value: [
          { type: 'T', value: true },
          { type: 'N', value: null },
        ],
        truncated: true,
      },
    ];
    for (const order of [
      ['osc-monitor-format.js', 'osc-monitor-client.js'],
      ['osc-monitor-client.js', 'osc-monitor-format.js'],
    ]) {
      const context = vm.createContext({ Map, addEventListener: () => {} });
      vm.runInContext('var window = this;', context);
      for (const f of order) vm.runInContext(read('resources', f), context, { filename: f });
      assert.deepEqual(
        args.map((a) => context.OscMonitor.shortValue(a)),
        args.map((a) => shortValue(a)),
        order.join(' then '),
      );
    }
  });
});
