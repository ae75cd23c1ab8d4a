'use strict';
// Compile the TypeScript, then put each node's editor half (nodes/<type>.html, locales, icons) beside its
// compiled runtime half in dist/nodes/, because Node-RED only looks for them next to the .js it loads.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
// dist/ is not wiped first: several builds may run side by side while developing, and tsc overwrites what it emits.
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

const nodesOut = path.join(dist, 'nodes');
fs.mkdirSync(nodesOut, { recursive: true });
const editorSrc = path.join(root, 'nodes');
if (fs.existsSync(editorSrc)) fs.cpSync(editorSrc, nodesOut, { recursive: true });
// Likewise for the plugins (the monitor's sidebar tab): HTML and locales beside dist/plugins/<name>.js.
const pluginsSrc = path.join(root, 'plugins');
if (fs.existsSync(pluginsSrc)) fs.cpSync(pluginsSrc, path.join(dist, 'plugins'), { recursive: true });
const icons = path.join(root, 'icons');
if (fs.existsSync(icons)) fs.cpSync(icons, path.join(nodesOut, 'icons'), { recursive: true });
// The editor checks addresses and patterns with the runtime's own compiled parser (resources/osc-pattern.js), and
// its monitor shows values with the runtime's formatting (resources/osc-monitor-format.js).
require('./editor-resources').writeResources(root);
