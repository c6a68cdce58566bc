"""Master keys, transport sealing and sealed values, without a database."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ishc_runtime.privacy import (
    LocalMasterKeys,
    MasterKeyError,
    TransportError,
    TransportKey,
    UnknownMasterKey,
    UnreadableValue,
    WrongMasterKey,
    is_sealed,
    load_key_file,
    load_transport_key_file,
    new_key,
    open_value,
    seal_value,
)

pytestmark = pytest.mark.unit


def test_a_key_file_is_created_private_for_local_runs_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "master.json"

    created = load_key_file(path, create=True)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key_file(path) == created


def test_a_missing_key_file_is_an_error_unless_asked_to_create(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="does not exist"):
        load_key_file(tmp_path / "absent.json")


def test_a_malformed_key_document_says_what_is_expected(tmp_path: Path) -> None:
    path = tmp_path / "master.json"
    path.write_text('{"current": "k1"}', encoding="utf-8")

    with pytest.raises(MasterKeyError, match="not a master key document"):
        load_key_file(path)


def test_a_master_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(MasterKeyError, match="must be 32 bytes"):
        LocalMasterKeys("k1", {"k1": b"short"})


def test_a_data_key_wrapped_under_one_key_opens_only_with_that_key_and_context() -> None:
    keys = LocalMasterKeys("k1", {"k1": new_key()})
    data_key = new_key()
    wrapped = keys.wrap(data_key, b"member-1\x1fidentity")

    assert keys.unwrap("k1", wrapped, b"member-1\x1fidentity") == data_key
    with pytest.raises(WrongMasterKey):
        keys.unwrap("k1", wrapped, b"member-2\x1fidentity")
    with pytest.raises(WrongMasterKey, match="'k1' does not open"):
        LocalMasterKeys("k1", {"k1": new_key()}).unwrap("k1", wrapped, b"member-1\x1fidentity")
    with pytest.raises(UnknownMasterKey, match="'k0'"):
        keys.unwrap("k0", wrapped, b"member-1\x1fidentity")


def test_a_rotation_keeps_the_old_keys_for_unwrapping() -> None:
    keys = LocalMasterKeys("k1", {"k1": new_key()})
    wrapped = keys.wrap(b"x" * 32, b"c")

    rotated = keys.with_new_current("k2")

    assert rotated.current_id == "k2"
    assert rotated.unwrap("k1", wrapped, b"c") == b"x" * 32


def test_a_sealed_value_opens_only_for_its_subject_and_field() -> None:
    cipher = AESGCM(new_key())
    sealed = seal_value(cipher, "member-1", "full_name", "Nguyễn Thị Lan")

    assert is_sealed(sealed)
    assert "Lan" not in sealed
    assert open_value(cipher, "member-1", "full_name", sealed) == "Nguyễn Thị Lan"
    with pytest.raises(UnreadableValue):
        open_value(cipher, "member-2", "full_name", sealed)
    with pytest.raises(UnreadableValue):
        open_value(cipher, "member-1", "phone", sealed)


def flipped(value: str) -> str:
    """One base64 character of the ciphertext changed."""
    return value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]


@pytest.mark.parametrize("damage", [lambda v: v[:-5], flipped, lambda v: v[:12]])
def test_a_truncated_or_corrupted_sealed_value_is_unreadable_not_a_crash(
    damage: Callable[[str], str],
) -> None:
    cipher = AESGCM(new_key())
    sealed = seal_value(cipher, "member-1", "full_name", "Nguyễn Thị Lan")

    with pytest.raises(UnreadableValue):
        open_value(cipher, "member-1", "full_name", damage(sealed))


def test_a_transport_body_opens_only_on_its_subject_with_the_same_key(tmp_path: Path) -> None:
    key = load_transport_key_file(tmp_path / "transport.key", create=True)
    body = b'{"payload": {"full_name": "Lan"}}'

    sealed = key.seal(body, "ishc.cmd.membership.AdmitMember")

    assert b"Lan" not in sealed
    assert key.open(sealed, "ishc.cmd.membership.AdmitMember") == body
    assert load_transport_key_file(tmp_path / "transport.key") == key
    with pytest.raises(TransportError, match="does not open"):
        key.open(sealed, "ishc.cmd.membership.RecordMemberExit")
    with pytest.raises(TransportError, match="does not open"):
        TransportKey.generate().open(sealed, "ishc.cmd.membership.AdmitMember")
    with pytest.raises(TransportError, match="not sealed"):
        key.open(body, "ishc.cmd.membership.AdmitMember")


def test_a_transport_key_text_must_be_32_bytes_of_base64() -> None:
    with pytest.raises(TransportError, match="32"):
        TransportKey.from_text("c2hvcnQ=")
    with pytest.raises(TransportError, match="base64"):
        TransportKey.from_text("not base64 at all!")
