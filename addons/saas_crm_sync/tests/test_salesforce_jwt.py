"""The JWT bearer assertion: what Salesforce checks in it (RS256 over header and claims, the
connected app as issuer, the user as subject, a login server as audience, at most three
minutes of life)."""

import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from odoo.addons.saas_crm_sync.lib.salesforce_jwt import (
    AUDIENCES,
    GRANT_TYPE,
    JwtBearer,
    PrivateKeyError,
    load_private_key,
)

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
NOW = 1_790_000_000


def _part(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


@pytest.mark.parametrize("environment", ["live", "test"])
def test_the_assertion_is_signed_rs256_with_the_claims_salesforce_reads(environment):
    bearer = JwtBearer("integration@example.com", PEM, AUDIENCES[environment])
    form = bearer.token_form("3MVG9.consumer.key", now=NOW)
    assert form["grant_type"] == GRANT_TYPE
    header, claims, signature = form["assertion"].split(".")
    assert json.loads(_part(header)) == {"alg": "RS256", "typ": "JWT"}
    assert json.loads(_part(claims)) == {
        "iss": "3MVG9.consumer.key",
        "sub": "integration@example.com",
        "aud": {"live": "https://login.salesforce.com", "test": "https://test.salesforce.com"}[
            environment
        ],
        "exp": NOW + 180,
    }
    KEY.public_key().verify(
        _part(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256()
    )


def test_an_encrypted_key_is_refused_with_the_reason():
    encrypted = KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    ).decode()
    with pytest.raises(PrivateKeyError, match="unencrypted PEM RSA key"):
        load_private_key(encrypted)
