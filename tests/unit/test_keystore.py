"""Key files under GOVLEDGER_HOME/keys: creation, permissions, passphrases and rotation."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ledger.encoding.dsse import sign_envelope
from ledger.errors import KeyStoreError
from ledger.keys.ed25519 import Signer, keyid_of
from ledger.keys.keystore import EVENT_SIGNER, LOG, KeyStore
from ledger.keys.live import CurrentSigner, ReloadingKeyring

PAYLOAD_TYPE = "application/vnd.govledger.test+json"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def keystore(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path)
    store.create_missing()
    return store


def test_creates_the_event_and_log_keys_and_returns_their_keyids(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)

    created = store.create_missing()

    assert created == [store.event_signer().keyid, store.log_signer().keyid]
    assert created[0] != created[1]


def test_writes_private_keys_readable_by_the_owner_only(keystore: KeyStore) -> None:
    assert mode_of(keystore.directory / "event-signer.key") == 0o600
    assert mode_of(keystore.directory / "log.key") == 0o600


def test_makes_the_keys_directory_private_to_the_owner(keystore: KeyStore) -> None:
    assert mode_of(keystore.directory) == 0o700


def test_leaves_no_temporary_file_behind(keystore: KeyStore) -> None:
    assert sorted(path.name for path in keystore.directory.iterdir()) == [
        "event-signer.key",
        "log.key",
        "public",
    ]


def test_publishes_the_public_keys_under_their_keyids(keystore: KeyStore) -> None:
    event_keyid = keystore.event_signer().keyid
    log_pem = (keystore.public_directory / "log.pem").read_bytes()

    (event_pem_path,) = keystore.public_directory.glob("event-signer-*.pem")
    assert event_pem_path.name == f"event-signer-{event_keyid.removeprefix('sha256:')[:16]}.pem"
    public = serialization.load_pem_public_key(event_pem_path.read_bytes())
    assert keyid_of(public) == event_keyid  # type: ignore[arg-type]
    assert keyid_of(serialization.load_pem_public_key(log_pem)) == keystore.log_signer().keyid  # type: ignore[arg-type]


def test_creating_missing_keys_twice_creates_nothing_the_second_time(tmp_path: Path) -> None:
    store = KeyStore(tmp_path)
    store.create_missing()
    before = {path: path.read_bytes() for path in store.directory.rglob("*") if path.is_file()}

    assert store.create_missing() == []
    after = {path: path.read_bytes() for path in store.directory.rglob("*") if path.is_file()}
    assert after == before


def test_creates_only_the_key_that_is_missing(keystore: KeyStore) -> None:
    event_keyid = keystore.event_signer().keyid
    (keystore.directory / "log.key").unlink()

    (created,) = keystore.create_missing()

    assert created == keystore.log_signer().keyid
    assert keystore.event_signer().keyid == event_keyid


def test_loads_the_same_key_it_wrote(tmp_path: Path) -> None:
    created = KeyStore(tmp_path).create_missing()

    reopened = KeyStore(tmp_path)

    assert [reopened.event_signer().keyid, reopened.log_signer().keyid] == created


def test_encrypts_private_keys_with_the_passphrase(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, passphrase="correct horse")
    store.create_missing()

    for name in ("event-signer.key", "log.key"):
        pem = (store.directory / name).read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert KeyStore(tmp_path, passphrase="correct horse").event_signer().keyid == (
        store.event_signer().keyid
    )


def test_stores_private_keys_unencrypted_without_a_passphrase(keystore: KeyStore) -> None:
    pem = (keystore.directory / "event-signer.key").read_bytes()

    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----\n")


def test_refuses_an_encrypted_key_file_without_a_passphrase(tmp_path: Path) -> None:
    KeyStore(tmp_path, passphrase="correct horse").create_missing()

    with pytest.raises(KeyStoreError, match="is encrypted: set GOVLEDGER_KEY_PASSPHRASE"):
        KeyStore(tmp_path).event_signer()


def test_refuses_a_key_file_encrypted_with_another_passphrase(tmp_path: Path) -> None:
    KeyStore(tmp_path, passphrase="correct horse").create_missing()

    with pytest.raises(KeyStoreError, match=r"cannot decrypt .* check GOVLEDGER_KEY_PASSPHRASE"):
        KeyStore(tmp_path, passphrase="battery staple").event_signer()


def test_refuses_an_unencrypted_key_file_when_a_passphrase_is_set(tmp_path: Path) -> None:
    KeyStore(tmp_path).create_missing()

    with pytest.raises(KeyStoreError, match="is not encrypted: unset GOVLEDGER_KEY_PASSPHRASE"):
        KeyStore(tmp_path, passphrase="correct horse").log_signer()


def test_refuses_a_missing_key_file_and_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match=r"event-signer\.key is missing; run `govledger init`"):
        KeyStore(tmp_path).event_signer()


def test_refuses_an_empty_keyring_and_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match=r"no event-signing public keys .* `govledger init`"):
        KeyStore(tmp_path).event_keyring()


def test_refuses_a_key_file_that_does_not_hold_an_ed25519_key(keystore: KeyStore) -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (keystore.directory / "event-signer.key").write_bytes(pem)

    with pytest.raises(KeyStoreError, match="does not hold an Ed25519 private key"):
        keystore.event_signer()


def test_refuses_a_key_file_that_is_not_a_pem(keystore: KeyStore) -> None:
    (keystore.directory / "log.key").write_bytes(b"garbage")

    with pytest.raises(KeyStoreError, match=r"key file .*log\.key is not a PEM private key"):
        keystore.log_signer()


def rotate_files(store: KeyStore, name: str = EVENT_SIGNER) -> Signer:
    """What a committed rotation does to the files: stage, activate, settle."""
    incoming = store.stage(name)
    store.activate(name)
    store.settle(name, committed=True)
    return incoming


def test_staging_publishes_the_incoming_key_and_keeps_the_current_one(
    keystore: KeyStore,
) -> None:
    current = keystore.event_signer()

    incoming = keystore.stage(EVENT_SIGNER)

    assert keystore.event_signer().keyid == current.keyid
    assert keystore.staged(EVENT_SIGNER).keyid == incoming.keyid
    assert incoming.keyid in keystore.event_keyring().keys


def test_a_committed_rotation_makes_the_incoming_key_current_and_drops_the_outgoing(
    keystore: KeyStore,
) -> None:
    old = keystore.event_signer()

    new = rotate_files(keystore)

    assert new.keyid != old.keyid
    assert keystore.event_signer().keyid == new.keyid
    assert sorted(p.name for p in keystore.directory.glob("*.key")) == [
        "event-signer.key",
        "log.key",
    ]


def test_a_rotation_that_did_not_commit_restores_the_outgoing_key(keystore: KeyStore) -> None:
    old = keystore.event_signer()
    keystore.stage(EVENT_SIGNER)
    keystore.activate(EVENT_SIGNER)

    keystore.settle(EVENT_SIGNER, committed=False)

    assert keystore.event_signer().keyid == old.keyid
    assert sorted(p.name for p in keystore.directory.glob("*.key")) == [
        "event-signer.key",
        "log.key",
    ]


def test_rotation_keeps_every_old_public_key_in_the_keyring(keystore: KeyStore) -> None:
    first = keystore.event_signer().keyid
    second = rotate_files(keystore).keyid
    third = rotate_files(keystore).keyid

    assert set(keystore.event_keyring().keys) == {first, second, third}


def test_an_event_key_rotation_leaves_the_log_key_alone(keystore: KeyStore) -> None:
    log_keyid = keystore.log_signer().keyid

    rotate_files(keystore)

    assert keystore.log_signer().keyid == log_keyid
    assert log_keyid not in keystore.event_keyring().keys


def test_a_log_key_rotation_keeps_every_log_public_key_published(keystore: KeyStore) -> None:
    old = keystore.log_signer().keyid

    new = rotate_files(keystore, LOG).keyid

    assert keystore.log_signer().keyid == new
    assert keyid_of(keystore.log_public_key()) == new
    assert set(keystore.log_keys()) == {old, new}


def test_a_log_key_rotation_in_a_home_made_before_log_keys_had_ids_keeps_the_old_one(
    keystore: KeyStore,
) -> None:
    old = keystore.log_signer().keyid
    for path in keystore.public_directory.glob("log-*.pem"):
        path.unlink()  # the layout before this change: only log.pem

    new = rotate_files(keystore, LOG).keyid

    assert set(keystore.log_keys()) == {old, new}


def test_a_log_key_rotation_that_did_not_commit_restores_the_published_log_key(
    keystore: KeyStore,
) -> None:
    old = keystore.log_signer().keyid
    keystore.stage(LOG)
    keystore.activate(LOG)

    keystore.settle(LOG, committed=False)

    assert keystore.log_signer().keyid == old
    assert keyid_of(keystore.log_public_key()) == old


def test_an_envelope_signed_before_rotation_still_verifies(keystore: KeyStore) -> None:
    old = keystore.event_signer()
    envelope = sign_envelope(b"{}", PAYLOAD_TYPE, old)

    rotate_files(keystore)

    assert envelope.verify(keystore.event_keyring(), payload_type=PAYLOAD_TYPE) == old.keyid


def test_rotation_refuses_a_key_it_cannot_read(tmp_path: Path) -> None:
    KeyStore(tmp_path, passphrase="correct horse").create_missing()
    store = KeyStore(tmp_path)

    with pytest.raises(KeyStoreError, match="GOVLEDGER_KEY_PASSPHRASE"):
        store.stage(EVENT_SIGNER)
    assert len(list(store.public_directory.glob("event-signer-*.pem"))) == 1
    assert not list(store.directory.glob("*.next.key"))


def test_a_current_signer_follows_a_rotation_made_by_another_keystore(keystore: KeyStore) -> None:
    """Finding 7: a process started before a rotation must not keep signing with the old key."""
    current = CurrentSigner(keystore, EVENT_SIGNER)
    before = current()

    new = rotate_files(KeyStore(keystore.home))

    assert current().keyid == new.keyid != before.keyid
    assert current() is current()  # loaded once per change, not per call


def test_a_reloading_keyring_verifies_a_key_published_after_it_was_built(
    keystore: KeyStore,
) -> None:
    """Finding 7: a reader started before a rotation verifies events signed by the new key."""
    keyring = ReloadingKeyring(keystore)
    new = rotate_files(KeyStore(keystore.home))
    envelope = sign_envelope(b"{}", PAYLOAD_TYPE, new)

    assert envelope.verify(keyring, payload_type=PAYLOAD_TYPE) == new.keyid


def test_key_files_have_explicit_modes_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        store = KeyStore(tmp_path)
        store.create_missing()
        rotate_files(store)
    finally:
        os.umask(previous)

    for path in store.directory.glob("*.key"):
        assert mode_of(path) == 0o600, path
    for path in store.public_directory.glob("*.pem"):
        assert mode_of(path) == 0o644, path
    assert mode_of(store.directory) == 0o700
    assert mode_of(store.public_directory) == 0o755


def test_is_built_from_the_persistence_environment(tmp_path: Path) -> None:
    created = KeyStore(tmp_path, passphrase="pw").create_missing()

    store = KeyStore.from_environment(
        {"GOVLEDGER_HOME": str(tmp_path), "GOVLEDGER_KEY_PASSPHRASE": "pw"}
    )

    assert store.directory == tmp_path / "keys"
    assert store.event_signer().keyid == created[0]


def test_refuses_an_environment_without_a_home() -> None:
    with pytest.raises(KeyStoreError, match="GOVLEDGER_HOME is not set"):
        KeyStore.from_environment({})


def test_refuses_a_published_event_key_that_is_not_ed25519_and_names_the_file(
    keystore: KeyStore,
) -> None:
    foreign = ec.generate_private_key(ec.SECP256R1()).public_key()
    path = keystore.public_directory / "event-signer-0000000000000000.pem"
    path.write_bytes(
        foreign.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )

    with pytest.raises(
        KeyStoreError, match=r"published key .*event-signer-0000000000000000\.pem is unusable"
    ):
        keystore.event_keyring()


def test_an_unwritable_home_is_a_key_store_error_naming_the_setting(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file where a directory should be")

    with pytest.raises(KeyStoreError, match=r"cannot write keys to .*fix GOVLEDGER_HOME"):
        KeyStore(home).create_missing()
