"""The local AWS over HTTPS: a certificate its own CA signed for 127.0.0.1, and handshakes that
cannot stall other callers."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.parse
import urllib.request

import boto3


def test_the_https_endpoint_is_trusted_through_its_ca_alone(local):
    ca = local.state / "tls" / "ca.pem"
    trusted = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(f"{local.tls_endpoint}/_ferrops/health", context=trusted, timeout=10) as res:
        assert res.status == 200
    stranger = ssl.create_default_context(cafile=str(local.state / "tls" / "cert.pem"))
    try:
        urllib.request.urlopen(f"{local.tls_endpoint}/_ferrops/health", context=stranger, timeout=10)
    except urllib.error.URLError as e:
        assert isinstance(e.reason, ssl.SSLCertVerificationError), e
    else:
        raise AssertionError("a client that does not trust the CA was answered")
    sts = boto3.client("sts", endpoint_url=local.tls_endpoint, region_name="us-east-1", verify=str(ca),
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_the_bundle_adds_the_ca_to_the_public_roots(local):
    bundle = (local.state / "tls" / "bundle.pem").read_text()
    ca = (local.state / "tls" / "ca.pem").read_text()
    assert bundle.endswith(ca)
    assert bundle.count("BEGIN CERTIFICATE") > 1, "public roots come first"


def test_a_client_that_never_shakes_hands_does_not_stall_the_others(local):
    address = urllib.parse.urlsplit(local.tls_endpoint)
    silent = socket.create_connection((address.hostname, address.port))
    try:
        trusted = ssl.create_default_context(cafile=str(local.state / "tls" / "ca.pem"))
        began = time.monotonic()
        with urllib.request.urlopen(f"{local.tls_endpoint}/_ferrops/health", context=trusted, timeout=5) as res:
            assert res.status == 200
        assert time.monotonic() - began < 5
    finally:
        silent.close()
