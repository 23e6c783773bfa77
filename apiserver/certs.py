"""The apiserver's TLS identity: a cluster CA and a serving certificate signed by it.

Pods reach the apiserver as ``https://kubernetes.default.svc`` (10.96.0.1:443 -> the
node's address, port 6443), and the demo's nodes over their network; both need a
certificate for those names. Without ``--tls-cert-file`` the apiserver makes a CA and a
serving certificate in ``--cert-dir`` on first start and reuses them afterwards,
re-issuing the serving certificate when the names it must cover change.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["ServingCert", "ensure_serving_cert"]

_DNS_NAMES = ("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
              "kubernetes.default.svc.cluster.local")
_YEARS = 10


@dataclass(frozen=True)
class ServingCert:
    ca_file: Path
    cert_file: Path
    key_file: Path


def ensure_serving_cert(cert_dir: Path, ips: list[str]) -> ServingCert:
    """The CA and serving certificate in ``cert_dir`` (made if missing or stale)."""
    cert_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    paths = ServingCert(cert_dir / "ca.crt", cert_dir / "apiserver.crt", cert_dir / "apiserver.key")
    if not paths.ca_file.exists():
        _write_ca(cert_dir)
    wanted: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = {ipaddress.ip_address(ip) for ip in ips}
    if not paths.cert_file.exists() or not wanted <= _covered_ips(paths.cert_file):
        _issue(cert_dir, paths, sorted(wanted, key=str))
    return paths


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def _write_ca(cert_dir: Path) -> None:
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "skiff-ca")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * _YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(cert_dir / "ca.key", key)
    (cert_dir / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _issue(cert_dir: Path, paths: ServingCert,
           ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> None:
    ca_key = serialization.load_pem_private_key((cert_dir / "ca.key").read_bytes(), None)
    ca = x509.load_pem_x509_certificate(paths.ca_file.read_bytes())
    key = _key()
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in _DNS_NAMES]
    names += [x509.IPAddress(ip) for ip in ips]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * _YEARS))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _write_key(paths.key_file, key)
    paths.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _covered_ips(cert_file: Path) -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {ip for ip in san.get_values_for_type(x509.IPAddress)
            if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)}
