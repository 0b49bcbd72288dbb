"""The transparent-endpoint environment: ``HTTPS_PROXY`` and ``AWS_CA_BUNDLE`` for modelport's proxy.

Code that hard-codes AWS host names reaches modelport when its process has these variables: the
proxy (``HTTPS_PROXY``) answers for ``*.amazonaws.com`` with certificates of modelport's local CA,
which only ``AWS_CA_BUNDLE`` makes trusted (never the system's trust store). ``NO_PROXY`` keeps
loopback traffic (modelport's plain port, container credentials, the embedded S3) direct.

:func:`transparent_environment` is the one place that builds them: ``modelport env --transparent``
prints them, and the server gives them to the processes it starts (notebook kernels).
"""

from __future__ import annotations

from pathlib import Path

CA_FOLDER = "ca"  # under the data folder, mode 0700
CA_CERT_FILE = "modelport-ca.pem"  # public: what AWS_CA_BUNDLE names
CA_KEY_FILE = "modelport-ca.key"  # secret: mode 0600, never served
NO_PROXY = "127.0.0.1,localhost,::1"


def ca_bundle_path(data_dir: Path) -> Path:
    """The CA certificate (PEM) of the server whose data folder is ``data_dir``."""
    return data_dir / CA_FOLDER / CA_CERT_FILE


def ca_key_path(data_dir: Path) -> Path:
    return data_dir / CA_FOLDER / CA_KEY_FILE


def proxy_url(port: int) -> str:
    """The proxy always listens on loopback."""
    return f"http://127.0.0.1:{port}"


def s3_front_url(port: int) -> str:
    """The S3 front (S3 with modelport's keys and IAM) always listens on loopback too."""
    return f"http://127.0.0.1:{port}"


def transparent_environment(proxy: str, ca_bundle: Path | str) -> dict[str, str]:
    """The variables that send an AWS SDK's HTTPS calls to AWS host names through the proxy.

    ``proxy`` is the proxy's URL (``server.json``'s ``proxy_url``, or ``proxy_url(settings.proxy_port)``
    in the server), ``ca_bundle`` the CA certificate (``ca_bundle_path(data_dir)``). Both spellings of
    the proxy variables are set: some tools read only the lower-case ones.
    """
    return {
        "HTTPS_PROXY": proxy,
        "https_proxy": proxy,
        "NO_PROXY": NO_PROXY,
        "no_proxy": NO_PROXY,
        "AWS_CA_BUNDLE": str(ca_bundle),
    }
