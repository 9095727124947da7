"""Replays pip's requests for an install through a pull-through index and times the
server's share alone. Used by bench-pullthrough.sh.

    python3 pullthrough-replay.py BASE_URL ROUNDS PACKAGE...

For each package it asks for the project page as pip does (PEP 691 JSON preferred, gzip
accepted), then the newest file's PEP 658 metadata file and the file itself, over one
keep-alive connection (pip's session). A first round fills a cold proxy; the next ROUNDS
are timed. It prints one line: "<cold ms> <fastest warm round in ms> <median warm request in
ms> <requests>", the cold time being the first round's (pages, then their files), on a
fresh proxy.
"""
import gzip
import http.client
import json
import statistics
import sys
import time
from urllib.parse import urljoin, urlsplit

ACCEPT = ("application/vnd.pypi.simple.v1+json, "
          "application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01")


def main():
    base, rounds, packages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    u = urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)

    def get(path):
        conn.request("GET", path, headers={"Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise SystemExit(f"GET {path}: status {resp.status}")
        if resp.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        return resp, body

    def local(url):
        s = urlsplit(url)
        return s.path + ("?" + s.query if s.query else "")

    cold = time.perf_counter()
    paths = []
    for name in packages:
        page = u.path + name + "/"
        resp, body = get(page)
        if "json" not in (resp.getheader("Content-Type") or ""):
            raise SystemExit(f"{page}: no PEP 691 JSON ({resp.getheader('Content-Type')})")
        newest = json.loads(body)["files"][-1]
        file_url = urljoin(base + name + "/", newest["url"])
        paths += [page, local(file_url) + ".metadata", local(file_url)]
    for p in paths[1::3] + paths[2::3]:  # the cold round goes on: every metadata file and file pulled
        get(p)
    cold = time.perf_counter() - cold
    fastest, each = None, []
    for _ in range(rounds):
        start = time.perf_counter()
        for p in paths:
            t = time.perf_counter()
            get(p)
            each.append(time.perf_counter() - t)
        took = time.perf_counter() - start
        fastest = took if fastest is None else min(fastest, took)
    print(f"{cold * 1000:.1f} {fastest * 1000:.1f} {statistics.median(each) * 1000:.3f} {len(paths)}")


if __name__ == "__main__":
    main()
