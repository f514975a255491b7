"""lib.sh's helpers for running a local stage.

  free-port [N]             prints N (default 1) distinct free TCP ports on 127.0.0.1
  wait-http URL SECONDS     waits until URL answers with success
  reset ENDPOINT            clears the local AWS's state (moto's reset, the additions' included)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import socket
import sys
import time
import urllib.request


def free_ports(count: int) -> list[int]:
    """`count` ports free now; all are held open until all are chosen, so none repeats."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


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


def reset(endpoint: str) -> None:
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=60).close()


def main() -> None:
    ap = argparse.ArgumentParser(prog="local", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("free-port").add_argument("count", type=int, nargs="?", default=1)
    p = sub.add_parser("wait-http")
    p.add_argument("url")
    p.add_argument("seconds", type=float)
    sub.add_parser("reset").add_argument("endpoint")
    args = ap.parse_args()
    if args.command == "free-port":
        print(" ".join(str(p) for p in free_ports(args.count)))
    elif args.command == "wait-http":
        sys.exit(0 if wait(lambda: http_ok(args.url), args.seconds) else 1)
    else:
        reset(args.endpoint)


if __name__ == "__main__":
    main()
