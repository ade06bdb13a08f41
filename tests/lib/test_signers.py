"""Key backends: PKCS#12 file and a real SoftHSM2 token (remote providers: test_providers_*;
the teacher's own token through the agent: test_agent)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the top-level security/ package is not installed
    sys.path.insert(0, str(REPO))

from security import softhsm  # noqa: E402
from security.pki import build_test_pki  # noqa: E402

from hocbaso.errors import SigningError  # noqa: E402
from hocbaso.signing.base import ECDSA_SHA256, RSA_SHA256  # noqa: E402
from hocbaso.signing.pkcs11 import Pkcs11Signer, list_tokens  # noqa: E402
from hocbaso.signing.pkcs12 import Pkcs12Signer, check_pkcs12_file  # noqa: E402

DATA = "Học bạ số: Toán 9,5 – Tiếng Việt 9,0".encode("utf-8")


@pytest.fixture(scope="module")
def pki():
    return build_test_pki()


def assert_verifies(certificate, signature: bytes, data: bytes = DATA) -> None:
    public = certificate.public_key()
    if isinstance(public, ec.EllipticCurvePublicKey):
        public.verify(signature, data, ec.ECDSA(hashes.SHA256()))  # DER (r, s)
    else:
        public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())


# --- PKCS#12 -------------------------------------------------------------------------------------
def test_pkcs12_signer_signs_rsa_and_the_signature_verifies(pki):
    leaf = pki.leaf("gvcn")
    with Pkcs12Signer(leaf.p12, "1234") as signer:
        assert signer.certificate == leaf.certificate and signer.algorithm == RSA_SHA256
        assert signer.chain == [pki.intermediate, pki.root]
        signature = signer.sign(DATA)
    assert len(signature) == 256
    assert_verifies(leaf.certificate, signature)


def test_pkcs12_signer_signs_ecdsa(pki):
    signer = Pkcs12Signer(pki.leaf("ecdsa").p12, b"1234")
    assert signer.algorithm == ECDSA_SHA256
    assert_verifies(signer.certificate, signer.sign(DATA))


def test_pkcs12_wrong_password_is_refused_without_echoing_it(pki):
    with pytest.raises(SigningError) as caught:
        Pkcs12Signer(pki.leaf("gvcn").p12, "s3cret-guess")
    assert caught.value.message == "The password of the certificate file is wrong."
    assert "s3cret-guess" not in repr(caught.value.params) + str(caught.value)
    with pytest.raises(SigningError, match="not a certificate file"):
        Pkcs12Signer(b"-----BEGIN CERTIFICATE-----", "1234")


def test_pkcs12_file_checked_without_its_password(pki):
    """The outer structure tells a damaged or wrong file from a wrong password."""
    for name in ("gvcn", "ecdsa", "school"):
        check_pkcs12_file(pki.leaf(name).p12)
    p12 = pki.leaf("gvcn").p12
    for damaged in (p12[: len(p12) // 2], p12[:-1], p12 + b"\x00"):
        with pytest.raises(SigningError, match="incomplete or damaged: it holds %d bytes where "
                                               "it declares %d" % (len(damaged), len(p12))):
            check_pkcs12_file(damaged)
        with pytest.raises(SigningError, match="incomplete or damaged"):
            Pkcs12Signer(damaged, "1234")  # not "the password is wrong"
    certificate = pki.leaf("gvcn").certificate
    for wrong in (b"", b"\x30", b"\x30\x80", pki.leaf("gvcn").cert_pem,
                  certificate.public_bytes(serialization.Encoding.DER), b"PK\x03\x04" + p12,
                  bytes(range(256)) * 8):
        with pytest.raises(SigningError, match="not a certificate file with a private key"):
            check_pkcs12_file(wrong)


def test_pkcs12_close_forgets_the_key(pki):
    signer = Pkcs12Signer(pki.leaf("gvbm").p12, "1234")
    signer.close()
    signer.close()  # twice is fine
    with pytest.raises(SigningError, match="session is closed"):
        signer.sign(DATA)


# --- PKCS#11 on a real SoftHSM2 token ------------------------------------------------------------
@pytest.fixture(scope="module")
def tokens(pki):
    """Tokens made once, before any session: SoftHSM2 lists tokens at C_Initialize."""
    try:
        module = softhsm.find_module()
    except softhsm.SoftHsmError as exc:
        pytest.fail(str(exc))
    assert shutil.which("softhsm2-util"), softhsm.INSTALL_HINT
    made = {
        "rsa": softhsm.create_token("hb-gvcn", pki.leaf("gvcn").key,
                                    pki.leaf("gvcn").certificate, pin="2468"),
        "ec": softhsm.create_token("hb-ecdsa", pki.leaf("ecdsa").key,
                                   pki.leaf("ecdsa").certificate, pin="1357"),
        "keyonly": softhsm.create_token("hb-keyonly", pki.leaf("hieutruong").key, None,
                                        pin="9999", key_label="hieutruong"),
    }
    assert all(token.module_path == module for token in made.values())
    assert os.environ["SOFTHSM2_CONF"].endswith("softhsm2.conf")
    return made


def test_token_signs_rsa_with_its_own_certificate(pki, tokens):
    module, label, pin = tokens["rsa"]
    with Pkcs11Signer(module, label, pin) as signer:
        assert signer.certificate == pki.leaf("gvcn").certificate  # read from the token
        assert signer.algorithm == RSA_SHA256
        signature = signer.sign(DATA)
    assert_verifies(pki.leaf("gvcn").certificate, signature)
    with pytest.raises(SigningError, match="closed"):
        signer.sign(DATA)


def test_token_signs_ecdsa_as_der(pki, tokens):
    with Pkcs11Signer(*tokens["ec"]) as signer:
        assert signer.algorithm == ECDSA_SHA256
        signature = signer.sign(DATA)
    assert signature[0] == 0x30  # DER SEQUENCE, not the raw r||s of PKCS#11
    assert_verifies(pki.leaf("ecdsa").certificate, signature)


def test_wrong_pin_is_refused_and_does_not_linger(tokens):
    module, label, pin = tokens["rsa"]
    with pytest.raises(SigningError) as caught:
        Pkcs11Signer(module, label, "0000")
    assert caught.value.message == "The PIN of the token is wrong."
    with Pkcs11Signer(module, label, pin) as signer:
        assert len(signer.sign(DATA)) == 256
    # After the good session closed, the token is logged out again: a wrong PIN still fails.
    with pytest.raises(SigningError, match="PIN of the token is wrong"):
        Pkcs11Signer(module, label, "1111")


def test_second_session_on_a_logged_in_token_is_refused(tokens):
    module, label, pin = tokens["rsa"]
    with Pkcs11Signer(module, label, pin):
        with pytest.raises(SigningError, match="already in use"):
            Pkcs11Signer(module, label, "0000")  # must not slip in on the first login


def test_unknown_token_and_key_are_named(tokens):
    module, _label, pin = tokens["rsa"]
    with pytest.raises(SigningError, match="No token labelled no-such-token was found"):
        Pkcs11Signer(module, "no-such-token", pin)
    with pytest.raises(SigningError, match="No signing key other-key was found on the token"):
        Pkcs11Signer(module, "hb-gvcn", pin, key_label="other-key")


def test_token_without_certificate_uses_the_given_one(pki, tokens):
    module, label, pin = tokens["keyonly"]
    with pytest.raises(SigningError, match="holds no certificate"):
        Pkcs11Signer(module, label, pin)
    cert = pki.leaf("hieutruong").certificate
    with Pkcs11Signer(module, label, pin, key_label="hieutruong", cert=cert) as signer:
        assert_verifies(cert, signer.sign(DATA))
    with pytest.raises(SigningError, match="does not match the certificate"):
        Pkcs11Signer(module, label, pin, cert=pki.leaf("gvbm").certificate)


def test_list_tokens_shows_the_labels(tokens):
    labels = {token.label for token in list_tokens(tokens["rsa"].module_path)}
    assert {"hb-gvcn", "hb-ecdsa", "hb-keyonly"} <= labels


def test_missing_driver_gives_a_clear_error():
    with pytest.raises(SigningError, match="token driver /nonexistent/libp11.so could not be"):
        Pkcs11Signer("/nonexistent/libp11.so", "x", "1234")


# --- end to end: the backends sign real record slots, and the verifier accepts them -----------
def test_backends_sign_record_slots_that_verify(pki, tokens):
    """A token, a key whose value comes back later (the two phases every remote provider and
    the teacher's own USB token go through: tests/lib/test_providers_*, test_agent) and an
    ECDSA file key sign one record; the verifier accepts all three."""
    from hocbaso.samples import sample_primary_record
    from hocbaso.signing import xmldsig
    from hocbaso.verify import verify_document
    from hocbaso.xmlprofile import get_profile

    xml = get_profile().build(sample_primary_record())
    with Pkcs11Signer(*tokens["rsa"]) as token_signer:  # Lê Thị Minh Nguyệt teaches TOAN
        xml = xmldsig.sign_slot(xml, xmldsig.ROLE_GVBM, token_signer, "TOAN")
    # Two phases: the digest goes out, the value comes back later from the key's holder.
    with Pkcs12Signer(pki.leaf("gvbm").p12, "1234") as holder:
        pending = xmldsig.prepare_signature(xml, xmldsig.ROLE_GVBM, holder.certificate, "NN1")
        xml = xmldsig.complete_signature(pending, holder.sign(pending.signed_info_c14n))
    with Pkcs12Signer(pki.leaf("ecdsa").p12, "1234") as ecdsa:
        xml = xmldsig.sign_slot(xml, xmldsig.ROLE_GVBM, ecdsa, "TINCN")
    report = verify_document(xml, pki.trusted, pki.intermediates, pki.crls)
    by_subject = {sig.subject_code: sig for sig in report.signatures}
    assert set(by_subject) == {"TOAN", "NN1", "TINCN"}
    for code, personal_id in (("TOAN", "001186004521"), ("NN1", "001089007732"),
                              ("TINCN", "034090001287")):
        sig = by_subject[code]
        assert sig.signature_ok and sig.chain_ok and sig.digests_ok, sig.errors
        assert sig.personal_id == personal_id
