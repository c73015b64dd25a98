"""The contracts of the clock, signature and artifact ports (``domain.ports.protocols``), Build 8.

A subclass overrides the fixtures that raise ``NotImplementedError``. The tests state only what
the domain relies on, so a fake that answers configured values passes, as a real adapter must.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from domain.ports.protocols import (
    ArtifactStore,
    Clock,
    SignatureVerifier,
)


def provided_by_subclass(what: str) -> Any:
    raise NotImplementedError(f"the contract's subclass provides {what}")


def is_finite_number(value: object) -> bool:
    """A number the ledger can record: an int or float, not a bool, NaN or infinity."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class KeyPair:
    """A person's key as a SignatureVerifier sees it: the public PEM, and signing by its holder."""

    public_key_pem: str
    sign: Callable[[bytes], bytes]


class ClockContract:
    """``Clock``: the current time, in UTC."""

    @pytest.fixture
    def clock(self) -> Clock:
        return provided_by_subclass("clock")

    def test_now_is_an_aware_time_in_utc(self, clock: Clock) -> None:
        now = clock.now()

        assert now.tzinfo is not None
        assert now.utcoffset() == timedelta(0)

    def test_time_does_not_run_backwards(self, clock: Clock) -> None:
        first = clock.now()

        assert clock.now() >= first


class SignatureVerifierContract:
    """``SignatureVerifier``: a person's signature checked with their registered public key."""

    @pytest.fixture
    def verifier(self) -> SignatureVerifier:
        return provided_by_subclass("verifier")

    @pytest.fixture
    def new_key_pair(self) -> Callable[[], KeyPair]:
        """Make a fresh key pair, a different one on each call."""
        return provided_by_subclass("new_key_pair")

    @pytest.fixture
    def key(self, new_key_pair: Callable[[], KeyPair]) -> KeyPair:
        return new_key_pair()

    def test_a_genuine_signature_verifies(self, verifier: SignatureVerifier, key: KeyPair) -> None:
        assert verifier.verify(key.public_key_pem, key.sign(b"statement"), b"statement") is True

    def test_a_tampered_signature_does_not_verify(
        self, verifier: SignatureVerifier, key: KeyPair
    ) -> None:
        signature = bytearray(key.sign(b"statement"))
        signature[-1] ^= 0x01

        assert verifier.verify(key.public_key_pem, bytes(signature), b"statement") is False

    def test_a_signature_of_another_message_does_not_verify(
        self, verifier: SignatureVerifier, key: KeyPair
    ) -> None:
        assert verifier.verify(key.public_key_pem, key.sign(b"statement"), b"statemenT") is False

    def test_another_persons_signature_does_not_verify(
        self, verifier: SignatureVerifier, new_key_pair: Callable[[], KeyPair]
    ) -> None:
        alice, mallory = new_key_pair(), new_key_pair()

        assert verifier.verify(alice.public_key_pem, mallory.sign(b"x"), b"x") is False

    @pytest.mark.parametrize("signature", [b"", b"\x00", b"\xff" * 64, b"\x00" * 128])
    def test_a_malformed_signature_is_false_not_an_error(
        self, verifier: SignatureVerifier, key: KeyPair, signature: bytes
    ) -> None:
        assert verifier.verify(key.public_key_pem, signature, b"statement") is False

    def test_a_malformed_public_key_is_false_not_an_error(
        self, verifier: SignatureVerifier, key: KeyPair
    ) -> None:
        assert verifier.verify("not a key", key.sign(b"statement"), b"statement") is False

    def test_a_key_id_is_a_function_of_the_public_key(
        self, verifier: SignatureVerifier, new_key_pair: Callable[[], KeyPair]
    ) -> None:
        first, second = new_key_pair(), new_key_pair()
        keyid = verifier.keyid(first.public_key_pem)

        assert keyid == verifier.keyid(first.public_key_pem)
        assert isinstance(keyid, str)
        assert keyid
        assert keyid != verifier.keyid(second.public_key_pem)


class ArtifactStoreContract:
    """``ArtifactStore``: content-addressed blobs; ``put`` answers ``sha256:<hex>``."""

    @pytest.fixture
    def store(self) -> ArtifactStore:
        return provided_by_subclass("store")

    @pytest.mark.parametrize("content", [b"model:weights", b"", bytes(range(256)) * 64])
    def test_put_answers_the_sha256_of_the_content_and_get_gives_it_back(
        self, store: ArtifactStore, content: bytes
    ) -> None:
        digest = store.put(content)

        assert digest == "sha256:" + hashlib.sha256(content).hexdigest()
        assert store.get(digest) == content

    def test_putting_the_same_content_twice_answers_the_same_digest(
        self, store: ArtifactStore
    ) -> None:
        assert store.put(b"data") == store.put(b"data")
        assert store.get(store.put(b"data")) == b"data"

    def test_each_content_keeps_its_own_digest(self, store: ArtifactStore) -> None:
        first, second = store.put(b"first"), store.put(b"second")

        assert (store.get(first), store.get(second)) == (b"first", b"second")

    def test_get_of_a_digest_holding_nothing_raises_key_error(self, store: ArtifactStore) -> None:
        with pytest.raises(KeyError):
            store.get("sha256:" + hashlib.sha256(b"never stored").hexdigest())
