"""The real nats-server parser accepts deploy/nats/*.conf (`nats-server -t`)."""

from __future__ import annotations

import datetime
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ishc_runtime.infra.nats import find_nats_server

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[1]
NATS_CONFIGS = ("nats.conf", "compose.conf")


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key, so nats-server can load the TLS blocks."""
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nats-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "tls.crt", directory / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.mark.parametrize("name", NATS_CONFIGS)
def test_nats_server_accepts_the_config(name: str, tmp_path: Path) -> None:
    """`nats-server -t`: the real parser, with the env variables and certificates it needs."""
    shutil.copy(DEPLOY / "nats" / "accounts.conf", tmp_path / "accounts.conf")
    text = (DEPLOY / "nats" / name).read_text()
    cert, key = self_signed(tmp_path)
    text = re.sub(r'"/etc/nats/tls/[^"]+/tls\.crt"', f'"{cert}"', text)
    text = re.sub(r'"/etc/nats/tls/[^"]+/tls\.key"', f'"{key}"', text)
    text = re.sub(r'"/etc/nats/tls/ca/ca\.crt"', f'"{cert}"', text)
    (tmp_path / name).write_text(text)
    env = {"NATS_SERVER_NAME": "n1"} | {
        f"{user}_NATS_PASSWORD": "x"
        for user in ("MEMBERSHIP", "FINANCE", "CARE", "ADVOCACY", "REPORTING", "GATEWAY", "OPS")
    }
    env["SYS_NATS_PASSWORD"] = "x"
    result = subprocess.run(
        [str(find_nats_server()), "-t", "-c", str(tmp_path / name)],
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
