// The editor's check of OSC address patterns, shared by the nodes' .html files: Node-RED serves this folder at
// resources/@oscflow/node-red-osc/, and each .html loads it with a <script src> before its own script runs.
// One copy, so osc out's Address and osc route's rules can never disagree about what a valid pattern is.
//
// The editor cannot load our compiled matcher, so this is a port of parse() in src/osc/pattern.ts (every
// BAD_PATTERN case, at the same offset). Keep the two in step: test/editor-files.test.js runs both on the same
// patterns and addresses. A literal address is a pattern without operators, and for one the runtime's
// validateAddress and compilePattern refuse the same strings at the same offsets, so this one check also
// decides "a literal address or a pattern", which is what osc out sends.
(function(global) {
    "use strict";
    var SLASH = 47;
    function isControl(c) { return c < 0x20 || c === 0x7f; }
    function badInside(c) { return c === 91 || c === 123 || c === 42 || c === 63 || c === 32 || c === 35 || isControl(c); }
    function scanClass(p, open) {
        var j = open + 1;
        if (p.charCodeAt(j) === 33) { j++; }
        var empty = true;
        for (;;) {
            if (j >= p.length || p.charCodeAt(j) === SLASH) { return { err: { key: "unclosed-bracket", at: open } }; }
            var lo = p.codePointAt(j);
            if (lo === 93) { break; }
            if (lo === 125 || lo === 44 || badInside(lo)) { return { err: { key: "inside-bracket", at: j, c: lo } }; }
            var wl = lo > 0xffff ? 2 : 1;
            // '-' makes a range only between two members; first or last it is literal.
            if (p.charCodeAt(j + wl) === 45 && j + wl + 1 < p.length && p.charCodeAt(j + wl + 1) !== 93) {
                var hiAt = j + wl + 1;
                var hi = p.codePointAt(hiAt);
                if (hi === SLASH) { return { err: { key: "unclosed-bracket", at: open } }; }
                if (hi === 125 || hi === 44 || badInside(hi)) { return { err: { key: "inside-bracket", at: hiAt, c: hi } }; }
                if (hi < lo) { return { err: { key: "reversed", at: j, c: lo } }; }
                j = hiAt + (hi > 0xffff ? 2 : 1);
            } else {
                j += wl;
            }
            empty = false;
        }
        if (empty) { return { err: { key: "empty-bracket", at: open } }; }
        return { next: j + 1 };
    }
    function scanAlternatives(p, open) {
        var j = open + 1;
        for (;;) {
            if (j >= p.length || p.charCodeAt(j) === SLASH) { return { err: { key: "unclosed-brace", at: open } }; }
            var c = p.charCodeAt(j);
            j++;
            if (c === 125) { break; }
            if (c === 44) { continue; }
            if (c === 93 || badInside(c)) { return { err: { key: "inside-brace", at: j - 1, c: c } }; }
        }
        return { next: j };
    }
    function scanPattern(p) {
        if (typeof p !== "string" || p.length === 0 || p.charCodeAt(0) !== SLASH) { return { key: "slash", at: 0 }; }
        var i = 1;
        var gap = false;
        for (;;) {
            if (p.charCodeAt(i) === SLASH) {
                if (gap) { return { key: "triple-slash", at: i }; }
                gap = true;
                i++;
                continue;
            }
            if (i >= p.length) { return { key: gap ? "gap-end" : "empty-part", at: i }; }
            while (i < p.length && p.charCodeAt(i) !== SLASH) {
                var c = p.codePointAt(i);
                var r = null;
                if (c === 91) { r = scanClass(p, i); }
                else if (c === 123) { r = scanAlternatives(p, i); }
                else if (c === 93 || c === 125) { return { key: "unmatched", at: i, c: c }; }
                else if (c === 32 || c === 35 || c === 44 || isControl(c)) { return { key: "char", at: i, c: c }; }
                if (r) {
                    if (r.err) { return r.err; }
                    i = r.next;
                } else {
                    i += c > 0xffff ? 2 : 1;
                }
            }
            gap = false;
            if (i >= p.length) { return null; }
            i++;
        }
    }
    function describe(c) {
        if (c === undefined) { return ""; }
        if (isControl(c)) { return "U+" + ("000" + c.toString(16).toUpperCase()).slice(-4); }
        return "'" + String.fromCodePoint(c) + "'";
    }

    /**
     * null when p is a valid pattern (or literal address), else { key, at, pos, char }: key names the message
     * in the node's locale file, at is the 0-based offset the runtime reports, and pos (counted from 1, as
     * people count) and char (the character shown) are the message's __pos__ and __char__.
     */
    function checkPattern(p) {
        var e = scanPattern(p);
        return e ? { key: e.key, at: e.at, pos: e.at + 1, "char": describe(e.c) } : null;
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

    global.OscflowValidate = { checkPattern: checkPattern, badAllowEntry: badAllowEntry, wholeIn: wholeIn };
})(this);
