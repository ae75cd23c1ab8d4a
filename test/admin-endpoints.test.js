'use strict';
// Issue 8: every admin HTTP endpoint our nodes add must require the editor's permission, or anyone who can reach
// the editor's port could call it without logging in. Checked on the compiled node files Node-RED loads.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
// The node files, and the plugins' (the monitor's routes live in nodes/monitor.js, its entry in plugins/).
const dirs = ['nodes', 'plugins'].map((d) => path.join(dist, d));

/** Each `RED.httpAdmin.<verb>(...)` call in `src`, with the text of its arguments (to the matching parenthesis). */
function adminRoutes(src) {
  const routes = [];
  const re = /\.httpAdmin\s*\.\s*(get|post|put|delete|patch|all|use)\s*\(/g;
  let m;
  while ((m = re.exec(src))) {
    let depth = 1;
    let i = re.lastIndex;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '(') depth++;
      else if (src[i] === ')') depth--;
    }
    routes.push({ verb: m[1], args: src.slice(re.lastIndex, i - 1), at: m.index });
  }
  return routes;
}

describe('admin HTTP endpoints', () => {
  it('finds routes in a sample, with or without a permission check (the check itself works)', () => {
    const sample =
      "RED.httpAdmin.get('/osc/a', RED.auth.needsPermission('osc.read'), (req, res) => res.json(f(1)));\n" +
      "RED.httpAdmin.post('/osc/b', (req, res) => { res.send(g(2)); });";
    const routes = adminRoutes(sample);
    assert.equal(routes.length, 2);
    assert.match(routes[0].args, /needsPermission/);
    assert.doesNotMatch(routes[1].args, /needsPermission/);
  });

  it('every route a node of ours adds requires a permission', () => {
    const files = dirs.flatMap((dir) =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.js'))
        .map((f) => path.join(dir, f)),
    );
    assert.ok(files.length >= 4, 'the node files are built');
    const open = [];
    let found = 0;
    for (const f of files) {
      for (const r of adminRoutes(fs.readFileSync(f, 'utf8'))) {
        found++;
        if (!/RED\.auth\.needsPermission\(\s*['"][\w.-]+['"]\s*\)/.test(r.args))
          open.push(`${path.relative(dist, f)}: httpAdmin.${r.verb}(${r.args.slice(0, 60)}...)`);
      }
    }
    assert.ok(found >= 4, 'the monitor routes are found');
    assert.deepEqual(open, [], 'routes without RED.auth.needsPermission');
  });
});
