"""Runs the local AWS: `python -m ferrops_local --port 5000 [--tls-port 5443] [--state-dir DIR]`.

It serves moto's API and its `/moto-api/` (`POST /moto-api/reset` clears every service's state,
the additions' included), and the control API under `/_ferrops/` (control/responses.py).
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import ssl
import threading
import sys
from pathlib import Path

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import ThreadedWSGIServer, make_server
from werkzeug.wrappers import Request

from . import install
from .access.middleware import refusal
from .control import responses as control
from .control.models import control_backend
from .awslambda import FUNCTIONS
from .core import strict, tls
from .core.settings import SETTINGS


log = logging.getLogger("ferrops_local")


class TlsServer(ThreadedWSGIServer):
    """HTTPS with each TLS handshake on its request's own thread, bounded in time.

    werkzeug wraps the listening socket instead, so every handshake runs inside `accept` on the
    one serving thread: a client that connects and says nothing would stall every HTTPS caller."""

    HANDSHAKE_SECONDS = 10

    def __init__(self, host: str, port: int, app: App, context: ssl.SSLContext) -> None:
        super().__init__(host, port, app, handler=MotoRequestHandler)
        self.tls = context
        # What werkzeug reads to give requests the https scheme; the socket stays plain here.
        self.ssl_context = context

    def finish_request(self, request, client_address):  # type: ignore[no-untyped-def]
        # A response leaves as several small TLS records; with Nagle's algorithm each waits for
        # the client's delayed ACK, about 40 ms a call.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request.settimeout(self.HANDSHAKE_SECONDS)
        conn = self.tls.wrap_socket(request, server_side=True)
        conn.settimeout(None)
        super().finish_request(conn, client_address)


class App:
    def __init__(self) -> None:
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO", "").startswith(control.PREFIX + "/"):
            return control.handle(Request(environ))(environ, start_response)
        control_backend().record(environ)
        refused = refusal(environ)
        if refused is not None:
            status, headers, body = refused
            log.warning("refused: %s", body.decode(errors="replace"))
            start_response(f"{status} {'Bad Request' if status == 400 else 'Forbidden'}",
                           list(headers.items()) + [("Content-Length", str(len(body)))])
            return [body]
        refused = strict.violation(environ)
        if refused is not None:
            return strict.answer(refused, start_response)
        return self.moto(environ, start_response)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="ferrops_local", description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls-port", type=int, help="also serve HTTPS here, with a certificate from a CA "
                    "made at start (STATE_DIR/tls/ca.pem); functions and commands then use HTTPS")
    ap.add_argument("--state-dir", type=Path, default=Path("target/local-aws"))
    ap.add_argument("--visibility-delay", type=float, default=1.0)
    ap.add_argument("--continuation-delay", type=float, default=1.0)
    ap.add_argument("--job-timeout", type=float, default=20 * 60.0)
    args = ap.parse_args(argv)

    SETTINGS.state_dir = args.state_dir
    FUNCTIONS.state_dir = args.state_dir.resolve()
    SETTINGS.endpoint_url = f"http://{args.host}:{args.port}"
    context = None
    if args.tls_port:
        ca, cert, key = tls.make(args.state_dir.resolve() / "tls", args.host)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        SETTINGS.endpoint_url = f"https://{args.host}:{args.tls_port}"
        SETTINGS.ca_bundle = str(ca)
    SETTINGS.visibility_delay = args.visibility_delay
    SETTINGS.continuation_delay = args.continuation_delay
    SETTINGS.job_timeout = args.job_timeout
    args.state_dir.mkdir(parents=True, exist_ok=True)

    # A plain SIGTERM would skip atexit, which ends the functions' processes.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = App()
    servers = [make_server(args.host, args.port, app, threaded=True, request_handler=MotoRequestHandler)]
    if context is not None:
        servers.append(TlsServer(args.host, args.tls_port, app, context))
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"ferrops local AWS on http://{args.host}:{args.port}"
          + (f" and {SETTINGS.endpoint_url}" if context else ""), file=sys.stderr, flush=True)
    servers[0].serve_forever()
