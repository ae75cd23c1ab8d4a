'use strict';
// The offline Flow Library scorecard (scripts/scorecard.js): our package passes it, and each check really
// fails on a package broken in exactly the way it guards against.
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { satisfies, nodeDefinitions } = require('../scripts/scorecard.js');

const root = path.resolve(__dirname, '..');
const script = path.join(root, 'scripts', 'scorecard.js');

function run(dir) {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
  const rows = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([PND]\d\d)\s+(PASS|FAIL|SKIP)\s/.exec(line);
    if (m) rows[m[1]] = m[2];
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, rows };
}

const html = (type, def) => `<script type="text/javascript">
    RED.nodes.registerType('${type}', ${def});
</script>
<script type="text/html" data-template-name="${type}"><div></div></script>
`;

// A small package shaped like ours that passes every check; each test breaks one thing.
function goodPackage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-scorecard-'));
  const pkg = {
    name: '@example/node-red-thing',
    version: '1.0.0',
    license: 'MIT',
    repository: { type: 'git', url: 'git+https://example.org/thing.git' },
    keywords: ['node-red', 'osc'],
    engines: { node: '>=18.5' },
    'node-red': { version: '>=4.0.0', nodes: { 'thing-conf': 'dist/conf.js', 'thing-in': 'dist/in.js' } },
  };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
  fs.mkdirSync(path.join(dir, 'dist'));
  fs.writeFileSync(
    path.join(dir, 'dist', 'conf.html'),
    html(
      'thing-conf',
      `{
        category: 'config',
        defaults: { port: { value: 0, validate: function (v) { return /^\\d+$/.test(v) && v !== "}" } } },
        label: function () { return this.name || \`port \${this.port}\`; }
    }`,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'dist', 'in.html'),
    html(
      'thing-in',
      `{
        // the palette groups by this
        category: 'OSC',
        color: '#a6bbcf',
        defaults: { name: { value: '' }, endpoint: { value: '', type: 'thing-conf' } },
        inputs: 0,
        outputs: 1,
        icon: 'thing.svg',
        oneditprepare() { const re = /[{(]/g; return '}' + re; },
    }`,
    ),
  );
  fs.mkdirSync(path.join(dir, 'examples'));
  fs.writeFileSync(
    path.join(dir, 'examples', 'basic.json'),
    JSON.stringify([
      { id: 'a', type: 'thing-in', endpoint: 'c' },
      { id: 'c', type: 'thing-conf' },
    ]),
  );
  return dir;
}

function edit(dir, file, change) {
  const p = path.join(dir, file);
  fs.writeFileSync(p, change(fs.readFileSync(p, 'utf8')));
}
function editPkg(dir, change) {
  edit(dir, 'package.json', (text) => {
    const pkg = JSON.parse(text);
    change(pkg);
    return JSON.stringify(pkg);
  });
}

