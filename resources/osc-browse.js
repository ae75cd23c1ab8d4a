// The Browse button beside a Host and Port (osc out, osc request, osc tcp as a client): a list of the OSC services
// that DNS-SD (mDNS) finds on the network, filled while the dialog is open, from the runtime's GET osc/services
// (src/nodes/services.ts; the runtime browses only while someone asks). Picking one fills Host and Port.
// Node-RED serves this folder at resources/@oscflow/node-red-osc/; a dialog loads it with a <script src>.
//
// Host: the service's first IPv4 address, else its .local host name. An address works wherever the runtime runs;
// a .local name needs the system's mDNS resolver (nss-mdns, Avahi), which servers and containers often lack. The
// list shows the host name too, for a device whose address the DHCP server changes.
(function(global) {
    "use strict";

    var POLL_MS = 1000;
    var TYPE_LABEL = { "_osc._udp": "UDP", "_osc._tcp": "TCP", "_oscjson._tcp": "OSCQuery" };

    function t(key, fallback) {
        var RED = global.RED;
        var full = "@oscflow/node-red-osc/osc-out:osc-out.browse." + key;
        var s = RED && RED._ ? RED._(full) : full;
        return s && s !== full && s !== "osc-out.browse." + key ? s : fallback;
    }

    /** The services found now, of these types: a Promise of [{ name, type, host, addresses, port, txt }]. */
    function list(types) {
        var q = types && types.length ? "?type=" + encodeURIComponent(types.join(",")) : "";
        return new global.Promise(function(resolve, reject) {
            global.$.ajax({ url: "osc/services" + q, dataType: "json", cache: false })
                .done(function(data) { resolve(Array.isArray(data) ? data : []); })
                .fail(function(xhr) { reject(new Error((xhr && xhr.responseJSON && xhr.responseJSON.error) || (xhr && xhr.statusText) || "request failed")); });
        });
    }

    function isIPv4(a) { return /^\d{1,3}(\.\d{1,3}){3}$/.test(a); }

    /** What goes into Host: an IPv4 address, else the host name (without its final dot), else any address. */
    function hostOf(s) {
        var addrs = s.addresses || [];
        for (var i = 0; i < addrs.length; i++) { if (isIPv4(addrs[i])) { return addrs[i]; } }
        if (s.host) { return String(s.host).replace(/\.$/, ""); }
        return addrs[0] || "";
    }

    function sameList(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

    /**
     * Adds a Browse button and its list in a row under the Host and Port fields.
     * opts: { host: selector, port: selector, types: [service types], pick: function(service) (optional; by
     * default fills Host and Port; an OSCQuery entry's port is its HTTP server's, so only Host is filled) }.
     */
    function attach(opts) {
        var $ = global.$;
        var host = $(opts.host);
        var port = $(opts.port);
        if (!host.length || !port.length) { return; }
        var fields = port.closest(".form-row");
        // A row of its own under Host and Port, with their row's classes: shown and hidden with it (a transport,
        // a mode that has no Host).
        var row = $('<div></div>').attr("class", fields.attr("class")).addClass("oscflow-browse-row").insertAfter(fields);
        $("<label>&nbsp;</label>").appendTo(row);
        var button = $('<button type="button" class="red-ui-button red-ui-button-small oscflow-browse-button"></button>')
            .append($('<i class="fa fa-search"></i>'))
            .append(document.createTextNode(" " + t("button", "Browse")))
            .appendTo(row);
        var panel = $('<div class="oscflow-browse" style="margin: 6px 0 0 104px; display: none;"></div>').appendTo(row);
        var state = $('<div class="oscflow-browse-state" style="font-size: 0.9em; opacity: 0.8;"></div>').appendTo(panel);
        var ul = $('<ul class="oscflow-browse-list" style="list-style: none; margin: 4px 0 0 0; padding: 0; max-height: 180px; overflow-y: auto; border: 1px solid var(--red-ui-secondary-border-color, #ccc); border-radius: 2px;"></ul>')
            .appendTo(panel);
        var timer = null;
        var shown = null;

        function pick(s) {
            if (typeof opts.pick === "function") { opts.pick(s); return; }
            host.val(hostOf(s)).trigger("change");
            if (s.type !== "_oscjson._tcp") { port.val(String(s.port)).trigger("change"); }
            stop();
        }

        function render(services) {
            if (shown !== null && sameList(services, shown)) { return; }
            shown = services;
            ul.empty();
            state.text(services.length ? t("pick", "Pick a service to fill Host and Port:") : t("searching", "Searching the network…"));
            services.forEach(function(s) {
                var li = $('<li class="oscflow-browse-item" style="padding: 3px 6px; cursor: pointer;"></li>')
                    .attr("data-name", s.name).attr("data-type", s.type)
                    .attr("title", (s.addresses || []).join(", "));
                $("<b></b>").text(s.name).appendTo(li);
                $('<span style="opacity: 0.75;"></span>')
                    .text(" · " + (TYPE_LABEL[s.type] || s.type) + " · " + String(s.host || "").replace(/\.$/, "") +
                        ((s.addresses || []).length ? " (" + s.addresses.join(", ") + ")" : "") + " : " + s.port)
                    .appendTo(li);
                li.on("mouseenter", function() { li.css("background", "var(--red-ui-secondary-background-hover, #eee)"); })
                    .on("mouseleave", function() { li.css("background", ""); })
                    .on("click", function(e) { e.preventDefault(); pick(s); });
                ul.append(li);
            });
            ul.toggle(services.length > 0);
        }

        function poll() {
            timer = null;
            // The dialog was closed: its fields are gone from the page, and so is the reason to ask.
            if (!$.contains(document.documentElement, button[0])) { return; }
            list(opts.types).then(function(services) {
                if (panel.is(":visible")) { render(services); }
            }, function(err) {
                state.text(t("failed", "Cannot browse") + ": " + err.message);
            }).then(function() {
                if (panel.is(":visible") && timer === null) { timer = setTimeout(poll, POLL_MS); }
            });
        }

        function stop() {
            if (timer !== null) { clearTimeout(timer); timer = null; }
            panel.hide();
            button.removeClass("selected");
        }

        button.on("click", function(e) {
            e.preventDefault();
            if (panel.is(":visible")) { stop(); return; }
            shown = null;
            ul.empty().hide();
            state.text(t("searching", "Searching the network…"));
            panel.show();
            button.addClass("selected");
            if (timer === null) { poll(); }
        });
    }

    global.OscBrowse = { list: list, attach: attach, hostOf: hostOf };
})(this);
