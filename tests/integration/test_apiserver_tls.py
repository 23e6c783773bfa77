"""The HTTPS listener: a generated CA, a certificate for the cluster's names, same API."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from cryptography import x509

from tests.fixtures.apiserver import ApiServer
from tests.fixtures.ports import free_port


def test_https_serves_the_api_with_a_certificate_for_the_kubernetes_names(
    apiserver_factory: Callable[..., ApiServer], tmp_path: Path
) -> None:
    port = free_port()
    apiserver_factory("--secure-port", str(port), "--bind-address", "127.0.0.1",
                      "--cert-dir", str(tmp_path))
    ca = tmp_path / "ca.crt"
    trust = ssl.create_default_context(cafile=str(ca))
    with httpx.Client(verify=trust, base_url=f"https://127.0.0.1:{port}") as https:
        assert https.get("/readyz").text == "ok"
        namespaces = https.get("/api/v1/namespaces").json()["items"]
        assert "default" in {n["metadata"]["name"] for n in namespaces}
    cert = x509.load_pem_x509_certificate((tmp_path / "apiserver.crt").read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in names.get_values_for_type(x509.DNSName)
    assert "10.96.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://127.0.0.1:{port}/readyz")  # not trusted without the CA
