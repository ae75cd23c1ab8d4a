'use strict';
// An example flow (examples/*.json) made runnable in a test: on a tab of its own, its debug nodes turned into
// helper nodes (so a test sees what the sidebar would show), its devices moved to the test's stand-ins by patch().
const fs = require('node:fs');
const path = require('node:path');

const CORE = {
  inject: require('@node-red/nodes/core/common/20-inject.js'),
  change: require('@node-red/nodes/core/function/15-change.js'),
  catch: require('@node-red/nodes/core/common/25-catch.js'),
  comment: require('@node-red/nodes/core/common/90-comment.js'),
};

/**
 * The flow of examples/<file>, with `patch(node)` applied to each node; and the core node modules it needs.
 * @param {string} file
 * @param {(node: any) => void} [patch]
 */
function exampleFlow(file, patch = () => {}) {
  const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'examples', file), 'utf8'));
  const out = [{ id: 'tab0', type: 'tab', label: file }];
  for (const n of flow) {
    const c = { ...n };
    if (c.type === 'debug') Object.assign(c, { type: 'helper' });
    if (c.wires !== undefined) c.z = 'tab0';
    patch(c);
    out.push(c);
  }
  return out;
}

/** The id of the node of `type` named `name` in a flow. */
function idOf(flow, type, name) {
  const n = flow.find((x) => x.type === type && x.name === name);
  if (!n) throw new Error(`no ${type} named "${name}"`);
  return n.id;
}

module.exports = { exampleFlow, idOf, CORE: Object.values(CORE) };
