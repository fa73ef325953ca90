import pytest

from vigil.server import crypto


def keyring(*ids: str) -> crypto.Keyring:
    spec = ",".join(f"{i}:{crypto.generate_key()}" for i in ids)
    return crypto.Keyring.from_spec(spec, crypto.generate_key())


def test_round_trip_and_randomised():
    kr = keyring("k1")
    a = kr.encrypt("Amina Synthetic", "cases.person.given_name")
    b = kr.encrypt("Amina Synthetic", "cases.person.given_name")
    assert a != b and "Amina" not in a
    assert a.startswith("vf1.k1.")
    assert kr.decrypt(a, "cases.person.given_name") == "Amina Synthetic"


def test_unicode_round_trip():
    kr = keyring("k1")
    value = "Nguyễn Thị Ánh — 阿明 — محمد"
    assert kr.decrypt(kr.encrypt(value, "c"), "c") == value


def test_context_is_bound():
    kr = keyring("k1")
    token = kr.encrypt("X1234567", "cases.person.document_number")
    with pytest.raises(crypto.DecryptionError) as err:
        kr.decrypt(token, "cases.person.phone")
    assert "X1234567" not in str(err.value)


def test_tampering_detected():
    kr = keyring("k1")
    token = kr.encrypt("secret", "c")
    head, body = token.rsplit(".", 1)
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(crypto.DecryptionError):
        kr.decrypt(f"{head}.{flipped}", "c")


def test_rotation_old_keys_still_decrypt():
    old = crypto.generate_key()
    index = crypto.generate_key()
    kr_old = crypto.Keyring.from_spec(f"old:{old}", index)
    token = kr_old.encrypt("value", "c")
    kr_new = crypto.Keyring.from_spec(f"new:{crypto.generate_key()},old:{old}", index)
    assert kr_new.current_id == "new"
    assert kr_new.decrypt(token, "c") == "value"
    assert kr_new.needs_rotation(token)
    assert not kr_new.needs_rotation(kr_new.encrypt("value", "c"))
    dropped = crypto.Keyring.from_spec(f"new:{crypto.generate_key()}", index)
    with pytest.raises(crypto.DecryptionError, match="not in the keyring"):
        dropped.decrypt(token, "c")


def test_blind_index_normalises_and_is_keyed():
    kr = keyring("k1")
    assert kr.blind_index("  AB 123 ", "d") == kr.blind_index("ab 123", "d")
    assert kr.blind_index("ab123", "d") != kr.blind_index("ab123", "other")
    assert kr.blind_index("", "d") == ""
    assert kr.blind_index("+41 79 123-45-67", "p", phone=True) == kr.blind_index(
        "+41791234567", "p", phone=True
    )
    assert keyring("k1").blind_index("ab123", "d") != kr.blind_index("ab123", "d")


@pytest.mark.parametrize("spec", ["", "nokey", "k1:short", "k 1:" + "A" * 43, "k1:{k},k1:{k}"])
def test_bad_specs_refused(spec):
    spec = spec.replace("{k}", crypto.generate_key())
    with pytest.raises(crypto.KeyringError):
        crypto.parse_keys(spec)


def test_demo_keys_are_recognised():
    assert crypto.uses_demo_keys(crypto.DEMO_FIELD_KEYS, crypto.DEMO_INDEX_KEY)
    assert not crypto.uses_demo_keys(f"k1:{crypto.generate_key()}", crypto.generate_key())
    assert crypto.uses_demo_keys(f"k1:{crypto.generate_key()}", crypto.DEMO_INDEX_KEY)


def test_standard_base64_accepted():
    import base64
    import secrets

    raw = secrets.token_bytes(32)
    assert crypto.parse_key(base64.b64encode(raw).decode()) == raw
