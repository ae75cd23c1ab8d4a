'use strict';
// The flow every osc-request test loads: an osc-udp on a free port of 127.0.0.1, the request node r1 wired to a
// helper `out`, a Catch to `caught`, and (unless monitor: false) an osc-in on the same endpoint wired to `monitor`,
// which shows what the request node let through.

/**
 * @param {Record<string, unknown>} props the request node's properties over the defaults
 * @param {{ monitor?: boolean, extra?: object[] }} [options]
 */
function requestFlow(props, { monitor = true, extra = [] } = {}) {
  return [
    { id: 'f1', type: 'tab', label: 'test' },
    { id: 'udp1', type: 'osc-udp', localAddress: '127.0.0.1', localPort: 0 },
    {
      id: 'r1',
      z: 'f1',
      type: 'osc-request',
      endpoint: 'udp1',
      host: '127.0.0.1',
      timeout: 2,
      retries: 0,
      maxPending: 100,
      wires: [['out']],
      ...props,
    },
    { id: 'out', z: 'f1', type: 'helper' },
    ...(monitor
      ? [
          { id: 'in1', z: 'f1', type: 'osc-in', endpoint: 'udp1', wires: [['monitor']] },
          { id: 'monitor', z: 'f1', type: 'helper' },
        ]
      : []),
    { id: 'catch1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
    ...extra,
  ];
}

module.exports = { requestFlow };
