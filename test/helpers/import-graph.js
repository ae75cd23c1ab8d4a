'use strict';
// The graph of require() calls between compiled files, and the cycles in it. Node hands a module caught in a cycle
// the half-filled exports of the other, so which names are defined depends on which file was required first.
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

/** Every .js file tsc emits for a .ts under srcDir, as it lands under outDir (stale files in outDir are ignored). */
function compiledFiles(srcDir, outDir) {
  const out = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        out.push(path.join(outDir, path.relative(srcDir, p)).replace(/\.ts$/, '.js'));
      }
    }
  };
  walk(srcDir);
  return out.sort();
}

/** file -> the files among `files` it requires (relative specifiers; comments and strings are not mistaken for calls). */
function requireGraph(files) {
  const known = new Set(files);
  const graph = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const deps = new Set();
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const base = path.resolve(path.dirname(file), fileName);
      const target = [base, `${base}.js`, path.join(base, 'index.js')].find((f) => known.has(f));
      if (target) deps.add(target);
    }
    graph.set(file, [...deps].sort());
  }
  return graph;
}

/** Each cycle, once, as the files around it (the first repeated at the end), found as strongly connected components. */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) || []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) || []).includes(v)) found.push(pathThrough(graph, new Set(component), v));
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One way round a strongly connected component, from `start` back to it. */
function pathThrough(graph, component, start) {
  const from = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v) || []) {
      if (w === start) {
        const route = [start];
        for (let u = v; u !== null && u !== start; u = from.get(u)) route.splice(1, 0, u);
        return [...route, start];
      }
      if (component.has(w) && !from.has(w)) {
        from.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

module.exports = { compiledFiles, requireGraph, cycles };
