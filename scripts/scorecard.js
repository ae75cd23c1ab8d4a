#!/usr/bin/env node
'use strict';
// The Flow Library scorecard (node-red-dev validate), offline. The Flow Library shows its result on the
// package page and users judge us by it, so we fail the build before they see a red mark. The real tool
// needs the network (npm registry, catalogue, git clone); here every check is reduced to what can be
// decided from the package directory itself, and the checks that need the network say so.
//
//   node scripts/scorecard.js [packageDir]     exit 0 when every check passes, 1 otherwise.
const fs = require('node:fs');
const path = require('node:path');

// The releases the scorecard compares against: Node-RED's `latest` (5.x) and a maintained 4.1, and the
// minimum Node.js of the latest Node-RED (its engines.node, ">=22.9").
const NODE_RED_RELEASES = ['4.1.0', '5.0.0'];
const NODE_RED_LATEST_MIN_NODE = '22.9.0';
const MAX_DEPENDENCIES = 6;
// node-red-dev's badpackages.json: packages that break inside Node-RED's runtime.
const BAD_PACKAGES = { 'agent-base': '<6.0.0' };

// ---- a small semver range check: enough for the ranges package.json files carry (">=4.0.0", "^18 || >=20",
// "1.2.x", "1.0.0 - 2.0.0"); prerelease tags are ignored, which only matters for ranges we do not write.
function parseVersion(text) {
  const m = /^\s*v?(\d+|[xX*])?(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:[-+][0-9A-Za-z.-]*)?\s*$/.exec(text);
  if (!m) throw new Error(`not a version: "${text}"`);
  const part = (s) => (s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s));
  return { major: part(m[1]), minor: part(m[2]), patch: part(m[3]) };
}

function compare(a, b) {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

// One comparator ("^4.1", ">=22.9", "5.x", "*") as a list of [op, [maj, min, pat]] bounds.
/** @returns {Array<[string, number[]]>} */
function comparatorBounds(token) {
  const m = /^(<=|>=|<|>|=|\^|~>?)?\s*(.*)$/.exec(token);
  const op = m[1] || '';
  const v = parseVersion(m[2] || '*');
  if (v.major === undefined) return op === '<' || op === '>' ? [['<', [0, 0, 0]]] : [];
  const lo = [v.major, v.minor ?? 0, v.patch ?? 0];
  const next = v.minor === undefined ? [v.major + 1, 0, 0] : v.patch === undefined ? [v.major, v.minor + 1, 0] : null;
  switch (op) {
    case '>=':
      return [['>=', lo]];
    case '<':
      return [['<', lo]];
    case '>':
      return [next ? ['>=', next] : ['>', lo]];
    case '<=':
      return [next ? ['<', next] : ['<=', lo]];
    case '^': {
      const up =
        lo[0] > 0 || v.minor === undefined
          ? [lo[0] + 1, 0, 0]
          : lo[1] > 0 || v.patch === undefined
            ? [0, lo[1] + 1, 0]
            : [0, 0, lo[2] + 1];
      return [
        ['>=', lo],
        ['<', up],
      ];
    }
    case '~':
    case '~>':
      return [
        ['>=', lo],
        ['<', v.minor === undefined ? [lo[0] + 1, 0, 0] : [lo[0], lo[1] + 1, 0]],
      ];
    default: // '' or '=': a partial version is an x-range
      return next
        ? [
            ['>=', lo],
            ['<', next],
          ]
        : [
            ['>=', lo],
            ['<=', lo],
          ];
  }
}

function satisfies(version, range) {
  const v = parseVersion(version);
  const ver = [v.major ?? 0, v.minor ?? 0, v.patch ?? 0];
  const test = ([op, b]) => {
    const c = compare(ver, b);
    return op === '>=' ? c >= 0 : op === '>' ? c > 0 : op === '<' ? c < 0 : c <= 0;
  };
  return String(range)
    .split('||')
    .some((alternative) => {
      let text = alternative.trim();
      const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text);
      if (hyphen) text = `>=${hyphen[1]} <=${hyphen[2]}`;
      // "> = 1.2" is legal in npm: glue operators to their versions before splitting on spaces.
      const tokens = text
        .replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1')
        .split(/\s+/)
        .filter(Boolean);
      if (tokens.length === 0) tokens.push('*');
      return tokens.every((t) => comparatorBounds(t).every(test));
    });
}

