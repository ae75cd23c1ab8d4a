#!/usr/bin/python3
# A device made with liblo (python3-liblo) for osc-request's interop tests. It prints its UDP port, then answers
# from that port by address:
#   /echo ...        at once, on the same address, with the same arguments
#   /slow ms ...     after ms milliseconds, on /slow
#   /twice ...       twice, on /twice
#   /never ...       never (counted)
#   /ooo name        held until a second /ooo arrives, then both answered on /ooo, newest first
#   /count           answers /count with how many /never it has received
# It stops when its stdin closes.
import os
import sys
import threading
import liblo

server = liblo.Server(None, liblo.UDP)  # a free port
lock = threading.Lock()
held = []
never = [0]


def send(target, path, args):
    with lock:
        server.send(target, liblo.Message(path, *args))


def handler(path, args, types, src):
    typed = list(zip(types, args))
    if path == '/echo':
        send(src, path, typed)
    elif path == '/slow':
        threading.Timer(args[0] / 1000.0, send, (src, path, typed)).start()
    elif path == '/twice':
        send(src, path, typed)
        send(src, path, typed)
    elif path == '/never':
        never[0] += 1
    elif path == '/ooo':
        held.append(typed)
        if len(held) == 2:
            for a in reversed(held):
                send(src, path, a)
            del held[:]
    elif path == '/count':
        send(src, path, [('i', never[0])])


server.add_method(None, None, handler)
print(server.port, flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
while True:
    server.recv(50)
