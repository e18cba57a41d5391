#!/usr/bin/env python3
"""Holds N slow connections open against HOST:PORT until killed (a slowloris mix for
bench/http.sh): a third trickle a request head one byte a second, a third send nothing, a
third announce a 100 kB upload and trickle its body. Whatever the server closes is reopened,
so N stay connected (or connecting) the whole time."""
import select
import socket
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
HEAD = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
BODY = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; "
        b"boundary=B\r\nContent-Length: 100000\r\n\r\n--B\r\n")


def open_one(kind):
    s = socket.socket()
    s.setblocking(False)
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    return [s, kind, False]


conns = [open_one(i % 3) for i in range(count)]
reopened = 0
while True:
    start = time.time()
    for c in conns:
        s, kind, started = c
        try:
            if kind == 0:
                s.send(b"a" if started else HEAD)
            elif kind == 2:
                s.send(b"b" if started else BODY)
            c[2] = True
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            c[2] = None  # closed by the server
    readable, _, _ = select.select([c[0] for c in conns], [], [], 0)
    for c in conns:
        if c[2] is None or c[0] in readable:
            try:
                if c[2] is None or not c[0].recv(65536):
                    raise OSError
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                c[0].close()
                c[:] = open_one(c[1])
                reopened += 1
    time.sleep(max(0.0, 1.0 - (time.time() - start)))
