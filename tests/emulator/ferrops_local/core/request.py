"""What the checks in front of moto (access/, core/strict.py) read of a raw request.

They read the body before moto does, so they put it back for moto; a body whose length cannot be
read is treated as empty and left to moto to refuse."""

from __future__ import annotations

import io
import re

# The SigV4 credential scope: access key, date, region, service.
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")


def body(environ: dict) -> bytes:
    """The request's body, left readable for moto."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        data = stream.read(length)
    elif environ.get("wsgi.input_terminated"):
        data = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data
