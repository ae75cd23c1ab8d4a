'use strict';
// No import cycle anywhere in src/, checked on what runs: the require() calls of the compiled files.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { compiledFiles, requireGraph, cycles } = require('./helpers/import-graph');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
const rel = (f) => path.relative(root, f);

describe('imports between the compiled files', () => {
  const files = compiledFiles(path.join(root, 'src'), dist);
  const graph = requireGraph(files);

  it('sees every compiled file and the requires between them', () => {
    for (const f of files) assert.ok(fs.existsSync(f), `${rel(f)} missing: run npm run build`);
    const has = (from, to) => graph.get(path.join(dist, from)).includes(path.join(dist, to));
    // Known edges, so that a reader that saw no require at all could not pass the next test.
    assert.ok(has('codec.js', 'osc/codec.js'), 'dist/codec.js requires dist/osc/codec.js');
    assert.ok(has('osc/codec.js', 'osc/encoder.js'), 'dist/osc/codec.js requires dist/osc/encoder.js');
    assert.ok(
      has('osc/router.js', 'osc/address-pattern.js'),
      'dist/osc/router.js requires dist/osc/address-pattern.js',
    );
    assert.ok(has('osc/pattern.js', 'osc/router.js'), 'dist/osc/pattern.js requires dist/osc/router.js');
  });

  it('form no cycle', () => {
    const found = cycles(graph).map((c) => c.map(rel).join(' -> '));
    assert.deepEqual(found, [], `import cycles:\n  ${found.join('\n  ')}`);
  });

  it('a cycle, direct or through several files, is found (the check can fail)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oscflow-cycles-'));
    try {
      const src = path.join(dir, 'src');
      const out = path.join(dir, 'dist');
      const write = (f, text) => {
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, text);
      };
      const mods = { a: ['./b'], b: ['./sub/c'], 'sub/c': ['../a'], d: ['./d'], e: ['./a', 'node:fs'] };
      for (const [name, deps] of Object.entries(mods)) {
        write(path.join(src, `${name}.ts`), '');
        // A commented-out require is not a dependency.
        write(path.join(out, `${name}.js`), `${deps.map((d) => `require("${d}");`).join('\n')}\n// require("./e")\n`);
      }
      const found = cycles(requireGraph(compiledFiles(src, out))).map((c) =>
        c.map((f) => path.relative(out, f)).join(' -> '),
      );
      assert.deepEqual(found.sort(), ['a.js -> b.js -> sub/c.js -> a.js', 'd.js -> d.js']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
