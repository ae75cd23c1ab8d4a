#!/usr/bin/python3
# An independent mDNS / DNS-SD peer for the discovery tests: Debian's python3-zeroconf. Usage:
#   zeroconf-peer.py [interfaces]      interfaces: 'lo' (127.0.0.1 only), 'all', or one IPv4 address
# Reads commands as JSON lines on stdin, writes events as JSON lines on stdout:
#   {"cmd": "browse", "type": "_osc._udp"}           -> {"event": "browsing", "type"} once it browses, then
#                                                        {"event": "add"|"update", "name", "type", "port", "txt",
#                                                        "addresses", "server"}, {"event": "remove", "name", "type"}
#   {"cmd": "register", "name", "type", "port", "txt", "address", "rename": false}
#                                                     -> {"event": "registered", "name"} or
#                                                        {"event": "conflict"|"error", "name"}
#   {"cmd": "unregister", "name", "type"}             -> {"event": "unregistered", "name"}
# Prints {"event": "ready"} once listening; stops when stdin closes (registered services say goodbye).
import json
import socket
import sys
import threading

from zeroconf import NonUniqueNameException, ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

arg = sys.argv[1] if len(sys.argv) > 1 else 'lo'
interfaces = ['127.0.0.1'] if arg == 'lo' else (None if arg == 'all' else [arg])
zc = Zeroconf(interfaces=interfaces) if interfaces else Zeroconf()
lock = threading.Lock()
registered = {}
browsers = []


def out(**event):
    with lock:
        sys.stdout.write(json.dumps(event) + '\n')
        sys.stdout.flush()


def short(t):
    return t[: -len('.local.')] if t.endswith('.local.') else t


def instance(full, t):
    return full[: -len(t) - 1] if full.endswith('.' + t) else full


class Listener(ServiceListener):
    def _info(self, kind, t, name):
        info = zc.get_service_info(t, name, timeout=3000)
        if info is None:
            out(event=kind, name=instance(name, t), type=short(t), port=None)
            return
        txt = {k.decode(): (v.decode() if v is not None else '') for k, v in (info.properties or {}).items()}
        out(
            event=kind,
            name=instance(name, t),
            type=short(t),
            port=info.port,
            txt=txt,
            addresses=info.parsed_addresses(),
            server=info.server,
        )

    def add_service(self, zc_, t, name):
        self._info('add', t, name)

    def update_service(self, zc_, t, name):
        self._info('update', t, name)

    def remove_service(self, zc_, t, name):
        out(event='remove', name=instance(name, t), type=short(t))


def register(c):
    t = c['type'] + '.local.'
    try:
        info = ServiceInfo(
            t,
            c['name'] + '.' + t,
            addresses=[socket.inet_aton(c.get('address', '127.0.0.1'))],
            port=c['port'],
            properties=c.get('txt', {}),
            server=c.get('server', 'zeroconf-peer.local.'),
        )
        zc.register_service(info, allow_name_change=c.get('rename', False))
    except NonUniqueNameException:
        out(event='conflict', name=c['name'])
        return
    except Exception as e:  # a thread's exception would be lost: the test waiting for the outcome must hear it
        out(event='error', name=c['name'], message=repr(e))
        return
    registered[(c['name'], c['type'])] = info
    out(event='registered', name=instance(info.name, t))


def unregister(c):
    info = registered.pop((c['name'], c['type']), None)
    if info is not None:
        zc.unregister_service(info)
    out(event='unregistered', name=c['name'])


out(event='ready')
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    c = json.loads(line)
    if c['cmd'] == 'browse':
        browsers.append(ServiceBrowser(zc, c['type'] + '.local.', Listener()))
        out(event='browsing', type=c['type'])
    elif c['cmd'] == 'register':
        threading.Thread(target=register, args=(c,), daemon=True).start()
    elif c['cmd'] == 'unregister':
        threading.Thread(target=unregister, args=(c,), daemon=True).start()
zc.close()