// ---- reading registerType(...) out of a node's HTML without executing it: the Flow Library parses the
// <script type="text/javascript"> blocks and only understands a literal type and an inline object literal.
function scriptBlocks(html) {
  const blocks = [];
  const re = /<script\b([^>]*)>([\s\S]*?)<\/script>/gi;
  let m;
  while ((m = re.exec(html)) !== null) {
    if (/type\s*=\s*['"]text\/javascript['"]/i.test(m[1])) blocks.push(m[2]);
  }
  return blocks;
}

// Skips a string, template, comment or regex starting at i; returns the index after it, or i when none starts.
function skipNonCode(src, i, prevSignificant) {
  const c = src[i];
  if (c === '"' || c === "'") {
    let j = i + 1;
    while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  }
  if (c === '`') {
    let j = i + 1;
    while (j < src.length && src[j] !== '`') {
      if (src[j] === '\\') j += 2;
      else if (src[j] === '$' && src[j + 1] === '{') j = skipBalanced(src, j + 1);
      else j++;
    }
    return j + 1;
  }
  if (c === '/' && src[i + 1] === '/') {
    const end = src.indexOf('\n', i);
    return end < 0 ? src.length : end;
  }
  if (c === '/' && src[i + 1] === '*') {
    const end = src.indexOf('*/', i + 2);
    return end < 0 ? src.length : end + 2;
  }
  // A slash after an operator or an opening bracket starts a regex literal (the usual lexer heuristic).
  if (
    c === '/' &&
    (prevSignificant === undefined ||
      /[(,=:[!&|?{};+\-*%<>~^]/.test(prevSignificant) ||
      /\b(return|typeof|case|in|of)$/.test(src.slice(Math.max(0, i - 8), i).trimEnd()))
  ) {
    let j = i + 1;
    let inClass = false;
    while (j < src.length && src[j] !== '\n') {
      if (src[j] === '\\') {
        j += 2;
        continue;
      }
      if (src[j] === '[') inClass = true;
      else if (src[j] === ']') inClass = false;
      else if (src[j] === '/' && !inClass) break;
      j++;
    }
    j++;
    while (/[a-z]/i.test(src[j] || '')) j++;
    return j;
  }
  return i;
}

// From an opening bracket at `open`, the index just after its matching closing bracket.
function skipBalanced(src, open) {
  let depth = 0;
  let prev;
  for (let i = open; i < src.length;) {
    const after = skipNonCode(src, i, prev);
    if (after !== i) {
      i = after;
      prev = ')';
      continue;
    }
    const c = src[i];
    if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      depth--;
      if (depth === 0) return i + 1;
    }
    if (!/\s/.test(c)) prev = c;
    i++;
  }
  return src.length;
}

// The top-level properties of the object literal at src[open] === '{': name -> raw value text.
function objectProperties(src, open) {
  const end = skipBalanced(src, open) - 1;
  const props = {};
  let i = open + 1;
  while (i < end) {
    while (i < end && /[\s,]/.test(src[i])) i++;
    const after = skipNonCode(src, i, ',');
    if (after !== i && src[i] === '/') {
      i = after;
      continue;
    } // a comment between properties
    const key = /^(?:(['"])(.*?)\1|([A-Za-z_$][\w$]*))\s*(:|\(|,|})/.exec(src.slice(i, end + 1));
    if (!key) {
      i++;
      continue;
    }
    const name = key[2] ?? key[3];
    let j = i + key[0].length - 1;
    if (key[4] === ':') j++;
    const valueStart = j;
    // The value runs to the next top-level comma (methods and arrow functions included).
    let prev = ':';
    while (j < end && src[j] !== ',') {
      const skipped = skipNonCode(src, j, prev);
      if (skipped !== j) {
        j = skipped;
        prev = ')';
        continue;
      }
      if ('([{'.includes(src[j])) {
        j = skipBalanced(src, j);
        prev = ')';
        continue;
      }
      if (!/\s/.test(src[j])) prev = src[j];
      j++;
    }
    props[name] = src.slice(valueStart, j).trim();
    i = j + 1;
  }
  return props;
}

const LITERAL = /^(?:'[^'\\]*(?:\\.[^'\\]*)*'|"[^"\\]*(?:\\.[^"\\]*)*"|-?\d+(?:\.\d+)?|true|false)$/;
const unquote = (s) => (/^['"]/.test(s) ? s.slice(1, -1) : s);

/** @typedef {{ type: string | undefined, category?: string, icon?: string, problems: string[] }} NodeDefinition */

// Every registerType in one HTML file: { type, category, icon, problems[] }.
/** @returns {NodeDefinition[]} */
function nodeDefinitions(html) {
  /** @type {NodeDefinition[]} */
  const defs = [];
  for (const block of scriptBlocks(html)) {
    const re = /\bregisterType\s*\(/g;
    let m;
    while ((m = re.exec(block)) !== null) {
      const rest = block.slice(m.index + m[0].length);
      const typeMatch = /^\s*(['"])([^'"]+)\1\s*,\s*/.exec(rest);
      if (!typeMatch) {
        defs.push({ type: undefined, problems: ['type is not a string literal'] });
        continue;
      }
      /** @type {NodeDefinition} */
      const def = { type: typeMatch[2], category: undefined, problems: [] };
      defs.push(def);
      const open = m.index + m[0].length + typeMatch[0].length;
      if (block[open] !== '{') {
        def.problems.push('definition is not an inline object literal');
        continue;
      }
      const props = objectProperties(block, open);
      if (props.category === undefined) def.problems.push('no category');
      else if (!LITERAL.test(props.category)) def.problems.push('category is not a literal');
      else def.category = unquote(props.category);
      for (const name of ['defaults', 'credentials']) {
        if (props[name] !== undefined && !props[name].startsWith('{')) def.problems.push(`${name} is not inline`);
      }
      for (const name of ['icon', 'color', 'inputs', 'outputs']) {
        if (props[name] !== undefined && !LITERAL.test(props[name])) def.problems.push(`${name} is not a literal`);
      }
      if (props.icon !== undefined && LITERAL.test(props.icon)) def.icon = unquote(props.icon);
    }
  }
  return defs;
}

// Node types registered by other packages on this disk (Node-RED's core nodes, other OSC packages): the
// offline stand-in for the Flow Library catalogue that N01 consults.
function knownForeignTypes(root, ownName) {
  const types = new Map();
  const add = (type, owner) => {
    if (!types.has(type)) types.set(type, owner);
  };
  const modules = path.join(root, 'node_modules');
  const candidates = [];
  try {
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith('@')) {
        for (const sub of fs.readdirSync(path.join(modules, entry))) candidates.push(path.join(modules, entry, sub));
      } else candidates.push(path.join(modules, entry));
    }
  } catch {
    /* no node_modules: nothing to compare with */
  }
  // Node-RED's own nodes are not declared in a package.json: they sit in @node-red/nodes/core.
  const core = path.join(modules, '@node-red', 'nodes', 'core');
  if (fs.existsSync(core)) {
    for (const file of listFiles(core).filter((f) => f.endsWith('.html'))) {
      for (const def of nodeDefinitions(fs.readFileSync(file, 'utf8'))) if (def.type) add(def.type, 'node-red');
    }
  }
  for (const dir of candidates) {
    let pkg;
    try {
      pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (!pkg['node-red'] || !pkg['node-red'].nodes || pkg.name === ownName) continue;
    for (const file of Object.values(pkg['node-red'].nodes)) {
      try {
        const html = fs.readFileSync(path.join(dir, String(file).replace(/\.js$/, '.html')), 'utf8');
        for (const def of nodeDefinitions(html)) if (def.type) add(def.type, pkg.name);
      } catch {
        /* unreadable: the owner's problem, not ours */
      }
    }
  }
  return types;
}

function listFiles(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}

function scorecard(pkgDir, { foreignTypesRoot = pkgDir } = {}) {
  const results = [];
  const check = (id, name, pass, detail) => results.push({ id, name, status: pass ? 'PASS' : 'FAIL', detail });
  const skip = (id, name, detail) => results.push({ id, name, status: 'SKIP', detail });
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const nr = pkg['node-red'] || {};

  check('P01', 'license', typeof pkg.license === 'string' && pkg.license.trim() !== '', pkg.license || 'no "license"');

  const url = (v) => (typeof v === 'string' ? v : v && (v.url || v.email));
  const repo = url(pkg.repository);
  const bugs = url(pkg.bugs);
  skip('P02', 'name matches the repository', 'needs a git clone');
  check('P03', 'repository or bugs URL', Boolean(repo || bugs), repo || bugs || 'neither "repository" nor "bugs"');

  const scoped = /^@[a-z\d][\w.-]+\/[a-z\d][\w.-]*$/.test(pkg.name || '');
  const contrib = /^node-red-contrib-/.test(pkg.name || '');
  check('P04', 'name scoped or node-red-contrib-', scoped || contrib, pkg.name);

  const keywords = Array.isArray(pkg.keywords) ? pkg.keywords : [];
  check('P05', 'keyword node-red', keywords.includes('node-red'), keywords.join(', ') || 'no keywords');

  if (!nr.version) check('P06', 'node-red.version', false, 'no "node-red": { "version" }');
  else {
    const failing = NODE_RED_RELEASES.filter((v) => !satisfies(v, nr.version));
    check(
      'P06',
      'node-red.version',
      failing.length === 0,
      `"${nr.version}" ${failing.length ? `excludes Node-RED ${failing.join(', ')}` : `admits Node-RED ${NODE_RED_RELEASES.join(', ')}`}`,
    );
  }

  const engine = pkg.engines && pkg.engines.node;
  if (!engine) check('P07', 'engines.node', false, 'no "engines": { "node" }');
  else {
    const ok = satisfies(NODE_RED_LATEST_MIN_NODE, engine);
    check('P07', 'engines.node', ok, `"${engine}" ${ok ? 'admits' : 'excludes'} Node.js ${NODE_RED_LATEST_MIN_NODE}`);
  }
  skip('P08', 'no similar package names', 'needs the Flow Library catalogue');

  // Node definitions, read where Node-RED reads them: <file>.html beside each registered .js. Before a build
  // the .js are not there yet, so the editor sources in nodes/ stand in.
  const defs = [];
  const defProblems = [];
  const nodeFiles = nr.nodes && typeof nr.nodes === 'object' ? Object.entries(nr.nodes) : [];
  if (nodeFiles.length === 0) defProblems.push('no "node-red": { "nodes" }');
  for (const [set, file] of nodeFiles) {
    const beside = path.join(pkgDir, String(file).replace(/\.js$/, '.html'));
    const source = path.join(pkgDir, 'nodes', path.basename(beside));
    const htmlFile = fs.existsSync(beside) ? beside : fs.existsSync(source) ? source : undefined;
    if (!htmlFile) {
      defProblems.push(`${set}: no ${path.relative(pkgDir, beside)}`);
      continue;
    }
    const found = nodeDefinitions(fs.readFileSync(htmlFile, 'utf8'));
    if (found.length === 0) defProblems.push(`${set}: no registerType in ${path.relative(pkgDir, htmlFile)}`);
    for (const def of found) {
      defs.push({ ...def, set });
      for (const p of def.problems) defProblems.push(`${def.type || set}: ${p}`);
    }
  }
  check(
    'N00',
    'registerType inline, literal category',
    defProblems.length === 0,
    defProblems.join('; ') || `${defs.length} definitions`,
  );

  const types = defs.map((d) => d.type).filter(Boolean);
  const dupes = types.filter((t, i) => types.indexOf(t) !== i);
  const foreign = knownForeignTypes(foreignTypesRoot, pkg.name);
  const clashes = types.filter((t) => foreign.has(t)).map((t) => `${t} (${foreign.get(t)})`);
  check(
    'N01',
    'node types unique',
    types.length > 0 && dupes.length === 0 && clashes.length === 0,
    dupes.length
      ? `registered twice: ${dupes.join(', ')}`
      : clashes.length
        ? `also in ${clashes.join(', ')}`
        : `${types.join(', ')} (against ${foreign.size} types on disk; the catalogue needs the network)`,
  );

  const examplesDir = path.join(pkgDir, 'examples');
  const exampleFiles = fs.existsSync(examplesDir) ? listFiles(examplesDir).filter((f) => f.endsWith('.json')) : [];
  const used = new Set();
  const badExamples = [];
  for (const file of exampleFiles) {
    try {
      const flow = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (!Array.isArray(flow)) throw new Error('not an array of nodes');
      for (const n of flow) used.add(n && n.type);
    } catch (e) {
      badExamples.push(`${path.relative(pkgDir, file)}: ${e.message}`);
    }
  }
  const userTypes = defs.filter((d) => d.type && d.category !== 'config').map((d) => d.type);
  const missing = userTypes.filter((t) => !used.has(t));
  check(
    'N02',
    'every node in an example',
    exampleFiles.length > 0 && userTypes.length > 0 && missing.length === 0 && badExamples.length === 0,
    exampleFiles.length === 0
      ? 'no examples/*.json'
      : badExamples.length
        ? badExamples.join('; ')
        : missing.length
          ? `no example uses ${missing.join(', ')}`
          : `${userTypes.join(', ')} in ${exampleFiles.length} examples`,
  );

  const deps = Object.keys(pkg.dependencies || {});
  check(
    'D01',
    `at most ${MAX_DEPENDENCIES} dependencies`,
    deps.length <= MAX_DEPENDENCIES,
    `${deps.length} dependencies`,
  );

  // D02/D03 walk the installed runtime tree recorded in package-lock.json (dev-only entries excluded).
  let lock;
  try {
    lock = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package-lock.json'), 'utf8'));
  } catch {
    lock = undefined;
  }
  const runtimeTree =
    lock && lock.packages
      ? Object.entries(lock.packages)
          .filter(([p, e]) => p !== '' && !e.dev && !e.devOptional)
          .map(([p, e]) => ({
            name: e.name || p.slice(p.lastIndexOf('node_modules/') + 13),
            version: e.version,
            path: p,
          }))
      : [];
  if (deps.length === 0) {
    check('D02', 'no known-bad packages', true, 'no runtime dependencies');
    check('D03', 'dependencies current', true, 'no runtime dependencies');
  } else if (!lock) {
    skip('D02', 'no known-bad packages', 'no package-lock.json to read the tree from');
    skip('D03', 'dependencies current', 'needs the npm registry');
  } else {
    const bad = runtimeTree.filter(
      (e) => BAD_PACKAGES[e.name] && e.version && satisfies(e.version, BAD_PACKAGES[e.name]),
    );
    check(
      'D02',
      'no known-bad packages',
      bad.length === 0,
      bad.length
        ? bad.map((e) => `${e.name}@${e.version}`).join(', ')
        : `${runtimeTree.length} packages in the runtime tree`,
    );
    // Offline, "latest" is unknowable; what is knowable is that the locked version honours the declared range.
    const stale = deps.filter((d) => {
      const e = lock.packages[`node_modules/${d}`];
      return !e || !satisfies(e.version, pkg.dependencies[d]);
    });
    check(
      'D03',
      'dependencies current (offline: lock honours ranges)',
      stale.length === 0,
      stale.length ? `locked outside the declared range: ${stale.join(', ')}` : 'latest versions need the npm registry',
    );
  }
  return results;
}

function printTable(results, out = process.stdout) {
  const w = Math.max(...results.map((r) => r.name.length));
  out.write(`${'check'.padEnd(5)}  ${'result'.padEnd(6)}  ${'what'.padEnd(w)}  detail\n`);
  for (const r of results) out.write(`${r.id.padEnd(5)}  ${r.status.padEnd(6)}  ${r.name.padEnd(w)}  ${r.detail}\n`);
}

if (require.main === module) {
  const dir = path.resolve(process.argv[2] || path.join(__dirname, '..'));
  let results;
  try {
    results = scorecard(dir, { foreignTypesRoot: path.join(__dirname, '..') });
  } catch (e) {
    process.stderr.write(`scorecard: cannot read the package in ${dir}: ${e.message}\n`);
    process.exit(2);
  }
  printTable(results);
  const failed = results.filter((r) => r.status === 'FAIL');
  process.stdout.write(
    failed.length
      ? `\n${failed.length} check(s) failed: ${failed.map((r) => r.id).join(', ')}\n`
      : '\nAll offline scorecard checks pass.\n',
  );
  process.exitCode = failed.length ? 1 : 0;
}

module.exports = { scorecard, satisfies, nodeDefinitions, printTable };
