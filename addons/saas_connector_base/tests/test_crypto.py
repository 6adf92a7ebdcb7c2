import pytest
from cryptography.fernet import Fernet

from odoo.addons.saas_connector_base.lib import crypto

KEY_A = Fernet.generate_key().decode()
KEY_B = Fernet.generate_key().decode()


def test_round_trip_and_ciphertext_hides_the_plaintext():
    keys = crypto.parse_master_keys(KEY_A)
    token = crypto.encrypt("sk_live_abcdef123456", keys)
    assert "sk_live" not in token
    assert token != crypto.encrypt("sk_live_abcdef123456", keys), "fresh IV each time"
    assert crypto.decrypt(token, keys) == "sk_live_abcdef123456"


def test_rotation_new_key_first_reads_old_ciphertexts_and_reencrypts():
    old_token = crypto.encrypt("whsec_1", crypto.parse_master_keys(KEY_A))
    rotated_keys = crypto.parse_master_keys(f"{KEY_B}, {KEY_A}")
    assert crypto.decrypt(old_token, rotated_keys) == "whsec_1"
    moved = crypto.reencrypt(old_token, rotated_keys)
    assert crypto.decrypt(moved, crypto.parse_master_keys(KEY_B)) == "whsec_1"
    with pytest.raises(crypto.DecryptionError, match="previous key"):
        crypto.decrypt(old_token, crypto.parse_master_keys(KEY_B))


@pytest.mark.parametrize("raw", [None, "", " , "])
def test_missing_master_key_says_how_to_set_it(raw):
    with pytest.raises(crypto.MasterKeyError, match="saas_master_key"):
        crypto.parse_master_keys(raw)


@pytest.mark.parametrize("raw", ["not-a-key", "c2hvcnQ=", f"{KEY_A},garbage"])
def test_malformed_master_key_is_refused_without_echoing_it(raw):
    with pytest.raises(crypto.MasterKeyError) as error:
        crypto.parse_master_keys(raw)
    assert raw.split(",")[-1] not in str(error.value)


@pytest.mark.parametrize(
    ("secret", "shown"),
    [("sk_test_51HxyzABCDEF", "••••CDEF"), ("short", "••••"), ("", "")],
)
def test_mask_shows_only_the_tail_of_long_secrets(secret, shown):
    assert crypto.mask(secret) == shown
