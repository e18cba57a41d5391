#!/usr/bin/env python3
"""Face logins over HTTP for bench/replicas.sh: CONNS client threads POST the photo in FACE to
/api/v1/auth/login for SECS seconds, spreading the requests over the given base URLs in turn
(each thread's k-th request goes to URL (thread + k) mod len(URLS): the client is the load
balancer). One keep-alive connection per thread and URL, each used every other request, so
none sits idle long enough for the server to close it (5 s). Prints one line: logins/s, p50 and p99 in ms, ok, failed, and
what the failures were (status or exception: count, or "-").

Usage: replicas_client.py FACE SECS CONNS URL [URL ...]"""
import collections
import http.client
import sys
import threading
import time
import urllib.parse

face_path, secs, conns, urls = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
with open(face_path, "rb") as f:
    photo = f.read()
BOUNDARY = "faceidbenchboundary"
BODY = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"face_image\"; "
        f"filename=\"face.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode() + photo + \
    f"\r\n--{BOUNDARY}--\r\n".encode()
HEADERS = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
targets = [urllib.parse.urlsplit(u) for u in urls]
lock = threading.Lock()
latencies, failures = [], collections.Counter()


def worker(number, deadline):
    clients = [http.client.HTTPConnection(t.hostname, t.port, timeout=30) for t in targets]
    mine, bad = [], collections.Counter()
    k = number
    while time.monotonic() < deadline:
        i = k % len(clients)
        k += 1
        start = time.monotonic()
        try:
            clients[i].request("POST", "/api/v1/auth/login", BODY, HEADERS)
            resp = clients[i].getresponse()
            resp.read()
            outcome = resp.status
        except (OSError, http.client.HTTPException) as e:
            clients[i].close()  # reconnects on the next request
            outcome = type(e).__name__
        if outcome == 200:
            mine.append(time.monotonic() - start)
        else:
            bad[outcome] += 1
    with lock:
        latencies.extend(mine)
        failures.update(bad)


start = time.monotonic()
threads = [threading.Thread(target=worker, args=(n, start + secs)) for n in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start
latencies.sort()


def pct(p):
    return 1000 * latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] \
        if latencies else float("nan")


kinds = ",".join(f"{k}:{n}" for k, n in failures.items()) or "-"
print(f"{len(latencies) / elapsed:.2f} {pct(50):.1f} {pct(99):.1f} {len(latencies)} "
      f"{sum(failures.values())} {kinds}")
