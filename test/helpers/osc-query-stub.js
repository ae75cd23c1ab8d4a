'use strict';
// An osc-query config node that has only remote mode, calling remoteMode exactly as the real osc-query node
// (src/nodes/osc-query.ts, issue 17's server half) does: the contract of src/nodes/query-remote.ts, tested
// without the server half.
const { remoteMode } = require('../../dist/nodes/query-remote');

/** Options for the RemoteAddressSpace of the next stub nodes (short retry delays in tests). */
const stubOptions = { retryDelay: 50, maxRetryDelay: 200 };

function oscQueryStub(RED) {
  RED.nodes.registerType(
    'osc-query',
    /** @this {any} */ function (config) {
      RED.nodes.createNode(this, config);
      if (config.mode === 'remote') remoteMode(this, config, RED, stubOptions);
    },
  );
}

module.exports = { oscQueryStub, stubOptions };
