#!/usr/bin/python3
# An independent DNS-SD peer for the discovery tests: Debian's python3-zeroconf on the loopback.
#   zeroconf-node-peer.py browse <type>                          one JSON line per service added, updated or removed
#   zeroconf-node-peer.py register <type> <name> <port> [k=v...] registers until stdin closes, then unregisters
# <type> as "_osc._udp". Prints {"event": "ready"} once listening or registered.
import json
import socket
import sys

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceStateChange, Zeroconf


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    mode, stype = sys.argv[1], sys.argv[2] + ".local."
    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        if mode == "browse":

            def changed(zeroconf, service_type, name, state_change):
                if state_change is ServiceStateChange.Removed:
                    out({"event": "removed", "name": name})
                    return
                info = zeroconf.get_service_info(service_type, name, 3000)
                if info is None:
                    out({"event": "unresolved", "name": name})
                    return
                out(
                    {
                        "event": "added" if state_change is ServiceStateChange.Added else "updated",
                        "name": name,
                        "port": info.port,
                        "server": info.server,
                        "addresses": info.parsed_addresses(),
                        "txt": {k.decode(): (v.decode() if v is not None else None) for k, v in info.properties.items()},
                    }
                )

            ServiceBrowser(zc, stype, handlers=[changed])
            out({"event": "ready"})
            sys.stdin.read()
        else:
            name, port = sys.argv[3], int(sys.argv[4])
            txt = dict(kv.split("=", 1) for kv in sys.argv[5:])
            info = ServiceInfo(
                stype,
                name + "." + stype,
                addresses=[socket.inet_aton("127.0.0.1")],
                port=port,
                properties=txt,
                server="zeroconf-peer.local.",
            )
            zc.register_service(info)
            out({"event": "ready", "name": info.name})
            sys.stdin.read()
            zc.unregister_service(info)
    finally:
        zc.close()


if __name__ == "__main__":
    main()
