/* global RED, $, Map */
/**
 * window.OscMonitor: the editor's side of the live OSC monitor, for the sidebar tab and for "learn" in the node
 * dialogs. Loaded by the osc-monitor plugin's HTML (resources/@oscflow/node-red-osc/osc-monitor-client.js).
 *
 *   OscMonitor.subscribe(listener) -> unsubscribe()
 *       Refcounted: the runtime taps the endpoints only while some editor holds a subscription (a lease the
 *       client renews every few seconds; the runtime drops a lease not renewed, and every lease of an editor
 *       whose connection closed). `listener(batch)` gets each batch (at most about 10 a second): see
 *       src/monitor/aggregator.ts MonitorBatch; rows are also kept here for addresses().
 *   OscMonitor.addresses() -> rows seen recently, newest first:
 *       { key, endpoint: {id, name, label, transport}, direction: 'in'|'out', peer: {address, port},
 *         address, types: 'ifsb', args: [{type, value, size?, truncated?}], values: [short JSON-able values],
 *         count, rate (msgs/s), at (ms since epoch), timetag? }
 *       args reproduce the message: i f d the number, h a decimal string, s S c the string, b m hex (a blob
 *       cut after 16 bytes says truncated: true and its size), t {seconds, fraction}, r {r,g,b,a}, T F true
 *       false, N I null, [ the elements.
 *   OscMonitor.learnNext({ endpointId?, direction? }, cb) -> cancel()
 *       cb(row) once, for the next message that arrives (on that endpoint, in that direction); subscribes while
 *       waiting.
 *   OscMonitor.setFilter({ pattern?, endpoint?, direction? }, cb?) : the sidebar's filter for the log
 *       (cb(error) with the pattern's error, or null). Rows are never filtered: learn sees every address.
 *   OscMonitor.endpoints() -> [{ id, name, label, transport, counts: {malformed, rejected, kernelDrops, messages} }]
 *   OscMonitor.shortValue(arg) -> text for a table cell.
 */
