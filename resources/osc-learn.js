// "Learn": addresses taken from the traffic the OSC monitor has seen (window.OscMonitor, resources/osc-monitor-client.js)
// into the dialogs of osc route, osc out and osc request, and a monitor row turned into an `oscsend` command line or
// an inject node that sends the same message again.
//
// A row is what OscMonitor.addresses() lists: { endpoint: {id, name, label, transport}, direction: 'in'|'out',
// peer: {address, port}, address, types, values, count, rate, at }. The pure part (oscsend, the inject flow) runs in
// Node.js too, for the unit tests (test/osc-learn.test.js); the dialog part needs the editor (RED, jQuery) and is
// only called from there. Nothing here touches RED or $ when the file loads.
/* global module, Uint8Array */
(/** @param {any} global the editor's window, or this module's exports in Node.js */ function(global) {
    "use strict";

    // ---------------------------------------------------------------------------------------------------------
    // Texts. The editor's catalogues are per node type; these are shared by three dialogs and the sidebar, so
    // they live here, in English, and a catalogue entry "<type>.learn.<key>" of the dialog's node wins if present.

    var EN = {
        pick: "recent",
        pickTitle: "Take the address from one seen recently (OSC monitor)",
        learn: "learn",
        learnTitle: "Take the address of the next message that arrives",
        waiting: "waiting\u2026",
        waitingTitle: "Waiting for the next message; click to stop",
        waitingPlaceholder: "next address\u2026",
        use: "Use",
        close: "Close",
        onlyUpstream: "only from __endpoint__ (upstream)",
        none: "No address seen yet. Send something, or open the OSC sidebar tab to watch the traffic.",
        noMonitor: "The OSC monitor is not loaded",
        seen: "seen: __types__ (as msg.types)",
        fromPeer: "from __peer__",
        toPeer: "to __peer__",
        oscsendCannot: "oscsend cannot send this message: it sends only the types i h f d s S c m T F N I, and this one has __what__.",
        truncated: "The monitor shows this message cut short (__what__): the inject node sends what was shown, not the whole message.",
        notJson: "__what__ cannot be written in an inject node (JSON has no NaN, Infinity or 64-bit integers); it was left as null."
    };
    var NS = null; // the dialog's catalogue namespace, "@oscflow/node-red-osc/<type>:<type>."

    function text(key, params) {
        var s;
        if (NS && global.RED && typeof global.RED._ === "function") {
            var k = NS + "learn." + key;
            var r = global.RED._(k, params);
            if (r && r !== k && r.indexOf("learn." + key) === -1) { s = r; }
        }
        if (s === undefined) {
            s = EN[key] || key;
            if (params) {
                s = s.replace(/__(\w+)__/g, function(m, name) { return Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : m; });
            }
        }
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------
    // A row's arguments, typed.

    /** The top-level tags of a type-tag string (",i[fs]s" -> ["i", "[fs]", "s"]). */
    function topTags(types) {
        var s = String(types || "");
        if (s.charAt(0) === ",") { s = s.substring(1); }
        var out = [];
        for (var i = 0; i < s.length; i++) {
            var c = s.charAt(i);
            if (c === "[") {
                var depth = 1;
                var j = i + 1;
                for (; j < s.length && depth > 0; j++) {
                    if (s.charAt(j) === "[") { depth++; }
                    else if (s.charAt(j) === "]") { depth--; }
                }
                out.push(s.substring(i, j));
                i = j - 1;
            } else if (c !== "]") {
                out.push(c);
            }
        }
        return out;
    }

    function isTruncated(v) {
        return !!v && typeof v === "object" && !isArrayLike(v) && (v.truncated === true || v.cut === true);
    }
    function isArrayLike(v) {
        return Array.isArray(v) || (typeof Uint8Array !== "undefined" && v instanceof Uint8Array);
    }

    /**
     * The bytes of a blob or MIDI value as the monitor may hand them over (a Uint8Array, an array of numbers, a
     * Buffer's JSON form, or an object holding one of those), or null when only a summary is known.
     */
    function bytesOf(v) {
        if (v === null || v === undefined) { return null; }
        if (typeof Uint8Array !== "undefined" && v instanceof Uint8Array) { return Array.prototype.slice.call(v); }
        if (Array.isArray(v)) { return v.every(function(b) { return typeof b === "number" && b >= 0 && b <= 255 && Math.floor(b) === b; }) ? v.slice() : null; }
        if (typeof v === "object") {
            if (v.type === "Buffer" && Array.isArray(v.data)) { return v.data.slice(); }
            if (isTruncated(v)) { return null; }
            if (v.bytes !== undefined) { return bytesOf(v.bytes); }
            if (v.data !== undefined) { return bytesOf(v.data); }
            if (typeof v.hex === "string" && /^([0-9a-f]{2})*$/i.test(v.hex)) {
                var out = [];
                for (var i = 0; i < v.hex.length; i += 2) { out.push(parseInt(v.hex.substr(i, 2), 16)); }
                return out;
            }
        }
        return null;
    }

    /** The plain value of a value the monitor may have wrapped ({type, value} typed args, or the bare value). */
    function unwrap(v) {
        if (v && typeof v === "object" && !isArrayLike(v) && typeof v.type === "string" && Object.prototype.hasOwnProperty.call(v, "value") && v.type.length === 1) {
            return v.value;
        }
        return v;
    }

    /**
     * The row's arguments as [{ tag, value }] (nested for arrays: value is the inner list), each marked
     * `truncated` when the monitor showed it cut short.
     */
    function rowArgs(row) {
        if (row && Array.isArray(row.args)) {
            var typed = fromTyped(row.args);
            // The monitor keeps the first arguments of a long message only.
            if (row.types !== undefined && topTags(row.types).length > typed.length) { typed.push({ tag: "?", value: null, truncated: true }); }
            return typed;
        }
        var tags = topTags(row && row.types);
        var values = row && row.values;
        if (!Array.isArray(values)) { values = values === undefined ? [] : [values]; }
        return argsFor(tags, values);
    }

    // The monitor's own typed form: [{type, value, size?, truncated?}], b and m as hex, h as a decimal string,
    // '[' holding its elements.
    function fromTyped(list) {
        return list.map(function(a) {
            var tag = a.type;
            var arg = { tag: tag, value: a.value, truncated: a.truncated === true };
            if (tag === "[") {
                arg.value = fromTyped(Array.isArray(a.value) ? a.value : []);
                arg.tag = "[" + arg.value.map(function(x) { return x.tag; }).join("") + "]";
                arg.truncated = arg.truncated || arg.value.some(function(x) { return x.truncated; });
            } else if (tag === "b" || tag === "m") {
                arg.bytes = a.truncated ? null : bytesOf(typeof a.value === "string" ? { hex: a.value.replace(/\s+/g, "") } : a.value);
                arg.truncated = arg.bytes === null;
            }
            return arg;
        });
    }

    function argsFor(tags, values) {
        var out = [];
        var k = 0;
        for (var i = 0; i < tags.length; i++) {
            var tag = tags[i];
            // T F N I carry no data: the monitor may list a value for them or not.
            var noData = tag === "T" || tag === "F" || tag === "N" || tag === "I";
            var v;
            if (noData && tags.length - i > values.length - k) { v = undefined; }
            else { v = unwrap(values[k++]); }
            var arg = { tag: tag, value: v };
            if (tag.charAt(0) === "[") {
                var inner = Array.isArray(v) ? v : [];
                arg.value = argsFor(topTags(tag.substring(1, tag.length - 1)), inner);
                arg.truncated = !Array.isArray(v) || arg.value.some(function(a) { return a.truncated; });
            } else if (tag === "b" || tag === "m") {
                arg.bytes = bytesOf(v);
                arg.truncated = arg.bytes === null;
            } else {
                arg.truncated = isTruncated(v);
            }
            out.push(arg);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // oscsend (liblo's command-line sender)

    var OSCSEND_TAGS = "ihfdsScmTFNI";
    var SAFE_WORD = /^[A-Za-z0-9_/.,:=@%+^-]+$/;

    /** A word for a POSIX shell: bare when it has nothing the shell reads, else in single quotes. */
    function shellQuote(s) {
        s = String(s);
        if (s !== "" && SAFE_WORD.test(s)) { return s; }
        return "'" + s.replace(/'/g, "'\\''") + "'";
    }

    function numberWord(v) {
        var n = Number(v);
        if (n !== n) { return "nan"; }
        if (n === Infinity) { return "inf"; }
        if (n === -Infinity) { return "-inf"; }
        if (n === 0 && 1 / n < 0) { return "-0"; }
        return String(n);
    }

    function intWord(v) {
        if (typeof v === "string" && /^-?\d+$/.test(v)) { return v; }
        if (typeof v === "bigint") { return v.toString(); }
        return String(Math.trunc(Number(v)));
    }

    function hex2(b) { return (b < 16 ? "0" : "") + b.toString(16); }

    /** The tags of the row that oscsend (liblo 0.31) cannot send, each once: [] when it can send the message. */
    function oscsendUnsupported(row) {
        var out = [];
        var args = rowArgs(row);
        for (var i = 0; i < args.length; i++) {
            var a = args[i];
            var bad = null;
            if (a.tag.charAt(0) === "[") { bad = "[]"; }
            else if (OSCSEND_TAGS.indexOf(a.tag) === -1) { bad = a.tag; }
            else if (a.tag === "c" && typeof a.value === "string" && a.value.charCodeAt(0) > 127) { bad = "c"; }
            else if (a.tag === "m" && (a.bytes === null || a.bytes.length !== 4)) { bad = "m"; }
            else if (a.truncated) { bad = "cut"; }
            if (bad && out.indexOf(bad) === -1) { out.push(bad); }
        }
        return out;
    }

    var TAG_NAMES = { b: "a blob (b)", t: "a timetag (t)", r: "an RGBA colour (r)", "[]": "an array ([ ])", c: "a non-ASCII char (c)", m: "a MIDI message (m) whose bytes are not shown", cut: "a value the monitor shows cut short", "?": "more arguments than the monitor shows" };

    /** Host and port of the endpoint's own socket (an osc udp config node listening on a fixed port), if known. */
    function localPortOf(row) {
        var id = row && row.endpoint && row.endpoint.id;
        var n = id && global.RED && global.RED.nodes && global.RED.nodes.node(id);
        var p = n && Number(n.localPort);
        return p > 0 ? p : undefined;
    }

    /**
     * Where a replay of the row goes, unless told: a message the endpoint sent goes to the peer it went to; a
     * message it received goes to the endpoint's own port on this machine, as if the device had sent it again
     * (what one tests a flow with), or to the peer when that port is not known.
     */
    function destinationOf(row, opts) {
        opts = opts || {};
        var host = opts.host;
        var port = opts.port;
        if (host === undefined || host === "" || port === undefined || port === "") {
            var local = row && row.direction === "in" ? (opts.localPort || localPortOf(row)) : undefined;
            var peer = (row && row.peer) || {};
            if (host === undefined || host === "") { host = local ? "127.0.0.1" : peer.address; }
            if (port === undefined || port === "") { port = local || peer.port; }
        }
        return { host: host === undefined ? "" : String(host), port: port === undefined ? "" : String(port) };
    }

    /**
     * The `oscsend` command line that sends the row's message again (liblo's syntax: oscsend host port /address
     * types values...), quoted for a POSIX shell. A message oscsend cannot send (a blob, a timetag, an array...)
     * gives a shell comment saying why, so pasting it sends nothing wrong.
     */
    function oscsendCommand(row, opts) {
        opts = opts || {};
        var unsupported = oscsendUnsupported(row);
        if (unsupported.length) {
            return "# " + text("oscsendCannot", { what: unsupported.map(function(t) { return TAG_NAMES[t] || t; }).join(", ") });
        }
        var dest = destinationOf(row, opts);
        var transport = (opts.transport || (row.endpoint && row.endpoint.transport) || "udp").toLowerCase();
        var words = ["oscsend"];
        var host = dest.host || "localhost";
        var port = dest.port || "PORT";
        if (transport === "tcp") {
            words.push(shellQuote("osc.tcp://" + (host.indexOf(":") !== -1 ? "[" + host + "]" : host) + ":" + port));
        } else {
            words.push(shellQuote(host), shellQuote(port));
        }
        words.push(shellQuote(row.address));
        var args = rowArgs(row);
        if (args.length) {
            words.push(args.map(function(a) { return a.tag; }).join(""));
            for (var i = 0; i < args.length; i++) {
                var a = args[i];
                switch (a.tag) {
                case "i": case "h": words.push(intWord(a.value)); break;
                case "f": case "d": words.push(numberWord(a.value)); break;
                case "s": case "S": words.push(shellQuote(a.value === undefined || a.value === null ? "" : a.value)); break;
                case "c": words.push(shellQuote(typeof a.value === "number" ? String.fromCharCode(a.value) : String(a.value).charAt(0))); break;
                case "m": words.push(a.bytes.map(hex2).join("")); break;
                default: break; // T F N I: no value
                }
            }
        }
        return words.join(" ");
    }

    // ---------------------------------------------------------------------------------------------------------
    // An inject node wired to an osc out node that sends the row's message again.

    // How osc out types a plain value (numbers "int", its default; src/nodes/convert.ts and the codec's
    // planPlain): an int32 integer 'i', a larger integer 'h', any other number 'f', a string 's', true/false
    // 'T'/'F', null 'N', a Buffer 'b', an array '[...]'; an object has no type of its own.
    function plainTag(v) {
        if (typeof v === "number") {
            if ((v | 0) === v) { return "i"; }
            if (Math.floor(v) === v && Math.abs(v) < 9223372036854775808) { return "h"; }
            return "f";
        }
        if (typeof v === "string") { return "s"; }
        if (typeof v === "boolean") { return v ? "T" : "F"; }
        if (v === null) { return "N"; }
        if (v && v.__blob) { return "b"; }
        if (Array.isArray(v)) { return "[" + v.map(plainTag).join("") + "]"; }
        return "?";
    }

    function safeNumber(v) {
        var n = typeof v === "bigint" ? Number(v) : typeof v === "string" ? Number(v) : v;
        return typeof n === "number" && isFinite(n) && (Math.floor(n) !== n || Math.abs(n) <= 9007199254740991) ? n : null;
    }

    /**
     * The plain payload values for the args, and the problems met: `blobs` lists the paths of blob values
     * (set by extra inject properties of type "buffer", as JSON cannot hold bytes), `truncated` and `lossy`
     * what could not be reproduced exactly.
     */
    function plainArgs(args, path, acc) {
        var out = [];
        for (var i = 0; i < args.length; i++) {
            var a = args[i];
            var p = path + "[" + i + "]";
            var v;
            if (a.truncated) { acc.truncated.push(p); }
            switch (a.tag.charAt(0)) {
            case "[": v = plainArgs(a.value, p, acc); break;
            case "i": case "f": case "d": case "h":
                v = safeNumber(a.value);
                if (v === null) { acc.lossy.push(p); }
                break;
            case "s": case "S": case "c": v = a.value === undefined || a.value === null ? "" : String(a.value); break;
            case "b": v = { __blob: a.bytes || [] }; acc.blobs.push({ path: p, bytes: a.bytes || [] }); break;
            // MIDI: an array of 4 numbers, which the type tag 'm' accepts.
            case "m": v = (a.bytes || [0, 0, 0, 0]).slice(0, 4); break;
            case "t": v = a.value && typeof a.value === "object" ? { seconds: a.value.seconds, fraction: a.value.fraction } : { seconds: 0, fraction: 1 }; break;
            case "r": v = a.value && typeof a.value === "object" ? { r: a.value.r, g: a.value.g, b: a.value.b, a: a.value.a } : { r: 0, g: 0, b: 0, a: 0 }; break;
            case "T": case "I": v = true; break;
            case "F": v = false; break;
            default: v = null; break; // N
            }
            out.push(v);
        }
        return out;
    }

    function toJson(v) {
        return JSON.stringify(v, function(k, x) { return x && x.__blob ? 0 : x; });
    }

    function newId() {
        if (global.RED && global.RED.nodes && typeof global.RED.nodes.id === "function") { return global.RED.nodes.id(); }
        var s = "";
        for (var i = 0; i < 16; i++) { s += Math.floor(Math.random() * 16).toString(16); }
        return s;
    }

    /**
     * The two nodes (inject -> osc out) that send the row's message again, as flow JSON, and what could not be
     * kept: { nodes, types, truncated: [paths], lossy: [paths] }. msg.payload holds the arguments as plain values
     * (one value alone, else an array), msg.types the row's type tags when osc out would type those plain values
     * differently, msg.topic the address. Destination as in oscsendCommand. opts: { x, y, z, host, port }.
     */
    function injectFlow(row, opts) {
        opts = opts || {};
        var args = rowArgs(row);
        var acc = { blobs: [], truncated: [], lossy: [] };
        var values = plainArgs(args, "payload", acc);
        var tags = args.map(function(a) { return a.tag; }).join("");
        var plainTags = values.map(plainTag).join("");
        var types = plainTags === tags ? undefined : "," + tags;

        // One argument alone is the payload itself, unless it is an array (osc out would take an array for
        // the argument list) or a blob (set below).
        var single = values.length === 1 && !Array.isArray(values[0]);
        var props = [];
        var payload;
        var payloadType;
        if (single && acc.blobs.length === 1) {
            payload = JSON.stringify(acc.blobs[0].bytes);
            payloadType = "bin";
            acc.blobs = [];
        } else if (single && typeof values[0] === "number") {
            payload = numberWord(values[0]);
            payloadType = "num";
        } else if (single && typeof values[0] === "string") {
            payload = values[0];
            payloadType = "str";
        } else if (single && typeof values[0] === "boolean") {
            payload = String(values[0]);
            payloadType = "bool";
        } else {
            payload = toJson(single ? values[0] : values);
            payloadType = "json";
        }
        props.push({ p: "payload" });
        for (var b = 0; b < acc.blobs.length; b++) {
            var where = single ? "payload" : acc.blobs[b].path;
            props.push({ p: where, v: JSON.stringify(acc.blobs[b].bytes), vt: "bin" });
        }
        props.push({ p: "topic", vt: "str" });
        if (types) { props.push({ p: "types", v: types, vt: "str" }); }

        var injectId = newId();
        var outId = newId();
        var dest = destinationOf(row, opts);
        var transport = (row.endpoint && row.endpoint.transport) === "tcp" ? "tcp" : "udp";
        var x = opts.x === undefined ? 160 : opts.x;
        var y = opts.y === undefined ? 80 : opts.y;
        var inject = {
            id: injectId, type: "inject", name: "", props: props,
            repeat: "", crontab: "", once: false, onceDelay: 0.1,
            topic: String(row.address), payload: payload, payloadType: payloadType,
            x: x, y: y, wires: [[outId]]
        };
        var out = {
            id: outId, type: "osc-out", name: "", transport: transport,
            endpoint: "", tcpEndpoint: "",
            host: transport === "udp" ? dest.host : "", port: transport === "udp" ? dest.port : "",
            address: "", numbers: "int",
            x: x + 240, y: y, wires: []
        };
        if (transport === "tcp" && row.endpoint && row.endpoint.id) { out.tcpEndpoint = row.endpoint.id; }
        // A message the endpoint sent goes out through the same socket (its source port is what the device sees).
        if (transport === "udp" && row.direction === "out" && row.endpoint && row.endpoint.id) { out.endpoint = row.endpoint.id; }
        if (opts.z !== undefined) { inject.z = opts.z; out.z = opts.z; }
        return { nodes: [inject, out], types: types, truncated: acc.truncated, lossy: acc.lossy };
    }

    /** Adds the inject -> osc out pair for the row to the current flow, held by the mouse as a paste is. */
    function insertInject(row, opts) {
        var RED = global.RED;
        var flow = injectFlow(row, opts);
        // Config node ids that this editor does not have would be imported as dangling references.
        var out = flow.nodes[1];
        if (out.endpoint && !RED.nodes.node(out.endpoint)) { out.endpoint = ""; }
        if (out.tcpEndpoint && !RED.nodes.node(out.tcpEndpoint)) { out.tcpEndpoint = ""; }
        RED.view.importNodes(flow.nodes, { generateIds: true, addFlow: false, touchImport: !!(opts && opts.touchImport), notify: false });
        if (flow.truncated.length) { RED.notify(text("truncated", { what: flow.truncated.map(function(p) { return "msg." + p; }).join(", ") }), "warning"); }
        if (flow.lossy.length) { RED.notify(text("notJson", { what: flow.lossy.map(function(p) { return "msg." + p; }).join(", ") }), "warning"); }
        return flow;
    }

    // ---------------------------------------------------------------------------------------------------------
    // The dialogs

    function monitor() { return global.OscMonitor; }

    /** The endpoint config ids of the osc in nodes wired upstream of the node (through any nodes in between). */
    function upstreamEndpoints(node) {
        var RED = global.RED;
        var seen = {};
        var found = [];
        var queue = [node.id];
        seen[node.id] = true;
        while (queue.length) {
            var id = queue.shift();
            var links = RED.nodes.filterLinks({ target: { id: id } });
            for (var i = 0; i < links.length; i++) {
                var src = links[i].source;
                if (!src || seen[src.id]) { continue; }
                seen[src.id] = true;
                if (src.type === "osc-in") {
                    var ep = src.transport === "tcp" ? src.tcpEndpoint : src.endpoint;
                    if (ep && found.indexOf(ep) === -1) { found.push(ep); }
                } else if (src.type === "link in" && Array.isArray(src.links)) {
                    for (var l = 0; l < src.links.length; l++) {
                        var linkOut = RED.nodes.node(src.links[l]);
                        if (linkOut && !seen[linkOut.id]) { seen[linkOut.id] = true; queue.push(linkOut.id); }
                    }
                } else {
                    queue.push(src.id);
                }
            }
        }
        return found;
    }

    function endpointLabel(id) {
        var n = global.RED.nodes.node(id);
        if (!n) { return id; }
        var def = global.RED.nodes.getType(n.type);
        var label = n.name;
        try { label = (def && typeof def.label === "function" ? def.label.call(n) : n.name) || n.type; } catch (err) { label = label || String(err && n.type); }
        return label;
    }

    function peerText(row) {
        var p = row.peer || {};
        if (!p.address) { return ""; }
        return (String(p.address).indexOf(":") !== -1 ? "[" + p.address + "]" : p.address) + ":" + p.port;
    }

    function rowKey(row) {
        return [row.endpoint && row.endpoint.id, row.direction, peerText(row), row.address].join("|");
    }

    function byEndpoints(ids) {
        return function(row) { return !ids || !ids.length || (row.endpoint && ids.indexOf(row.endpoint.id) !== -1); };
    }

    /**
     * A list of the addresses seen recently (newest first) under `anchor`, to pick one or, with `multiple`,
     * several: onPick(rows). opts: { filter (row -> bool), upstream: [endpoint ids], multiple, byAddress (one row
     * per address) }.
     */
    function openPicker(anchor, opts, onPick) {
        var $ = global.$;
        var panel = $("<div/>", { "class": "oscflow-learn-picker" }).css({
            border: "1px solid var(--red-ui-secondary-border-color, #ccc)", "border-radius": "3px", padding: "4px",
            margin: "4px 0", background: "var(--red-ui-secondary-background, #fff)", "white-space": "normal"
        });
        var onlyUpstream = opts.upstream && opts.upstream.length ? true : false;
        if (onlyUpstream) {
            var lbl = $("<label/>").css({ width: "auto", display: "block", margin: "0 0 4px 0" }).appendTo(panel);
            $("<input/>", { type: "checkbox", "class": "oscflow-learn-upstream", checked: true })
                .css({ width: "auto", margin: "0 4px 0 0", "vertical-align": "baseline" })
                .on("change", function(e) { onlyUpstream = !!e.target.checked; render(); }).appendTo(lbl);
            $("<span/>").text(text("onlyUpstream", { endpoint: opts.upstream.map(endpointLabel).join(", ") })).appendTo(lbl);
        }
        var list = $("<div/>", { "class": "oscflow-learn-list" }).css({ "max-height": "180px", overflow: "auto" }).appendTo(panel);
        var buttons = $("<div/>").css({ "text-align": "right", "margin-top": "4px" }).appendTo(panel);
        var checked = {};
        var rows = [];
        if (opts.multiple) {
            $("<button/>", { type: "button", "class": "red-ui-button red-ui-button-small oscflow-learn-use" }).text(text("use"))
                .on("click", function(e) {
                    e.preventDefault();
                    var picked = rows.filter(function(r) { return checked[opts.byAddress ? r.address : rowKey(r)]; });
                    if (picked.length) { close(); onPick(picked); }
                }).appendTo(buttons);
        }
        $("<button/>", { type: "button", "class": "red-ui-button red-ui-button-small oscflow-learn-close" }).css("margin-left", "4px").text(text("close"))
            .on("click", function(e) { e.preventDefault(); close(); }).appendTo(buttons);

        function render() {
            var all = monitor() ? monitor().addresses() || [] : [];
            var addresses = {};
            rows = all.filter(function(r) {
                if ((opts.filter && !opts.filter(r)) || (onlyUpstream && !byEndpoints(opts.upstream)(r))) { return false; }
                // A rule matches addresses, whoever sent them: one row per address, its newest.
                if (opts.byAddress) {
                    if (addresses[r.address]) { return false; }
                    addresses[r.address] = true;
                }
                return true;
            });
            list.empty();
            if (!rows.length) {
                $("<div/>", { "class": "oscflow-learn-empty" }).css({ padding: "4px", "font-style": "italic" }).text(monitor() ? text("none") : text("noMonitor")).appendTo(list);
                return;
            }
            rows.forEach(function(r) {
                // Ticks survive the list being redrawn as traffic goes on, and a newer row of the same address.
                var key = opts.byAddress ? r.address : rowKey(r);
                var item = $("<div/>", { "class": "oscflow-learn-item" }).attr({ "data-address": r.address, "data-at": r.at }).css({
                    display: "flex", "align-items": "center", padding: "2px 4px", cursor: "pointer", "white-space": "nowrap"
                }).appendTo(list);
                if (opts.multiple) {
                    $("<input/>", { type: "checkbox" }).prop("checked", !!checked[key]).css({ width: "auto", margin: "0 6px 0 0" })
                        .on("click", function(e) { e.stopPropagation(); checked[key] = !!e.target.checked; }).appendTo(item);
                }
                $("<code/>").text(r.address).css({ "flex-grow": 1, overflow: "hidden", "text-overflow": "ellipsis" }).appendTo(item);
                $("<span/>").text(r.types || ",").css({ "margin-left": "8px", "font-family": "monospace", opacity: 0.8 }).appendTo(item);
                $("<span/>").text((r.direction === "out" ? "\u2192 " : "\u2190 ") + peerText(r)).css({ "margin-left": "8px", opacity: 0.7, "font-size": "0.9em" }).appendTo(item);
                item.on("click", function() {
                    if (opts.multiple) {
                        checked[key] = !checked[key];
                        item.find("input[type=checkbox]").prop("checked", checked[key]);
                    } else {
                        close();
                        onPick([r]);
                    }
                });
            });
        }

        // Rows arriving while the list is open are added, at most twice a second.
        var timer = null;
        var unsubscribe = monitor() && typeof monitor().subscribe === "function" ? monitor().subscribe(function() {
            if (timer === null) { timer = setTimeout(function() { timer = null; if (panel) { render(); } }, 500); }
        }) : null;
        function close() {
            if (!panel) { return; }
            if (typeof unsubscribe === "function") { unsubscribe(); }
            if (timer !== null) { clearTimeout(timer); timer = null; }
            panel.remove();
            panel = null;
        }
        render();
        panel.insertAfter(anchor);
        return { close: close, element: panel };
    }

    /**
     * A "learn" button: while waiting it shows so (and the input's placeholder says so); the next address that
     * arrives (matching `filter`) goes to onLearn(row). Returns { cancel }.
     */
    function learnButton(button, input, opts, onLearn) {
        var $ = global.$;
        var cancelFn = null;
        var placeholder = input ? input.attr("placeholder") : undefined;
        function idle() {
            button.removeClass("selected oscflow-learn-waiting").attr("title", text("learnTitle"))
                .empty().append($("<i/>", { "class": "fa fa-crosshairs" })).append(" " + text("learn"));
            if (input) { input.attr("placeholder", placeholder || ""); }
        }
        function cancel() {
            if (cancelFn) { var c = cancelFn; cancelFn = null; c(); }
            idle();
        }
        function arm() {
            var M = monitor();
            if (!M || typeof M.learnNext !== "function") { RED_notify(text("noMonitor")); return; }
            var query = {};
            if (opts.endpointId) { query.endpointId = opts.endpointId; }
            if (opts.direction) { query.direction = opts.direction; }
            cancelFn = M.learnNext(query, function(row) {
                cancelFn = null;
                // The dialog closed meanwhile: nothing to fill.
                if (!button.closest("body").length) { return; }
                if (opts.filter && !opts.filter(row)) { arm(); return; }
                idle();
                onLearn(row);
            });
            if (typeof cancelFn !== "function") { cancelFn = null; }
        }
        button.on("click", function(e) {
            e.preventDefault();
            if (button.hasClass("oscflow-learn-waiting")) { cancel(); return; }
            button.addClass("selected oscflow-learn-waiting").attr("title", text("waitingTitle"))
                .empty().append($("<i/>", { "class": "fa fa-spinner fa-spin" })).append(" " + text("waiting"));
            if (input) { input.attr("placeholder", text("waitingPlaceholder")); }
            arm();
        });
        idle();
        return { cancel: cancel };
    }

    function RED_notify(msg) {
        if (global.RED && typeof global.RED.notify === "function") { global.RED.notify(msg, "warning"); }
    }

    function smallButton(cls, icon, label, title) {
        var $ = global.$;
        return $("<button/>", { type: "button", "class": "red-ui-button red-ui-button-small " + cls, title: title })
            .css({ "margin-left": "4px", "flex-shrink": 0 })
            .append($("<i/>", { "class": "fa " + icon })).append(" " + label);
    }

    /**
     * osc route: call once in oneditprepare (before the rules are added), `decorate(row, input)` from the rule
     * list's addItem, and `close()` from oneditsave/oneditcancel. addRule(pattern) adds a rule to the list (its
     * outputs follow, as for a rule added by hand).
     */
    function routeDialog(node, addRule) {
        if (!monitor()) { return null; }
        NS = "@oscflow/node-red-osc/osc-route:osc-route.";
        var open = [];
        var upstream = upstreamEndpoints(node);
        var filter = function(row) { return row.direction !== "out"; };
        function fill(input, address) {
            input.val(address).trigger("change");
        }
        return {
            upstream: upstream,
            decorate: function(row, input) {
                var pick = smallButton("oscflow-learn-pick", "fa-list", text("pick"), text("pickTitle")).appendTo(row);
                var learnBtn = smallButton("oscflow-learn-learn", "fa-crosshairs", text("learn"), text("learnTitle")).appendTo(row);
                var picker = null;
                pick.on("click", function(e) {
                    e.preventDefault();
                    if (picker) { picker.close(); picker = null; return; }
                    picker = openPicker(row, { filter: filter, upstream: upstream, multiple: true, byAddress: true }, function(rows) {
                        picker = null;
                        // The first fills this rule; each further one makes a rule of its own.
                        fill(input, rows[0].address);
                        for (var i = 1; i < rows.length; i++) { addRule(rows[i].address); }
                    });
                    open.push(picker);
                });
                var learner = learnButton(learnBtn, input, {
                    direction: "in",
                    endpointId: upstream.length === 1 ? upstream[0] : undefined,
                    filter: upstream.length > 1 ? byEndpoints(upstream) : undefined
                }, function(r) { fill(input, r.address); });
                open.push({ close: learner.cancel });
            },
            close: function() {
                for (var i = 0; i < open.length; i++) { if (open[i]) { open[i].close(); } }
                open = [];
            }
        };
    }

    /**
     * osc out and osc request: adds, under the Address, "recent" and "learn" (filling Address, and Host and Port
     * from the peer) and the type tags seen. Call from oneditprepare with the node type; close() from
     * oneditsave/oneditcancel.
     */
    function addressDialog(type) {
        var $ = global.$;
        if (!monitor()) { return null; }
        NS = "@oscflow/node-red-osc/" + type + ":" + type + ".";
        var address = $("#node-input-address");
        var row = $("<div/>", { "class": "form-row oscflow-learn-row" });
        $("<label/>").html("&nbsp;").appendTo(row);
        var box = $("<span/>").css({ display: "inline-flex", "align-items": "center", "flex-wrap": "wrap", width: "70%" }).appendTo(row);
        var pick = smallButton("oscflow-learn-pick", "fa-list", text("pick"), text("pickTitle")).css("margin-left", 0).appendTo(box);
        var learnBtn = smallButton("oscflow-learn-learn", "fa-crosshairs", text("learn"), text("learnTitle")).appendTo(box);
        var hint = $("<span/>", { "class": "oscflow-learn-types" }).css({ "margin-left": "8px", "font-size": "0.9em", opacity: 0.85 }).appendTo(box);
        row.insertAfter(address.closest(".form-row"));
        var picker = null;

        function fill(r) {
            address.val(r.address).trigger("change");
            var udp = $("#node-input-transport").val() !== "tcp";
            if (udp && r.peer && r.peer.address) {
                $("#node-input-host").val(r.peer.address).trigger("change");
                $("#node-input-port").val(String(r.peer.port)).trigger("change");
            }
            var types = r.types ? (r.types.charAt(0) === "," ? r.types : "," + r.types) : "";
            hint.empty();
            if (types && types !== ",") {
                // The tags in monospace, the words around them as the catalogue says.
                var parts = text("seen", { types: "\u0000" }).split("\u0000");
                hint.append(document.createTextNode(parts[0])).append($("<code/>").text(types));
                if (parts.length > 1) { hint.append(document.createTextNode(parts[1])); }
            }
            hint.attr("data-types", types);
        }
        pick.on("click", function(e) {
            e.preventDefault();
            if (picker) { picker.close(); picker = null; return; }
            picker = openPicker(row, { multiple: false }, function(rows) { picker = null; fill(rows[0]); });
        });
        var learner = learnButton(learnBtn, address, {}, fill);
        return {
            close: function() {
                if (picker) { picker.close(); picker = null; }
                learner.cancel();
            }
        };
    }

    var OscLearn = {
        topTags: topTags,
        rowArgs: rowArgs,
        shellQuote: shellQuote,
        oscsendUnsupported: oscsendUnsupported,
        oscsendCommand: oscsendCommand,
        destinationOf: destinationOf,
        injectFlow: injectFlow,
        insertInject: insertInject,
        upstreamEndpoints: upstreamEndpoints,
        routeDialog: routeDialog,
        addressDialog: addressDialog
    };
    global.OscLearn = OscLearn;
    if (typeof module === "object" && module.exports) { module.exports = OscLearn; }
})(typeof window !== "undefined" ? window : this);
