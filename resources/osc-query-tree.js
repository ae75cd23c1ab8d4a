// A device's OSCQuery address space in the editor (issue 17): a tray with the device's tree (types, access,
// ranges, units, descriptions), opened from a typed host:port or from the Browse list of `_oscjson._tcp`
// services (window.OscBrowse, when the discovery part is loaded). Picked addresses go into osc out's Address or
// become osc route rules; the types the device declares are offered as msg.types.
//
// The tree comes from the runtime (GET osc/query/space, src/nodes/query-remote.ts): the browser never talks to
// the device, and the runtime's caps (size, time, JSON only, no redirects) apply.
//
// Hooks: osc out's and osc route's dialogs call outDialog() / routeDialog(node, addRule) in oneditprepare.
// RED and $ are the editor's, read when a dialog opens (never at load: the editor may load this before them).
/* global RED, $, Promise */
(function(global) {
    "use strict";

    var NS = "@oscflow/node-red-osc/osc-out:osc-out.query-tree.";
    function t(key, opts) { return RED._(NS + key, opts); }

    // The last device opened, offered first the next time.
    var lastDevice = "";

    /** "host:port" / "[v6]:port" -> { host, port }, or null. */
    function parseDevice(text) {
        var s = String(text || "").trim();
        var m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) || /^([^\s/?#@[\]:]+):(\d{1,5})$/.exec(s);
        if (!m) { return null; }
        var port = Number(m[2]);
        if (port < 1 || port > 65535) { return null; }
        return { host: m[1], port: port };
    }
    function deviceText(host, port) { return (host.indexOf(":") !== -1 ? "[" + host + "]" : host) + ":" + port; }

    /** Resolves with the runtime's answer { host, port, hostInfo?, entries }, rejects with { code, message }. */
    function fetchSpace(device) {
        return new Promise(function(resolve, reject) {
            $.ajax({ url: "osc/query/space", data: { host: device.host, port: device.port }, dataType: "json", timeout: 30000 })
                .done(resolve)
                .fail(function(xhr) {
                    var e = xhr.responseJSON && xhr.responseJSON.error;
                    reject(e && e.code ? e : { code: xhr.status === 401 || xhr.status === 403 ? "FORBIDDEN" : "ERROR", message: xhr.statusText || String(xhr.status) });
                });
        });
    }

    var ACCESS = { 0: "none", 1: "read", 2: "write", 3: "readwrite" };

    function rangeText(range) {
        if (!Array.isArray(range)) { return ""; }
        return range.map(function(r) {
            if (!r || typeof r !== "object") { return "·"; }
            if (Array.isArray(r.VALS)) { return "{" + r.VALS.slice(0, 8).map(function(v) { return JSON.stringify(v); }).join(", ") + (r.VALS.length > 8 ? ", …" : "") + "}"; }
            var lo = r.MIN !== undefined && r.MIN !== null ? String(r.MIN) : "";
            var hi = r.MAX !== undefined && r.MAX !== null ? String(r.MAX) : "";
            return lo || hi ? lo + "…" + hi : "·";
        }).join(" ");
    }
    function unitText(unit) {
        if (unit === undefined || unit === null) { return ""; }
        return (Array.isArray(unit) ? unit : [unit]).filter(function(u) { return typeof u === "string"; }).join(" ");
    }

    /** Entries as nested { name, entry, children } by address. */
    function treeOf(entries) {
        var root = { name: "", children: {}, entry: null };
        entries.forEach(function(e) {
            if (e.address === "/") { root.entry = e; return; }
            var parts = e.address.split("/").slice(1);
            var at = root;
            parts.forEach(function(p) {
                at.children[p] = at.children[p] || { name: p, children: {}, entry: null };
                at = at.children[p];
            });
            at.entry = e;
        });
        return root;
    }

    /** The type hint for a method: msg.types = ",f" (what "Types: from device" does by itself). */
    function typesHint(entry) {
        return entry && typeof entry.type === "string" ? "," + entry.type : "";
    }

    /**
     * Opens the tray. options: { title, multiple, device (initial "host:port"), onPick(entries) }. A method is
     * picked by its checkbox (several for osc route) or by double-clicking it (one).
     */
    function open(options) {
        var picked = {};
        var entriesByAddress = {};
        var tray = {
            title: options.title || t("title"),
            width: 640,
            buttons: [
                { id: "oscflow-qt-cancel", text: RED._("common.label.cancel"), click: function() { RED.tray.close(); } },
                {
                    id: "oscflow-qt-done", text: RED._("common.label.done"), "class": "primary",
                    click: function() {
                        var list = Object.keys(picked).map(function(a) { return entriesByAddress[a]; });
                        // The dialog underneath is back in the page only once this tray has gone.
                        RED.tray.close(function() { if (list.length) { options.onPick(list); } });
                    }
                }
            ],
            open: function(trayElement) {
                var body = $("<div/>", { "class": "oscflow-qt" }).css({ padding: "12px" }).appendTo(trayElement.find(".red-ui-tray-body"));
                var row = $("<div/>", { "class": "form-row" }).css({ display: "flex", gap: "6px", "align-items": "center" }).appendTo(body);
                $("<label/>").css({ width: "auto", margin: 0 }).text(t("device")).appendTo(row);
                var input = $("<input/>", { type: "text", "class": "oscflow-qt-device", placeholder: "192.168.1.20:8080" })
                    .css({ flex: "1 1 auto", width: "auto", "font-family": "monospace" }).val(options.device || lastDevice).appendTo(row);
                var openButton = $("<button/>", { type: "button", "class": "red-ui-button oscflow-qt-open" }).text(t("open")).appendTo(row);
                var found = $("<select/>", { "class": "oscflow-qt-found" }).css({ width: "auto", "max-width": "40%" }).hide().appendTo(row);
                var browseButton = $("<button/>", { type: "button", "class": "red-ui-button oscflow-qt-browse" }).text(t("browse")).appendTo(row);
                if (!(global.OscBrowse && typeof global.OscBrowse.list === "function")) { browseButton.hide(); }
                var info = $("<div/>", { "class": "oscflow-qt-info" }).css({ margin: "6px 0", "font-size": "0.9em" }).appendTo(body);
                var tree = $("<div/>", { "class": "oscflow-qt-tree" }).css({ "font-size": "0.95em", "overflow-y": "auto" }).appendTo(body);

                function say(text, error) {
                    info.text(text).css("color", error ? "var(--red-ui-text-color-error, #ad1625)" : "");
                }

                function render(answer) {
                    tree.empty();
                    picked = {};
                    entriesByAddress = {};
                    var methods = 0;
                    answer.entries.forEach(function(e) { entriesByAddress[e.address] = e; if (e.type !== undefined) { methods++; } });
                    var name = answer.hostInfo && answer.hostInfo.name ? answer.hostInfo.name + " · " : "";
                    say(name + t("methods", { count: methods }));
                    tree.append(renderChildren(treeOf(answer.entries), 0));
                }

                function renderChildren(node, depth) {
                    var ul = $("<ul/>").css({ "list-style": "none", margin: 0, "padding-left": depth ? "16px" : 0 });
                    Object.keys(node.children).sort().forEach(function(k) {
                        var child = node.children[k];
                        var li = $("<li/>").appendTo(ul);
                        var e = child.entry;
                        var line = $("<div/>").css({ display: "flex", gap: "8px", "align-items": "baseline", padding: "2px 0" }).appendTo(li);
                        var hasChildren = Object.keys(child.children).length > 0;
                        if (e && e.type !== undefined) {
                            line.addClass("oscflow-qt-method").attr("data-address", e.address);
                            var box = $("<input/>", { type: "checkbox", "class": "oscflow-qt-pick" }).css({ width: "auto", margin: 0 }).appendTo(line);
                            box.on("change", function() {
                                if (!options.multiple && box.prop("checked")) {
                                    tree.find(".oscflow-qt-pick").not(box).prop("checked", false);
                                    picked = {};
                                }
                                if (box.prop("checked")) { picked[e.address] = true; } else { delete picked[e.address]; }
                            });
                            line.on("dblclick", function() {
                                RED.tray.close(function() { options.onPick([e]); });
                            });
                        } else {
                            $("<i/>", { "class": "fa fa-folder-o" }).appendTo(line);
                        }
                        $("<span/>").css({ "font-family": "monospace" }).text(hasChildren && !(e && e.type !== undefined) ? child.name + "/" : child.name).attr("title", e ? e.address : "").appendTo(line);
                        if (e && e.type !== undefined) {
                            $("<code/>", { "class": "oscflow-qt-type" }).text(e.type === "" ? t("no-args") : e.type).appendTo(line);
                            if (e.access !== undefined) { $("<span/>", { "class": "oscflow-qt-access" }).css({ opacity: 0.7 }).text(t("access." + ACCESS[e.access])).appendTo(line); }
                            var range = rangeText(e.range);
                            if (range) { $("<span/>", { "class": "oscflow-qt-range" }).css({ opacity: 0.7 }).text(range).appendTo(line); }
                            var unit = unitText(e.unit);
                            if (unit) { $("<span/>").css({ opacity: 0.7 }).text(unit).appendTo(line); }
                        }
                        if (e && e.description) {
                            $("<span/>", { "class": "oscflow-qt-description" }).css({ opacity: 0.7, "font-style": "italic", overflow: "hidden", "text-overflow": "ellipsis", "white-space": "nowrap" }).text(e.description).appendTo(line);
                        }
                        if (hasChildren) { li.append(renderChildren(child, depth + 1)); }
                    });
                    return ul;
                }

                function load() {
                    var device = parseDevice(input.val());
                    if (!device) { say(t("bad-device"), true); return; }
                    lastDevice = deviceText(device.host, device.port);
                    tree.empty();
                    say(t("loading", { device: lastDevice }));
                    openButton.prop("disabled", true);
                    fetchSpace(device).then(function(answer) {
                        openButton.prop("disabled", false);
                        render(answer);
                    }, function(err) {
                        openButton.prop("disabled", false);
                        say(t("failed", { device: lastDevice, code: err.code, message: err.message || "" }), true);
                    });
                }

                openButton.on("click", load);
                input.on("keydown", function(ev) { if (ev.key === "Enter") { ev.preventDefault(); load(); } });
                browseButton.on("click", function() {
                    browseButton.prop("disabled", true);
                    say(t("browsing"));
                    Promise.resolve(global.OscBrowse.list(["_oscjson._tcp"])).then(function(services) {
                        browseButton.prop("disabled", false);
                        found.empty().append($("<option/>", { value: "" }).text(t("found", { count: services.length })));
                        services.forEach(function(s) {
                            var addresses = Array.isArray(s.addresses) ? s.addresses : [];
                            var host = addresses.filter(function(a) { return a.indexOf(":") === -1; })[0] || addresses[0] || s.host;
                            if (!host || !s.port) { return; }
                            var text = deviceText(host, s.port);
                            found.append($("<option/>", { value: text }).text((s.name || text) + " (" + text + ")"));
                        });
                        found.show();
                        say("");
                    }, function(e) {
                        browseButton.prop("disabled", false);
                        say(t("browse-failed", { message: e && e.message ? e.message : String(e) }), true);
                    });
                });
                found.on("change", function() {
                    if (found.val()) { input.val(found.val()); load(); }
                });
                if (parseDevice(input.val())) { load(); }
            },
            resize: function(dimensions) {
                $(".oscflow-qt-tree").css("max-height", Math.max(120, dimensions.height - 110) + "px");
            }
        };
        RED.tray.show(tray);
    }

    /** The "host:port" of the osc-query (remote) node osc out types from, if one is chosen. */
    function deviceOfQuery(id) {
        var q = id && RED.nodes.node(id);
        return q && q.type === "osc-query" && q.mode === "remote" && typeof q.remote === "string" ? q.remote : "";
    }

    /**
     * osc out: a button beside the Address opening the tree; the picked address fills the Address, and the type
     * the device declares is shown as the msg.types to send (or left to "Types: from device").
     */
    function outDialog() {
        var address = $("#node-input-address");
        if (!address.length || address.data("oscflow-qt")) { return; }
        address.data("oscflow-qt", true);
        var button = $("<button/>", { type: "button", "class": "red-ui-button oscflow-qt-button", title: t("button-title") })
            .css({ "margin-left": "4px" })
            .append($("<i/>", { "class": "fa fa-sitemap" }))
            .insertAfter(address);
        address.css("width", "calc(70% - 40px)");
        var hint = $("<div/>", { "class": "form-tips oscflow-qt-hint" }).hide().insertAfter(address.closest(".form-row"));
        // Without the osc-query node type (an older editor cache, a partial install) there is nothing to choose:
        // the field would be a bare text box for an id.
        if (!RED.nodes.getType("osc-query")) { $(".oscflow-qt-query").remove(); }
        function toggleQuery() { $(".oscflow-qt-query").toggle($("#node-input-typesFrom").val() === "device"); }
        $("#node-input-typesFrom").on("change", toggleQuery);
        toggleQuery();
        button.on("click", function() {
            var typesFromDevice = $("#node-input-typesFrom").val() === "device";
            open({
                multiple: false,
                device: typesFromDevice ? deviceOfQuery($("#node-input-query").val()) : "",
                onPick: function(list) {
                    var e = list[0];
                    address.val(e.address).trigger("change");
                    var hintText = typesHint(e);
                    if (hintText) {
                        hint.empty()
                            .append($("<span/>").text(t("hint", { address: e.address })))
                            .append(" ")
                            .append($("<code/>", { "class": "oscflow-qt-types" }).text('msg.types = "' + hintText + '"'))
                            .show();
                    } else { hint.hide(); }
                }
            });
        });
    }

    /** osc route: a button under the rules; each picked address becomes a rule (addRule(pattern)). */
    function routeDialog(node, addRule) {
        var list = $("#node-input-rule-container");
        if (!list.length || list.data("oscflow-qt")) { return; }
        list.data("oscflow-qt", true);
        var row = list.closest(".form-row");
        var button = $("<button/>", { type: "button", "class": "red-ui-button oscflow-qt-button" })
            .append($("<i/>", { "class": "fa fa-sitemap" }))
            .append(" ")
            .append($("<span/>").text(t("route-button")));
        $("<div/>", { "class": "form-row oscflow-qt-row" }).append(button).insertAfter(row);
        button.on("click", function() {
            open({
                multiple: true,
                onPick: function(picked) {
                    // A dialog's one empty rule (a new node's) would stay invalid beside the picked ones.
                    list.editableList("items").each(function() {
                        if (!String($(this).find(".node-input-rule-pattern").val() || "").trim()) { list.editableList("removeItem", $(this).data("data")); }
                    });
                    picked.forEach(function(e) { addRule(e.address); });
                }
            });
        });
    }

    /** Validation of osc out's `query`: needed only with Types: from device. */
    function validQuery(typesFrom, id) {
        if (typesFrom !== "device") { return true; }
        var q = id && id !== "_ADD_" ? RED.nodes.node(id) : null;
        return !!q && q.type === "osc-query";
    }

    global.OscQueryTree = { open: open, outDialog: outDialog, routeDialog: routeDialog, validQuery: validQuery, parseDevice: parseDevice };
})(window);
