"""Signing with the portal's current key, making the first, rotating, and the keys published."""

from typing import NamedTuple

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from portal.db import Transaction
from portal.secrets import secret_key
from portal.settings import Settings
from portal.signing import cose, repository
from schemas.declarations import Declaration
from schemas.signing import VerificationKey, VerificationKeys

ALGORITHM = "Ed25519"


class SecretMismatch(RuntimeError):
    """The current key was encrypted with another secret than the portal's."""


class _Key(NamedTuple):
    kid: bytes
    private_key: Ed25519PrivateKey


def claims_of(declaration: Declaration) -> cose.Claims:
    """What a declaration version's code vouches for: no name, no document number."""
    plates = (
        *declaration.declaration_vehicle_plate_number,
        *declaration.declaration_vehicle_plate_number_light,
        *declaration.declaration_vehicle_plate_number_heavy,
    )
    return cose.Claims(
        declaration.declaration_id,
        declaration.declaration_version,
        declaration.declaration_posting_country,
        declaration.declaration_start_date,
        declaration.declaration_end_date,
        tuple(dict.fromkeys(plates)),
    )


class Signer:
    """Signs QR payloads in a process (a server's, a worker's): the current key is looked up at
    every signing, so that a rotation is followed at once; its decryption is kept."""

    def __init__(self, secret: str) -> None:
        self._password = secret.encode()
        self._decrypted: dict[bytes, Ed25519PrivateKey] = {}

    @classmethod
    def of(cls, settings: Settings) -> "Signer":
        return cls(secret_key(settings))

    async def qr_text(self, db: Transaction, verification_url: str, claims: cose.Claims) -> str:
        """The text of the QR code: the verification URL with the signed payload as its fragment."""
        key = await self._current(db)
        return cose.in_url(verification_url, cose.to_text(cose.sign(claims, key.kid, key.private_key)))

    async def _current(self, db: Transaction) -> _Key:
        stored = await repository.current(db)
        if stored is None:
            await repository.add_first(db, self.new_key())
            # Ours, or the one of a renderer that made it first (committed since: a new statement sees it).
            stored = await repository.current(db)
            assert stored is not None
        private_key = self._decrypted.get(stored.kid)
        if private_key is None:
            private_key = self._decrypt(stored.private_key)
            self._decrypted[stored.kid] = private_key
        return _Key(stored.kid, private_key)

    def _decrypt(self, encrypted: bytes) -> Ed25519PrivateKey:
        try:
            private_key = serialization.load_der_private_key(encrypted, password=self._password)
        except ValueError:
            raise SecretMismatch(
                "the current signing key cannot be decrypted with this portal's secret"
                " (PORTAL_SECRET_KEY, or the data folder's secret.key, changed?): `portal keys rotate` makes a new one"
            ) from None
        assert isinstance(private_key, Ed25519PrivateKey)
        return private_key

    def new_key(self) -> repository.NewKey:
        private_key = Ed25519PrivateKey.generate()
        public_key = cose.raw_public_key(private_key.public_key())
        encrypted = private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._password),
        )
        return repository.NewKey(cose.key_id(public_key), ALGORITHM, public_key, encrypted)

    async def rotate(self, db: Transaction) -> bytes:
        """Make a new key current and retire the one before (it stays published); its kid."""
        key = self.new_key()
        await repository.rotate(db, key)
        return key.kid


async def published(db: asyncpg.Connection | asyncpg.Pool) -> VerificationKeys:
    """The public keys, current and retired, as ``GET /verify/keys`` lists them (a JWKS)."""
    return VerificationKeys(
        keys=[
            VerificationKey(
                kty="OKP",
                crv="Ed25519",
                alg="EdDSA",
                use="sig",
                kid=cose.b64url(key.kid),
                x=cose.b64url(key.public_key),
                status="retired" if key.retired_at else "current",
                created_at=key.created_at,
                retired_at=key.retired_at,
            )
            for key in await repository.published(db)
            if key.algorithm == ALGORITHM
        ]
    )
