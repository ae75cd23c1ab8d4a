'use strict';
// What a package's entries export, asked three ways: require() (CommonJS), import (Node finds the names of a
// CommonJS module by reading its source, so a change in how tsc writes exports can hide them) and the TypeScript
// declarations. The expected names are in test/fixtures/public-api.json.
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const ts = require('typescript');

const expected = require('../fixtures/public-api.json');

/** For each subpath of pkgDir's package.json exports: { values, esm, types }, each a sorted list of names. */
async function exportedNames(pkgDir) {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const out = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const js = path.join(pkgDir, target.default);
    const dts = path.join(pkgDir, target.types);
    const values = Object.keys(require(js)).sort();
    const esm = Object.keys(await import(pathToFileURL(js).href))
      .filter((n) => n !== 'default' && n !== '__esModule')
      .sort();
    const program = ts.createProgram([dts], { types: [], noEmit: true });
    const checker = program.getTypeChecker();
    const all = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(dts)));
    const types = all
      .map((s) => s.name)
      .filter((n) => !values.includes(n))
      .sort();
    const declared = all
      .map((s) => s.name)
      .filter((n) => values.includes(n))
      .sort();
    out[subpath] = { values, esm, types, declared };
  }
  return out;
}

module.exports = { expected, exportedNames };
