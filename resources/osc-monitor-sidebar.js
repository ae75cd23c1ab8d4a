/* global RED, $, Map */
// The "OSC" sidebar tab: the live monitor's view over window.OscMonitor (osc-monitor-client.js). It subscribes
// only while the tab is shown, and draws at most once per batch (about 10 a second) whatever the traffic: rows
// are kept per key and updated in place, and only the first MAX_RENDER of each view are drawn.
(function () {
  'use strict';

  var MAX_RENDER = 200;
  var MAX_LOG = 500;
  var NS = '@oscflow/node-red-osc/osc-monitor:';

  var EN = {
    label: 'OSC',
    name: 'OSC monitor',
    byAddress: 'by address',
    log: 'log',
    pause: 'pause',
    resume: 'resume',
    clear: 'clear',
    filter: 'address pattern, e.g. /fader*',
    allEndpoints: 'all endpoints',
    bothDirections: 'in and out',
    in: 'in',
    out: 'out',
    malformed: 'malformed',
    notAllowed: 'not allowed',
    kernelDropped: 'kernel dropped',
    messages: 'messages',
    empty: 'No OSC traffic seen yet. Deploy an osc in or osc out node, or send to one.',
    copyOscsend: 'Copy as oscsend',
    insertInject: 'Insert inject node',
    perSecond: '/s',
    paused: 'paused',
  };

  function t(key) {
    var s = RED._(NS + key);
    return s && s !== NS + key && s !== key ? s : EN[key];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function time(ms) {
    var d = new Date(ms);
    function p(n, w) {
      n = String(n);
      while (n.length < w) n = '0' + n;
      return n;
    }
    return p(d.getHours(), 2) + ':' + p(d.getMinutes(), 2) + ':' + p(d.getSeconds(), 2) + '.' + p(d.getMilliseconds(), 3);
  }

  function valuesText(args) {
    return args.map(window.OscMonitor.shortValue).join(' ');
  }

  function create() {
    var M = window.OscMonitor;
    var state = {
      view: 'address',
      paused: false,
      rows: new Map(),
      log: [],
      endpoints: new Map(),
      pattern: null,
      patternText: '',
      endpoint: '',
      direction: '',
      dirty: false,
      unsubscribe: null,
      newLog: [],
    };

    var content = el('div', 'oscmon');
    content.style.cssText = 'display:flex;flex-direction:column;height:100%;font-size:12px';

    var bar = el('div', 'red-ui-sidebar-header oscmon-bar');
    bar.style.cssText = 'display:flex;flex-wrap:wrap;gap:4px;align-items:center;padding:4px 8px';
    var viewGroup = el('span', 'button-group');
    var bAddr = el('button', 'red-ui-sidebar-header-button-toggle selected oscmon-view-address', t('byAddress'));
    var bLog = el('button', 'red-ui-sidebar-header-button-toggle oscmon-view-log', t('log'));
    viewGroup.appendChild(bAddr);
    viewGroup.appendChild(bLog);
    var bPause = el('button', 'red-ui-sidebar-header-button oscmon-pause', t('pause'));
    var bClear = el('button', 'red-ui-sidebar-header-button oscmon-clear', t('clear'));
    bar.appendChild(viewGroup);
    bar.appendChild(bPause);
    bar.appendChild(bClear);

    var filters = el('div', 'oscmon-filters');
    filters.style.cssText = 'display:flex;flex-wrap:wrap;gap:4px;padding:4px 8px';
    var fPattern = el('input', 'oscmon-filter');
    fPattern.type = 'text';
    fPattern.placeholder = t('filter');
    fPattern.style.cssText = 'flex:1 1 140px;min-width:100px;margin:0';
    var fEndpoint = el('select', 'oscmon-endpoint');
    fEndpoint.style.cssText = 'width:auto;max-width:160px;margin:0';
    fEndpoint.appendChild(new Option(t('allEndpoints'), ''));
    var fDir = el('select', 'oscmon-direction');
    fDir.style.cssText = 'width:auto;margin:0';
    fDir.appendChild(new Option(t('bothDirections'), ''));
    fDir.appendChild(new Option(t('in'), 'in'));
    fDir.appendChild(new Option(t('out'), 'out'));
    filters.appendChild(fPattern);
    filters.appendChild(fEndpoint);
    filters.appendChild(fDir);
    var patternError = el('div', 'oscmon-filter-error');
    patternError.style.cssText = 'color:var(--red-ui-text-color-error, #c00);padding:0 8px;display:none';

    var counters = el('div', 'oscmon-counters');
    counters.style.cssText = 'padding:2px 8px;color:var(--red-ui-secondary-text-color, #888)';

    var scroller = el('div', 'oscmon-scroll');
    scroller.style.cssText = 'flex:1 1 auto;overflow:auto';
    var table = el('table', 'oscmon-table');
    table.style.cssText = 'width:100%;table-layout:fixed;border-collapse:collapse;font-family:monospace';
    var tbody = el('tbody');
    table.appendChild(tbody);
    var emptyNote = el('div', 'oscmon-empty', t('empty'));
    emptyNote.style.cssText = 'padding:8px;color:var(--red-ui-secondary-text-color, #888)';
    scroller.appendChild(emptyNote);
    scroller.appendChild(table);

    content.appendChild(bar);
    content.appendChild(filters);
    content.appendChild(patternError);
    content.appendChild(counters);
    content.appendChild(scroller);

    function endpointName(id) {
      var e = state.endpoints.get(id);
      return e ? e.name + (e.label ? ' (' + e.label + ')' : '') : id;
    }

    function passes(m) {
      if (state.endpoint && m.endpoint !== state.endpoint) return false;
      if (state.direction && m.direction !== state.direction) return false;
      return !state.pattern || state.pattern.match(m.address);
    }

    var GREY = 'color:var(--red-ui-secondary-text-color, #888)';
    var STYLE = {
      time: GREY,
      dir: 'flex:none;width:1em',
      address: 'flex:1 1 auto;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:bold',
      rate: 'flex:none;' + GREY,
      count: 'flex:none;' + GREY,
      types: 'flex:none;' + GREY,
      values: 'flex:1 1 auto;overflow:hidden;text-overflow:ellipsis;white-space:nowrap',
      peer: 'flex:none;' + GREY,
    };

    // Two lines per message, to fit the sidebar: where it went and how often, then what it carried.
    function twoLines(tr, first, second) {
      var td = el('td');
      td.style.cssText = 'padding:2px 8px;border-bottom:1px solid var(--red-ui-secondary-border-color, #eee)';
      tr._cells = {};
      [first, second].forEach(function (keys) {
        var line = el('div');
        line.style.cssText = 'display:flex;gap:6px;align-items:baseline;min-width:0';
        keys.forEach(function (k) {
          var span = el('span', 'oscmon-' + k);
          span.style.cssText = STYLE[k] || '';
          tr._cells[k] = span;
          line.appendChild(span);
        });
        td.appendChild(line);
      });
      tr.appendChild(td);
      actions(td.firstChild, tr);
    }

    function actions(line, tr) {
      var L = window.OscLearn;
      if (!L) return;
      var c = el('button', 'red-ui-button red-ui-button-small oscmon-copy-oscsend');
      c.title = t('copyOscsend');
      c.innerHTML = '<i class="fa fa-terminal"></i>';
      var i = el('button', 'red-ui-button red-ui-button-small oscmon-insert-inject');
      i.title = t('insertInject');
      i.innerHTML = '<i class="fa fa-sign-in"></i>';
      c.onclick = function () {
        var out = L.oscsendCommand(M.toRow(tr._raw));
        if (typeof out === 'string' && RED.clipboard && RED.clipboard.copyText) RED.clipboard.copyText(out, $(c), t('copyOscsend'));
      };
      i.onclick = function () {
        L.insertInject(M.toRow(tr._raw));
      };
      line.appendChild(c);
      line.appendChild(i);
    }

    // by address: one <tr> per key, kept and updated in place.
    var rowEls = new Map();
    function addressTr(r) {
      var tr = rowEls.get(r.key);
      if (!tr) {
        tr = el('tr', 'oscmon-row');
        tr._raw = r;
        twoLines(tr, ['dir', 'address', 'rate', 'count'], ['types', 'values', 'peer']);
        rowEls.set(r.key, tr);
      }
      tr._raw = r;
      tr.title = endpointName(r.endpoint) + ' · ' + time(r.at);
      set(tr._cells.dir, r.direction === 'in' ? '→' : '←');
      set(tr._cells.address, r.address);
      set(tr._cells.types, r.types);
      set(tr._cells.values, valuesText(r.args));
      set(tr._cells.rate, r.rate + t('perSecond'));
      set(tr._cells.count, '×' + r.count);
      set(tr._cells.peer, r.peer.address + ':' + r.peer.port);
      return tr;
    }
    function set(node, text) {
      if (node.textContent !== text) node.textContent = text;
    }

    function logTr(m) {
      var tr = el('tr', 'oscmon-logrow');
      tr._raw = m;
      twoLines(tr, ['dir', 'address', 'time'], ['types', 'values', 'peer']);
      tr._cells.time.textContent = time(m.at);
      tr._cells.dir.textContent = m.direction === 'in' ? '→' : '←';
      tr._cells.address.textContent = m.address;
      tr._cells.types.textContent = m.types;
      tr._cells.values.textContent = valuesText(m.args);
      tr._cells.peer.textContent = m.peer.address + ':' + m.peer.port;
      tr.title = endpointName(m.endpoint) + (m.timetag ? ' · bundle ' + m.timetag.seconds + '.' + m.timetag.fraction : '');
      return tr;
    }

    function renderCounters() {
      var parts = [];
      state.endpoints.forEach(function (e) {
        var c = e.counts;
        var dropped = c.kernelDrops === null ? '–' : c.kernelDrops;
        var line = [c.messages + ' ' + t('messages'), t('malformed') + ' ' + c.malformed];
        line.push(t('notAllowed') + ' ' + c.rejected, t('kernelDropped') + ' ' + dropped);
        parts.push(endpointName(e.id) + ': ' + line.join(' · '));
      });
      var text = parts.join('\n');
      if (counters.textContent !== text) {
        counters.textContent = text;
        counters.style.whiteSpace = 'pre-line';
      }
      // The endpoint choice follows the endpoints that exist.
      var want = [''];
      state.endpoints.forEach(function (e) {
        want.push(e.id);
      });
      var have = Array.prototype.map.call(fEndpoint.options, function (o) {
        return o.value;
      });
      if (want.join('\n') !== have.join('\n')) {
        var keep = fEndpoint.value;
        while (fEndpoint.options.length > 1) fEndpoint.remove(1);
        state.endpoints.forEach(function (e) {
          fEndpoint.appendChild(new Option(endpointName(e.id), e.id));
        });
        fEndpoint.value = want.indexOf(keep) >= 0 ? keep : '';
      }
    }

    var lastView = null;
    function render() {
      state.dirty = false;
      renderCounters();
      if (lastView !== state.view) {
        tbody.textContent = '';
        lastView = state.view;
      }
      var shown;
      if (state.view === 'address') {
        var list = [];
        state.rows.forEach(function (r) {
          if (passes(r)) list.push(r);
        });
        list.sort(function (a, b) {
          return a.address < b.address ? -1 : a.address > b.address ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
        });
        if (list.length > MAX_RENDER) list.length = MAX_RENDER;
        var wanted = list.map(addressTr);
        // Reorder only when the order changed: a fader updating keeps its row where it is.
        var same = tbody.children.length === wanted.length;
        for (var i = 0; same && i < wanted.length; i++) if (tbody.children[i] !== wanted[i]) same = false;
        if (!same) {
          tbody.textContent = '';
          wanted.forEach(function (tr) {
            tbody.appendChild(tr);
          });
        }
        rowEls.forEach(function (tr, key) {
          if (!state.rows.has(key)) rowEls.delete(key);
        });
        shown = wanted.length;
      } else {
        var fresh = state.newLog.filter(passes);
        state.newLog = [];
        for (var j = 0; j < fresh.length; j++) tbody.insertBefore(logTr(fresh[j]), tbody.firstChild);
        while (tbody.children.length > MAX_RENDER) tbody.removeChild(tbody.lastChild);
        shown = tbody.children.length;
      }
      emptyNote.style.display = shown === 0 ? '' : 'none';
    }

    function rebuildLog() {
      tbody.textContent = '';
      state.newLog = state.log.slice(-MAX_RENDER);
      lastView = state.view;
    }

    function schedule() {
      if (state.dirty) return;
      state.dirty = true;
      window.requestAnimationFrame(render);
    }

    function onBatch(b) {
      (b.endpoints || []).forEach(function (e) {
        if (e.closed) state.endpoints.delete(e.id);
        else state.endpoints.set(e.id, e);
      });
      if (state.paused) return;
      if (b.reset) state.rows.clear();
      (b.removed || []).forEach(function (k) {
        state.rows.delete(k);
      });
      (b.rows || []).forEach(function (r) {
        state.rows.set(r.key, r);
      });
      if (b.log && b.log.length) {
        if (b.reset) state.log = [];
        state.log = state.log.concat(b.log);
        if (state.log.length > MAX_LOG) state.log = state.log.slice(-MAX_LOG);
        state.newLog = state.newLog.concat(b.log);
        if (state.newLog.length > MAX_RENDER) state.newLog = state.newLog.slice(-MAX_RENDER);
      }
      schedule();
    }

    function serverFilter() {
      var f = {};
      if (state.patternText && state.pattern) f.pattern = state.patternText;
      if (state.endpoint) f.endpoint = state.endpoint;
      if (state.direction) f.direction = state.direction;
      return f;
    }

    function applyFilter() {
      var text = fPattern.value.trim();
      state.patternText = text;
      state.pattern = null;
      patternError.style.display = 'none';
      fPattern.classList.remove('input-error');
      if (text) {
        try {
          state.pattern = window.OscflowPattern.compilePattern(text);
        } catch (e) {
          patternError.textContent = e.message;
          patternError.style.display = '';
          fPattern.classList.add('input-error');
        }
      }
      state.endpoint = fEndpoint.value;
      state.direction = fDir.value;
      // The log is filtered at the runtime (so a rare address is not lost in a flood); a snapshot follows.
      M.setFilter(serverFilter());
      state.log = [];
      rebuildLog();
      schedule();
    }
    var filterTimer = null;
    fPattern.addEventListener('input', function () {
      clearTimeout(filterTimer);
      filterTimer = setTimeout(applyFilter, 200);
    });
    fEndpoint.addEventListener('change', applyFilter);
    fDir.addEventListener('change', applyFilter);

    function setView(v) {
      state.view = v;
      bAddr.classList.toggle('selected', v === 'address');
      bLog.classList.toggle('selected', v === 'log');
      if (v === 'log') rebuildLog();
      schedule();
    }
    bAddr.onclick = function () {
      setView('address');
    };
    bLog.onclick = function () {
      setView('log');
    };
    bPause.onclick = function () {
      state.paused = !state.paused;
      bPause.textContent = state.paused ? t('resume') : t('pause');
      bPause.classList.toggle('selected', state.paused);
      // Back from a pause: a snapshot brings the rows up to date.
      if (!state.paused) M.setFilter(serverFilter());
    };
    bClear.onclick = function () {
      state.rows.clear();
      state.log = [];
      state.newLog = [];
      rowEls.clear();
      tbody.textContent = '';
      schedule();
    };

    function shown() {
      return $(content).is(':visible') && document.visibilityState !== 'hidden';
    }
    function sync() {
      var visible = shown();
      if (visible && !state.unsubscribe) {
        M.setFilter(serverFilter());
        state.unsubscribe = M.subscribe(onBatch);
      } else if (!visible && state.unsubscribe) {
        state.unsubscribe();
        state.unsubscribe = null;
      }
    }
    setInterval(sync, 500);
    document.addEventListener('visibilitychange', sync);

    return { content: content, sync: sync, state: state };
  }

  function init() {
    if (!window.OscMonitor || !RED.sidebar || window.OscMonitorSidebar) return;
    var view = create();
    window.OscMonitorSidebar = view;
    RED.sidebar.addTab({
      id: 'osc-monitor',
      label: t('label'),
      name: t('name'),
      iconClass: 'fa fa-exchange',
      content: view.content,
      enableOnEdit: true,
      onchange: function () {
        setTimeout(view.sync, 0);
      },
    });
  }

  window.OscMonitorSidebarInit = init;
})();