describe('scorecard (offline Flow Library checks)', function () {
  const dirs = [];
  const fresh = () => {
    const d = goodPackage();
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('passes on this package (npm run scorecard)', () => {
    const r = run(root);
    assert.equal(r.status, 0, `scorecard failed:\n${r.stdout}${r.stderr}`);
    for (const id of ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'N00', 'N01', 'N02', 'D01', 'D02', 'D03']) {
      assert.equal(r.rows[id], 'PASS', `${id} not PASS:\n${r.stdout}`);
    }
  });

  it('passes on a well-formed package, reading definitions with regexes and templates in them', () => {
    const r = run(fresh());
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /thing-in in 1 examples/);
  });

  /** @type {Array<[string, string, (dir: string) => void]>} */
  const breakages = [
    [
      'P01',
      'no license',
      (d) =>
        editPkg(d, (p) => {
          delete p.license;
        }),
    ],
    [
      'P03',
      'no repository or bugs',
      (d) =>
        editPkg(d, (p) => {
          delete p.repository;
        }),
    ],
    [
      'P04',
      'an unscoped node-red- name',
      (d) =>
        editPkg(d, (p) => {
          p.name = 'node-red-thing';
        }),
    ],
    [
      'P05',
      'no node-red keyword',
      (d) =>
        editPkg(d, (p) => {
          p.keywords = ['osc'];
        }),
    ],
    [
      'P06',
      'a node-red.version that excludes Node-RED 5',
      (d) =>
        editPkg(d, (p) => {
          p['node-red'].version = '^4.0.0';
        }),
    ],
    [
      'P07',
      'an engines.node that excludes Node.js 22.9',
      (d) =>
        editPkg(d, (p) => {
          p.engines.node = '^18 || ^20';
        }),
    ],
    [
      'N00',
      'a definition held in a variable',
      (d) =>
        edit(d, 'dist/in.html', (s) =>
          s
            .replace("registerType('thing-in', {", 'const def = {')
            .replace('});\n</script>', "};\nRED.nodes.registerType('thing-in', def);\n</script>"),
        ),
    ],
    [
      'N00',
      'a computed category',
      (d) => edit(d, 'dist/in.html', (s) => s.replace("category: 'OSC'", 'category: CAT')),
    ],
    ['N00', 'a missing HTML file', (d) => fs.rmSync(path.join(d, 'dist', 'in.html'))],
    [
      'N01',
      'a type that Node-RED core already has',
      (d) => {
        edit(d, 'dist/in.html', (s) => s.replaceAll('thing-in', 'switch'));
        edit(d, 'examples/basic.json', (s) => s.replace('thing-in', 'switch'));
      },
    ],
    ['N01', 'a type registered twice', (d) => edit(d, 'dist/conf.html', (s) => s.replaceAll('thing-conf', 'thing-in'))],
    [
      'N02',
      'a node missing from every example',
      (d) => edit(d, 'examples/basic.json', (s) => s.replace('thing-in', 'inject')),
    ],
    ['N02', 'no examples folder', (d) => fs.rmSync(path.join(d, 'examples'), { recursive: true })],
    [
      'D01',
      'seven dependencies',
      (d) =>
        editPkg(d, (p) => {
          p.dependencies = Object.fromEntries('abcdefg'.split('').map((c) => [`dep-${c}`, '^1.0.0']));
        }),
    ],
    [
      'D02',
      'a known-bad package in the runtime tree',
      (d) => {
        editPkg(d, (p) => {
          p.dependencies = { 'https-proxy-agent': '^4.0.0' };
        });
        fs.writeFileSync(
          path.join(d, 'package-lock.json'),
          JSON.stringify({
            lockfileVersion: 3,
            packages: {
              '': {},
              'node_modules/https-proxy-agent': { version: '4.0.0' },
              'node_modules/agent-base': { version: '5.1.1' },
            },
          }),
        );
      },
    ],
  ];
  for (const [id, what, breakIt] of breakages) {
    it(`fails ${id} on ${what}`, () => {
      const dir = fresh();
      breakIt(dir);
      const r = run(dir);
      assert.equal(r.rows[id], 'FAIL', `${id} should fail:\n${r.stdout}${r.stderr}`);
      assert.equal(r.status, 1);
      assert.match(r.stdout, new RegExp(`check\\(s\\) failed: .*${id}`));
    });
  }

  it('exits 2 when there is no package to read', () => {
    const r = run(path.join(os.tmpdir(), 'oscflow-no-such-package'));
    assert.equal(r.status, 2);
  });
});

describe('scorecard semver ranges', () => {
  const cases = [
    ['4.1.0', '>=4.0.0', true],
    ['5.0.7', '>=4.0.0', true],
    ['5.0.0', '^4.0.0', false],
    ['3.1.0', '>=4', false],
    ['22.9.0', '>=18.5', true],
    ['22.9.0', '^18 || ^20', false],
    ['22.9.0', '^20 || >=22', true],
    ['1.2.9', '1.2.x', true],
    ['1.3.0', '1.2.x', false],
    ['2.0.0', '1.0.0 - 2.0.0', true],
    ['2.0.1', '1.0.0 - 2.0.0', false],
    ['0.2.9', '^0.2.3', true],
    ['0.3.0', '^0.2.3', false],
    ['1.2.9', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
    ['5.0.0', '*', true],
    ['5.0.0', '>4', true],
    ['4.9.9', '>4', false],
    ['4.9.9', '<=4', true],
    ['5.0.0', '<=4', false],
    ['4.5.0', '>=4.0.0 <5', true],
    ['5.0.0', '>=4.0.0 <5', false],
    ['6.0.0', '4.x || 5.x', false],
  ];
  for (const [version, range, expected] of cases) {
    it(`${version} ${expected ? 'satisfies' : 'does not satisfy'} "${range}"`, () => {
      assert.equal(satisfies(version, range), expected);
    });
  }
  it('rejects what is not a version', () => {
    assert.throws(() => satisfies('4.1.0', '>=four'), /not a version/);
  });
});

describe('scorecard reading registerType', () => {
  it('finds every definition in Node-RED core HTML with its literal category', () => {
    const file = path.join(root, 'node_modules/@node-red/nodes/core/network/10-mqtt.html');
    const defs = nodeDefinitions(fs.readFileSync(file, 'utf8'));
    assert.deepEqual(
      defs.map((d) => [d.type, d.category, d.problems.length]),
      [
        ['mqtt-broker', 'config', 0],
        ['mqtt in', 'network', 0],
        ['mqtt out', 'network', 0],
      ],
    );
  });
});
