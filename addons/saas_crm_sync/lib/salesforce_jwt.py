"""Salesforce's OAuth 2.0 JWT bearer flow, the second way to authenticate after client
credentials: the connected app holds a certificate, the connector the private key, and each
token request carries an RS256-signed assertion naming the user the token is for."""

import base64
import json
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCES = {"live": "https://login.salesforce.com", "test": "https://test.salesforce.com"}
"""Salesforce accepts only its login servers as ``aud``: production orgs' for a live backend,
sandboxes' for a test one."""
LIFETIME = 180
"""Salesforce refuses an assertion that expires more than three minutes ahead."""


class PrivateKeyError(ValueError):
    """The text given as the private key is not an unencrypted PEM RSA private key."""


def load_private_key(pem):
    """The RSA private key of ``pem``; raises :class:`PrivateKeyError` saying what is wrong."""
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise PrivateKeyError(
            "The private key must be an unencrypted PEM RSA key (-----BEGIN PRIVATE KEY-----): "
            f"{error}"
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise PrivateKeyError("The private key must be an RSA key: Salesforce signs with RS256.")
    return key


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class JwtBearer:
    """The JWT bearer credential of one integration user."""

    username: str
    private_key_pem: str
    audience: str = AUDIENCES["live"]

    def token_form(self, client_id, now=None):
        """The form posted to ``/services/oauth2/token``."""
        issued = int(now if now is not None else time.time())
        claims = {"iss": client_id, "sub": self.username, "aud": self.audience}
        claims["exp"] = issued + LIFETIME
        signing_input = ".".join(
            _b64(json.dumps(part, separators=(",", ":")).encode())
            for part in ({"alg": "RS256", "typ": "JWT"}, claims)
        )
        signature = load_private_key(self.private_key_pem).sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return {"grant_type": GRANT_TYPE, "assertion": f"{signing_input}.{_b64(signature)}"}