(function () {
  'use strict';
  if (window.OscMonitor) return;

  var RENEW_MS = 5000;
  var MAX_ROWS = 2000;

  var listeners = [];
  var lease = null;
  var subscribing = false;
  var renewTimer = null;
  var filter = {};
  var rows = new Map();
  var endpoints = new Map();

  function post(path, body) {
    return $.ajax({
      url: 'osc-monitor/' + path,
      type: 'POST',
      contentType: 'application/json',
      data: JSON.stringify(body || {}),
      dataType: 'json',
    });
  }

  // The runtime's own formatting (src/monitor/format.ts), built into resources/osc-monitor-format.js. Node-RED
  // loads a plugin's scripts in any order: it is looked up when a value is shown, never at load time.
  function shortValue(a) {
    var format = window.OscflowMonitorFormat;
    if (!format) throw new Error('resources/osc-monitor-format.js is not loaded (npm run build makes it)');
    return format.shortValue(a);
  }

  /** A short JSON-able value per argument: numbers and strings as they are, the rest as short text. */
  function values(args) {
    return args.map(function (a) {
      if (a.type === 'i' || a.type === 'f' || a.type === 'd' || a.type === 's' || a.type === 'S' || a.type === 'c')
        return a.value;
      if (a.type === 'T' || a.type === 'F') return a.value;
      if (a.type === 'N' || a.type === 'I') return null;
      return shortValue(a);
    });
  }

  function endpointOf(id) {
    var e = endpoints.get(id);
    return e
      ? { id: e.id, name: e.name, label: e.label, transport: e.transport }
      : { id: id, name: id, label: '', transport: '' };
  }

  function toRow(r) {
    var row = {
      key: r.key,
      endpoint: endpointOf(r.endpoint),
      direction: r.direction,
      peer: { address: r.peer.address, port: r.peer.port },
      address: r.address,
      types: r.types,
      args: r.args,
      values: values(r.args),
      count: r.count,
      rate: r.rate,
      at: r.at,
    };
    if (r.timetag) row.timetag = r.timetag;
    return row;
  }

  function onBatch(topic, batch) {
    if (!batch || !lease) return;
    if (batch.reset) rows.clear();
    (batch.endpoints || []).forEach(function (e) {
      if (e.closed) endpoints.delete(e.id);
      else endpoints.set(e.id, e);
    });
    (batch.removed || []).forEach(function (k) {
      rows.delete(k);
    });
    (batch.rows || []).forEach(function (r) {
      // Newest last in the map: addresses() reads it backwards.
      rows.delete(r.key);
      rows.set(r.key, r);
    });
    while (rows.size > MAX_ROWS) rows.delete(rows.keys().next().value);
    listeners.slice().forEach(function (fn) {
      try {
        fn(batch);
      } catch (e) {
        console.error(e);
      }
    });
  }

  function attach() {
    if (lease && RED.comms.send) RED.comms.send('osc-monitor/attach', { lease: lease });
  }

  function start() {
    if (lease || subscribing) return;
    subscribing = true;
    RED.comms.subscribe('osc-monitor/batch', onBatch);
    post('subscribe', { filter: filter })
      .done(function (res) {
        subscribing = false;
        if (listeners.length === 0) {
          post('unsubscribe', { lease: res.lease });
          return;
        }
        lease = res.lease;
        attach();
        renewTimer = setInterval(renew, res.renewMs || RENEW_MS);
      })
      .fail(function () {
        subscribing = false;
      });
  }

  function renew() {
    if (!lease) return;
    post('renew', { lease: lease })
      .done(function (res) {
        if (!res.attached) attach();
      })
      .fail(function (xhr) {
        // The runtime restarted or dropped the lease: take a new one.
        if (xhr.status === 404) {
          stop(true);
          if (listeners.length) start();
        }
      });
  }

  function stop(quiet) {
    if (renewTimer) clearInterval(renewTimer);
    renewTimer = null;
    RED.comms.unsubscribe('osc-monitor/batch', onBatch);
    if (lease && !quiet) post('unsubscribe', { lease: lease });
    lease = null;
  }

  function subscribe(listener) {
    listeners.push(listener);
    start();
    var done = false;
    return function unsubscribe() {
      if (done) return;
      done = true;
      var i = listeners.indexOf(listener);
      if (i >= 0) listeners.splice(i, 1);
      if (listeners.length === 0) stop(false);
    };
  }

  function addresses() {
    var out = [];
    var all = Array.from(rows.values());
    for (var i = all.length - 1; i >= 0; i--) out.push(toRow(all[i]));
    return out;
  }

  function learnNext(opts, cb) {
    opts = opts || {};
    var since = Date.now();
    var cancelled = false;
    var unsubscribe = subscribe(function (batch) {
      if (cancelled) return;
      var list = batch.rows || [];
      for (var i = 0; i < list.length; i++) {
        var r = list[i];
        if (opts.endpointId && r.endpoint !== opts.endpointId) continue;
        if (opts.direction && r.direction !== opts.direction) continue;
        if (r.at < since) continue;
        cancel();
        cb(toRow(r));
        return;
      }
    });
    function cancel() {
      if (cancelled) return;
      cancelled = true;
      unsubscribe();
    }
    return cancel;
  }

  function setFilter(f, cb) {
    filter = f || {};
    if (!lease) {
      if (cb) cb(null);
      return;
    }
    post('filter', { lease: lease, filter: filter })
      .done(function (res) {
        if (cb) cb(res.error || null);
      })
      .fail(function (xhr) {
        if (cb) cb((xhr.responseJSON && xhr.responseJSON.error) || 'filter refused');
      });
  }

  window.addEventListener('pagehide', function () {
    if (lease) stop(false);
  });

  window.OscMonitor = {
    subscribe: subscribe,
    addresses: addresses,
    learnNext: learnNext,
    setFilter: setFilter,
    endpoints: function () {
      return Array.from(endpoints.values());
    },
    shortValue: shortValue,
    values: values,
    toRow: toRow,
    get subscribed() {
      return !!lease;
    },
  };
})();
