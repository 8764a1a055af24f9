"""Signing keys for access tokens, derived from the master secret unless one is configured.

HKDF gives each purpose its own key, so the master secret is never used directly and one
leaked derived key reveals nothing about the others.
"""

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32  # 256 bits


def derive_key(master_secret: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=f"{purpose}".encode(),
    ).derive(master_secret.encode())


def hs256_key(master_secret: str, configured: str | None) -> bytes:
    return (
        configured.encode() if configured else derive_key(master_secret, "auth/access-token/hs256")
    )


def ed25519_key(master_secret: str, configured_pem: str | None) -> Ed25519PrivateKey:
    if configured_pem:
        key = serialization.load_pem_private_key(configured_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("AUTH__JWT_KEY must be an Ed25519 private key in PEM")
        return key
    # An Ed25519 private key is 32 random bytes, so a derived key is a valid one.
    return Ed25519PrivateKey.from_private_bytes(
        derive_key(master_secret, "auth/access-token/ed25519")
    )
