"""lib.sh's helpers for running a local stage.

  free-port                 prints a free TCP port on 127.0.0.1
  wait-http URL SECONDS     waits until URL answers with success
  wait-tcp URL SECONDS      waits until URL's host and port accept a connection
  reset ENDPOINT            clears the local AWS's state (moto's reset, the additions' included)
"""

from __future__ import annotations

import argparse
import http.client
import socket
import sys
import time
import urllib.parse
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(until, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            until()
            return True
        except (OSError, http.client.HTTPException):  # not up yet, or half up
            time.sleep(0.2)
    return False


def http_ok(url: str) -> None:
    urllib.request.urlopen(url, timeout=1).close()


def tcp_open(url: str) -> None:
    parsed = urllib.parse.urlsplit(url)
    socket.create_connection((parsed.hostname, parsed.port), timeout=1).close()


def reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=60).close()


def main() -> None:
    ap = argparse.ArgumentParser(prog="local", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("free-port")
    for name in ("wait-http", "wait-tcp"):
        p = sub.add_parser(name)
        p.add_argument("url")
        p.add_argument("seconds", type=float)
    sub.add_parser("reset").add_argument("endpoint")
    args = ap.parse_args()
    if args.command == "free-port":
        print(free_port())
    elif args.command in ("wait-http", "wait-tcp"):
        check = http_ok if args.command == "wait-http" else tcp_open
        sys.exit(0 if wait(lambda: check(args.url), args.seconds) else 1)
    else:
        reset(args.endpoint)


if __name__ == "__main__":
    main()
