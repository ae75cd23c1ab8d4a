'use strict';
// Node-RED settings for `npm start` (scripts/start.js sets the OSCFLOW_* variables). Loads this working tree
// as the package @oscflow/node-red-osc, exactly as an installed copy would be loaded.
const path = require('node:path');

const root = path.resolve(__dirname, '..');

module.exports = {
  uiHost: '127.0.0.1',
  uiPort: Number(process.env.OSCFLOW_PORT || 1880),
  flowFile: 'flows.json',
  // A directory whose package.json has a "node-red" section is loaded as that module: ours, from dist/.
  nodesDir: [root],
  // The devDependency node-red-contrib-osc (kept for benchmarks and interop tests) sits beside node-red in
  // node_modules, where Node-RED looks too; keep it out of the palette so the demo shows our nodes only.
  nodesExcludes: ['node-red-contrib-osc'],
  telemetry: { enabled: false, updateNotification: false },
  editorTheme: { tours: false },
  logging: { console: { level: 'info', metrics: false, audit: false } },
};
