"""The local AWS's TLS: a certificate authority made when it starts, and a certificate from it
for 127.0.0.1 and localhost.

Clients trust the authority through the standard variables: SSL_CERT_FILE (rustls' native roots,
so the Rust SDK and our functions) and AWS_CA_BUNDLE (botocore, the AWS CLI). Those variables
replace a client's roots rather than add to them, so a shell that also reaches the internet
(cargo and rustup fetching, pip) uses bundle.pem: the usual public roots plus this authority.
Nothing is added to the machine's trust store, and each start makes a new authority, so a stale
one cannot linger.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ferrops local AWS"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def public_roots() -> bytes:
    """The public roots this machine's clients use: certifi's (what botocore ships with), else
    the system's bundle."""
    try:
        import certifi

        return Path(certifi.where()).read_bytes()
    except (ImportError, OSError):
        cafile = ssl.get_default_verify_paths().cafile
        return Path(cafile).read_bytes() if cafile and Path(cafile).exists() else b""


def make(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path, Path]:
    """Writes ca.pem, cert.pem (for `host`, 127.0.0.1 and localhost), key.pem and bundle.pem
    (public roots plus ca.pem) into `directory`; returns the first three's paths."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=7)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("ferrops local AWS CA")
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))

    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    try:
        if ipaddress.ip_address(host) != ipaddress.ip_address("127.0.0.1"):
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        if host != "localhost":
            names.append(x509.DNSName(host))
    cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))

    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    paths[0].write_bytes(ca_pem)
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    # Created readable by its owner only, rather than narrowed after it was written.
    paths[2].unlink(missing_ok=True)
    fd = os.open(paths[2], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    (directory / "bundle.pem").write_bytes(public_roots().rstrip(b"\n") + b"\n" + ca_pem)
    return paths
