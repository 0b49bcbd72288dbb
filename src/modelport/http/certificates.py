"""The local certificate authority of the HTTPS proxy, and the leaf certificates it issues.

On the first start the server creates a CA in ``<data dir>/ca/``: ``modelport-ca.pem`` (the
certificate, public: ``AWS_CA_BUNDLE`` points at it) and ``modelport-ca.key`` (its private key,
mode 0600, never served, never printed). Later starts load the same pair, so a trust set up once
(an exported ``AWS_CA_BUNDLE``) survives restarts.

Leaf certificates are issued on demand, one per host name a client asks the proxy for, and kept
for the life of the process (files under ``ca/leaves/``, since :mod:`ssl` loads certificates
from files only). All leaves share one key made at each start. Everything is built with the
``cryptography`` library: no ASN.1 by hand.
"""

from __future__ import annotations

import datetime
import os
import shutil
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from modelport.core.transparent import CA_FOLDER, ca_bundle_path, ca_key_path

CA_NAME = "modelport local CA"
CA_LIFETIME = datetime.timedelta(days=3650)
LEAF_LIFETIME = datetime.timedelta(days=365)
BACKDATE = datetime.timedelta(days=1)  # a client whose clock is a little behind still accepts
MAX_LEAVES = 1024  # distinct host names per process; beyond it the oldest contexts are dropped


class CertificateAuthority:
    """The CA of one data folder: loaded (or created) once, then issues TLS contexts per host."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / CA_FOLDER
        self.cert_path, self.key_path = ca_bundle_path(data_dir), ca_key_path(data_dir)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        self.key, self.certificate = self._load_or_create()
        self._leaves = self.folder / "leaves"
        shutil.rmtree(self._leaves, ignore_errors=True)
        self._leaves.mkdir(mode=0o700)
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._leaf_key_path = self._leaves / "leaf.key"
        _write_secret(
            self._leaf_key_path,
            self._leaf_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @property
    def fingerprint(self) -> str:
        return self.certificate.fingerprint(hashes.SHA256()).hex()

    def server_context(self, host: str) -> ssl.SSLContext:
        """A server-side TLS context presenting a leaf certificate for ``host`` (cached)."""
        host = host.lower()
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = self._issue(host)
                if len(self._contexts) >= MAX_LEAVES:
                    self._contexts.pop(next(iter(self._contexts)))
                self._contexts[host] = context
            return context

    def _issue(self, host: str) -> ssl.SSLContext:
        now = datetime.datetime.now(datetime.UTC)
        ca_public = self.key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(self.certificate.subject)
            .public_key(self._leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(min(now + LEAF_LIFETIME, self.certificate.not_valid_after_utc))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self._leaf_key.public_key()), critical=False
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_public), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        path = self._leaves / f"{host}.pem"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(path, self._leaf_key_path)
        return context

    def _load_or_create(self) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        if self.key_path.is_file() and self.cert_path.is_file():
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError(f"{self.key_path} is not the EC key modelport writes; delete the ca folder")
            os.chmod(self.key_path, 0o600)
            return key, x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "modelport"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{CA_NAME} {os.urandom(4).hex()}"),
            ]
        )
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - BACKDATE)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        # The key first: a certificate without its key on disk would be replaced next start.
        _write_secret(
            self.key_path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        temporary = self.cert_path.with_suffix(".tmp")
        temporary.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        os.replace(temporary, self.cert_path)
        return key, certificate


def _write_secret(path: Path, data: bytes) -> None:
    """Write ``data`` to a file that is mode 0600 from its first byte."""
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)
