// The editor's checks and dialog behaviour, shared by the nodes' .html files: Node-RED serves this folder at
// resources/@oscflow/node-red-osc/, and each .html loads it with a <script src> before its own script runs.
//
// Addresses and patterns are judged by the runtime's own parser (resources/osc-pattern.js, built from
// src/osc/pattern.ts by scripts/build.js), so the editor refuses exactly what the runtime refuses, in the
// runtime's words and at its position. The two scripts load in either order: that one is looked up when a check
// runs, never at load time.
(function(global) {
    "use strict";

    function parser() {
        var p = global.OscflowPattern;
        if (!p) { throw new Error("resources/osc-pattern.js is not loaded (npm run build makes it)"); }
        return p;
    }
    function messageOf(fn) {
        try { fn(); return ""; } catch (e) { return e && e.message ? String(e.message) : String(e); }
    }

    /** "" when p is a valid OSC address pattern (an osc route rule), else the runtime's message. */
    function checkPattern(p) {
        return messageOf(function() { parser().compilePattern(p); });
    }

    /**
     * "" when a is what osc out and osc codec may send: a literal address or a pattern the receiver expands
     * (the runtime's checkAddress in src/nodes/convert.ts makes the same choice); else the runtime's message.
     */
    function checkAddress(a) {
        var p = parser();
        return messageOf(function() { if (p.isPattern(a)) { p.compilePattern(a); } else { p.validateAddress(a); } });
    }

    function isIPv4(s) {
        var m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
        if (!m) { return false; }
        for (var i = 1; i <= 4; i++) { if (Number(m[i]) > 255) { return false; } }
        return true;
    }
    // As Node.js's net.isIPv6 (which the runtime uses): hex groups, one '::' at most, an IPv4 tail, a %zone.
    function isIPv6(s) {
        var zone = s.indexOf("%");
        if (zone !== -1) {
            if (!/^[\w.-]+$/.test(s.slice(zone + 1))) { return false; }
            s = s.slice(0, zone);
        }
        var halves = s.split("::");
        if (halves.length > 2) { return false; }
        var groups = 0;
        for (var h = 0; h < halves.length; h++) {
            if (halves[h] === "") { continue; }
            var parts = halves[h].split(":");
            for (var i = 0; i < parts.length; i++) {
                var last = h === halves.length - 1 && i === parts.length - 1;
                if (last && isIPv4(parts[i])) { groups += 2; }
                else if (/^[0-9a-f]{1,4}$/i.test(parts[i])) { groups += 1; }
                else { return false; }
            }
        }
        return halves.length === 2 ? groups <= 7 : groups === 8;
    }
    /**
     * True when s can name a host: an IPv4 or IPv6 address or a host name (letters, digits, '-', '_' between
     * dots). Catches typos such as "not a host!" or "192.168.1.300" before they fail when the flow runs.
     */
    function isHost(s) {
        s = String(s === undefined || s === null ? "" : s).trim();
        if (s === "") { return false; }
        if (isIPv4(s) || isIPv6(s)) { return true; }
        if (/^[\d.]+$/.test(s)) { return false; }
        return s.length <= 253 && /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?$/i.test(s);
    }

    /**
     * The first entry of an allow-list (addresses and CIDR ranges, separated by space, comma, semicolon or new
     * line; '#' starts a comment) that cannot be right, or "" when none: catches typos while typing. The runtime
     * (src/transport/allowlist.ts) parses the list exactly and names a bad entry at deploy.
     */
    function badAllowEntry(v) {
        var lines = String(v || "").split(/\r?\n/);
        for (var i = 0; i < lines.length; i++) {
            var entries = lines[i].replace(/#.*$/, "").split(/[\s,;]+/);
            for (var k = 0; k < entries.length; k++) {
                var e = entries[k];
                if (!e) { continue; }
                var m = /^\[?([^/\]]+)\]?(?:\/(\d{1,3}))?$/.exec(e);
                if (!m) { return e; }
                var v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(m[1]);
                if (v4) {
                    for (var j = 1; j <= 4; j++) { if (Number(v4[j]) > 255) { return e; } }
                    if (m[2] !== undefined && Number(m[2]) > 32) { return e; }
                } else if (!/^[0-9a-f:.]+$/i.test(m[1]) || m[1].indexOf(":") === -1 || (m[2] !== undefined && Number(m[2]) > 128)) {
                    return e;
                }
            }
        }
        return "";
    }

    /** Saved flows and hand-typed fields hold numbers as strings; accept both, never "1e3" or "8.5". */
    function wholeIn(v, min, max) {
        var s = String(v).trim();
        if (!/^\d+$/.test(s)) { return false; }
        var n = Number(s);
        return n >= min && n <= max;
    }

    /** A DNS-SD instance name (Advertise): one DNS label, at most 58 bytes of UTF-8 (room for " (2)" on a conflict), no control characters. */
    function serviceNameOk(v) {
        var s = String(v).trim();
        for (var i = 0; i < s.length; i++) {
            var c = s.charCodeAt(i);
            if (c < 0x20 || c === 0x7f) { return false; }
        }
        return unescape(encodeURIComponent(s)).length <= 58;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Edit dialogs. Node-RED fills each field from the node and saves each field back; three things it does not do
    // are done here, for every dialog of ours:
    // - A property the node does not have (a flow saved before the property existed; a new config node, whose
    //   falsy defaults such as Port 0 Node-RED leaves out) shows the value the runtime uses for it, not a blank.
    // - "Done" without a change leaves such a property absent, so opening a dialog never modifies the flow.
    // - Every explanation of an invalid field shows under the field, not only in a tooltip on hover.

    var openByType = {};
    var dialogs = {};

    function prefixOf(node) { return node._def && node._def.category === "config" ? "node-config-input" : "node-input"; }
    function fieldValue(input) { return input.attr("type") === "checkbox" ? input.prop("checked") : input.val(); }
    function isEditing(node) {
        var ed = global.RED && global.RED.editor;
        if (ed && typeof ed.getEditStack === "function") { return ed.getEditStack().indexOf(node) !== -1; }
        return openByType[node.type] === node;
    }

    /**
     * The value of prop as the open dialog of node shows it, else as saved: a field whose check depends on
     * another field (Mode, Transport, scheduling) is judged by what is on screen, also before the first save.
     */
    function live(node, prop) {
        if (isEditing(node) && global.$) {
            var input = global.$("#" + prefixOf(node) + "-" + prop);
            if (input.length) { return fieldValue(input); }
        }
        return node[prop];
    }

    // What Node-RED concludes from a validator, as a sentence ("" when valid): the same rules as its own
    // validateNodeProperty (environment variables pass, a validator's string or list is the reason).
    function reasonFor(node, def, value) {
        if (typeof value === "string" && /^\$(\([a-zA-Z_][a-zA-Z0-9_]*\)|\{[a-zA-Z_][a-zA-Z0-9_]*\})$/.test(value)) { return ""; }
        if (!def.validate) { return ""; }
        var r;
        try { r = def.validate.call(node, value, {}); } catch (e) { return String(e && e.message || e); }
        if (typeof r === "string") { return r; }
        if (Array.isArray(r)) { return r.join("; "); }
        return "";
    }

    function explain(node, prefix) {
        var $ = global.$;
        var defaults = node._def.defaults;
        var shown = [];
        var form = null;
        for (var prop in defaults) {
            if (!Object.prototype.hasOwnProperty.call(defaults, prop) || !defaults[prop].validate) { continue; }
            var input = $("#" + prefix + "-" + prop);
            if (!input.length) { continue; }
            form = form || input.closest("form");
            // Inside the field's row, so a row the dialog hides (another mode, another transport) hides it too.
            var box = $("<div/>", { "class": "oscflow-explain", "data-prop": prop })
                .css({ color: "var(--red-ui-text-color-error, #ad1625)", "margin": "4px 0 0 104px", "white-space": "normal", "font-size": "0.9em", "line-height": "1.4em" })
                .hide()
                .appendTo(input.closest(".form-row"));
            shown.push({ prop: prop, input: input, box: box });
        }
        function refresh() {
            for (var i = 0; i < shown.length; i++) {
                var s = shown[i];
                // An input given up at save (see saveDialog) is no longer the property's.
                var text = s.input.attr("id") ? reasonFor(node, defaults[s.prop], fieldValue(s.input)) : "";
                s.box.text(text).toggle(text !== "");
            }
        }
        if (form) { form.on("input change keyup paste", function() { setTimeout(refresh, 0); }); }
        refresh();
        return refresh;
    }

    /**
     * Called first in oneditprepare, after Node-RED has filled the fields. effective: { prop: function() }
     * for a property whose runtime value, when absent, is not its editor default (computed with this = node).
     * Returns a function that refreshes the explanations (for fields a node changes itself).
     */
    function prepareDialog(node, effective) {
        var $ = global.$;
        var prefix = prefixOf(node);
        var defaults = node._def.defaults;
        var absent = [];
        for (var prop in defaults) {
            // outputs is Node-RED's own (a rule map while osc route's dialog is open).
            if (!Object.prototype.hasOwnProperty.call(defaults, prop) || node[prop] !== undefined || prop === "outputs") { continue; }
            var input = $("#" + prefix + "-" + prop);
            if (!input.length) { continue; }
            if (defaults[prop].type) { absent.push({ prop: prop, config: true }); continue; }
            var value = effective && Object.prototype.hasOwnProperty.call(effective, prop) ? effective[prop].call(node) : defaults[prop].value;
            if (value === undefined || (value !== null && typeof value === "object")) { continue; }
            if (input.attr("type") === "checkbox") { input.prop("checked", value === true || value === "true"); }
            else { input.val(String(value)); }
            absent.push({ prop: prop, shown: fieldValue(input) });
        }
        openByType[node.type] = node;
        // A config node being added is not in the workspace yet: it is saved with every field, as shown.
        var existing = !!(global.RED && global.RED.nodes.node(node.id));
        dialogs[node.id] = { prefix: prefix, absent: existing ? absent : [] };
        return explain(node, prefix);
    }

    /** Called last in oneditsave: a property the node did not have, and whose field is as shown, stays absent. */
    function saveDialog(node) {
        var $ = global.$;
        var d = dialogs[node.id];
        delete dialogs[node.id];
        if (openByType[node.type] === node) { delete openByType[node.type]; }
        if (!d) { return; }
        for (var i = 0; i < d.absent.length; i++) {
            var a = d.absent[i];
            var input = $("#" + d.prefix + "-" + a.prop);
            if (!input.length) { continue; }
            var now = fieldValue(input);
            var same = a.config ? (now === "_ADD_" || now === "" || now === null) : now === a.shown;
            // Node-RED saves only the fields it finds by id.
            if (same) { input.removeAttr("id"); }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Where osc out and osc request send: Transport, the osc tcp endpoint over TCP, Host, Port and the osc udp
    // endpoint ("Send from") over UDP, and the Address. Both dialogs have the same fields, with the same ids, in
    // rows of the classes <type>-udp and <type>-tcp, and the same rules; each has its own messages.

    /** An empty field: undefined, null or only spaces. */
    function blank(v) { return v === undefined || v === null || String(v).trim() === ""; }
    /**
     * A config node field with a validator of its own (Node-RED then leaves checking the config node to it): set,
     * of the type, and itself valid.
     */
    function configValid(v, type) {
        if (!v || v === "_ADD_") { return false; }
        var n = global.RED.nodes.node(v);
        return !!n && n.type === type && (n.valid == null || n.valid === true);
    }

    /**
     * The send target of the node type's dialog: validators for its defaults, and what its oneditprepare and
     * oneditsave do with those fields. t(key) looks a message up in the node's own locale file, which must hold
     * sendTarget.messages.
     */
    function sendTarget(type, t) {
        function isTcp(node) { return live(node, "transport") === "tcp"; }
        /* eslint-disable no-unused-vars -- Node-RED coerces the result of a one-parameter validator to a boolean,
           losing its explanation: every validator declares (v, opt). */
        return {
            isTcp: isTcp,
            tcpEndpoint: function(v, opt) { return !isTcp(this) || configValid(v, "osc-tcp") || t("errors.tcpEndpoint"); },
            // Blank Host and Port: msg.ip and msg.port. Over TCP they do not apply (and are cleared at save).
            host: function(v, opt) { return isTcp(this) || blank(v) || isHost(v) || t("errors.host"); },
            port: function(v, opt) { return isTcp(this) || blank(v) || wholeIn(v, 1, 65535) || t("errors.port"); },
            // Blank: msg.topic. Else a literal address or a pattern the receiver expands, in the runtime's words.
            address: function(v, opt) { return blank(v) || checkAddress(String(v).trim()) || true; },
            /* eslint-enable no-unused-vars */
            /** In oneditprepare: Browse under Host and Port (resources/osc-browse.js), the rows of the transport. */
            prepare: function() {
                var $ = global.$;
                global.OscBrowse.attach({ host: "#node-input-host", port: "#node-input-port", types: ["_osc._udp", "_oscjson._tcp"] });
                function show() {
                    var tcp = $("#node-input-transport").val() === "tcp";
                    $("." + type + "-udp").toggle(!tcp);
                    $("." + type + "-tcp").toggle(tcp);
                }
                $("#node-input-transport").on("change", show);
                show();
            },
            /**
             * In oneditsave, before saveDialog: the endpoint of the other transport is dropped, so an unused config
             * node shows as unused; Host and Port do not apply over TCP and are cleared too, so nothing hidden
             * changes what the node does.
             */
            save: function() {
                var $ = global.$;
                if ($("#node-input-transport").val() === "tcp") {
                    $("#node-input-endpoint").val("_ADD_");
                    $("#node-input-host").val("");
                    $("#node-input-port").val("");
                } else {
                    $("#node-input-tcpEndpoint").val("_ADD_");
                }
            }
        };
    }
    sendTarget.messages = ["errors.tcpEndpoint", "errors.host", "errors.port"];

    global.OscflowValidate = {
        checkPattern: checkPattern, checkAddress: checkAddress, isHost: isHost, badAllowEntry: badAllowEntry,
        wholeIn: wholeIn, serviceNameOk: serviceNameOk, live: live, prepareDialog: prepareDialog, saveDialog: saveDialog,
        sendTarget: sendTarget, blank: blank, configValid: configValid
    };
})(this);
