"""The printed record certified by a key held elsewhere (hocbaso.pdfsign_deferred): only the
digest of the CMS signed attributes leaves the server; the answer is checked before it goes
into the PDF; the result is checked by pdfsign.verify_pdf and pyHanko's validator."""

# ruff: noqa: F811 - the fixtures of test_pdfsign, imported, are the tests' arguments
from __future__ import annotations

import hashlib
import io

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils
from test_pdfsign import _chain, _check, printed, record_xml, tsa_url  # noqa: F401 - fixtures

from hocbaso import pdfsign
from hocbaso.errors import SigningError
from hocbaso.pdfsign_deferred import PreparedPdf, finish, prepare
from hocbaso.verify import verify_document


def _sign_digest(leaf, digest: bytes) -> bytes:
    """What a provider does: the 32-byte digest signed as is (no second hash)."""
    if isinstance(leaf.key, ec.EllipticCurvePrivateKey):
        return leaf.key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    return leaf.key.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))


def _round_trip(printed, test_pki, leaf_name="school", **kwargs):
    leaf = test_pki.leaf(leaf_name)
    prepared, digest = prepare(printed, leaf.certificate, _chain(test_pki),
                               reason="Phát hành học bạ", location="Hà Nội", **kwargs)
    assert len(digest) == 32 and digest == hashlib.sha256(prepared.signed_attrs).digest()
    # kept in the database between the request and the approval
    kept = PreparedPdf.from_json(prepared.to_json())
    assert kept == prepared
    return leaf, kept, digest


def test_deferred_signature_certifies_the_pdf(printed, record_xml, test_pki, pki):
    leaf, kept, digest = _round_trip(printed, test_pki)
    assert printed not in (kept.pdf,) and kept.pdf.startswith(printed)
    signed = finish(kept, _sign_digest(leaf, digest), leaf.certificate)
    assert signed.startswith(printed), "an incremental update: every byte printed is kept"
    report = _check(signed, test_pki)
    assert report.ok, [str(p) for s in report.signatures for p in s.problems]
    (signature,) = report.signatures
    assert signature.certificate == leaf.certificate
    assert signature.certification and signature.covers_document and signature.intact
    assert signature.timestamp_ok is None
    assert report.record_xml == record_xml
    assert verify_document(report.record_xml, [pki.root], [pki.intermediate]).valid
    # pyHanko's own validator, with nothing of ours in between
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[0]
    status = validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[pdfsign._asn1(test_pki.root)], allow_fetching=False,
        revocation_mode="soft-fail"))
    assert status.intact and status.valid and status.trusted
    assert status.docmdp_ok is not False


def test_ecdsa_key_through_the_deferred_path(printed, test_pki):
    leaf, kept, digest = _round_trip(printed, test_pki, "ecdsa")
    signed = finish(kept, _sign_digest(leaf, digest), leaf.certificate)
    report = _check(signed, test_pki)
    assert report.ok and report.signatures[0].signer_name == leaf.spec.common_name


def test_a_forged_or_wrong_value_is_refused(printed, test_pki):
    leaf, kept, digest = _round_trip(printed, test_pki)
    other = test_pki.leaf("gvcn")
    forged = [
        _sign_digest(other, digest),  # another key
        _sign_digest(leaf, hashlib.sha256(b"another document").digest()),  # another digest
        b"\x00" * 256,  # junk of the right size
        b"",  # nothing
    ]
    for value in forged:
        with pytest.raises(SigningError, match="does not match the certificate"):
            finish(kept, value, leaf.certificate)
    # the state was prepared for the school's certificate, not another one
    with pytest.raises(SigningError, match="another certificate"):
        finish(kept, _sign_digest(other, digest), other.certificate)


def test_a_changed_prepared_pdf_is_refused(printed, test_pki):
    leaf, kept, digest = _round_trip(printed, test_pki)
    value = _sign_digest(leaf, digest)
    at = kept.pdf.index(b"/MediaBox")
    changed = kept.pdf[:at] + b"/MediaBoy" + kept.pdf[at + 9:]
    in_placeholder = kept.pdf[:kept.region_start + 5] + b"1" + kept.pdf[kept.region_start + 6:]
    for pdf in (changed, in_placeholder):
        tampered = PreparedPdf(**{**kept.__dict__, "pdf": pdf})
        with pytest.raises(SigningError, match="changed since"):
            finish(tampered, value, leaf.certificate)
    # the signed attributes swapped for another document's: the value no longer matches
    _other, other_kept, _digest = _round_trip(printed + b"\n", test_pki)
    mixed = PreparedPdf(**{**kept.__dict__, "signed_attrs": other_kept.signed_attrs})
    with pytest.raises(SigningError, match="changed since"):
        finish(mixed, value, leaf.certificate)
    with pytest.raises(SigningError, match="wrong form"):
        PreparedPdf.from_json('{"pdf": "not base64!"}')
    with pytest.raises(SigningError, match="not a PDF"):
        prepare(b"<html>", leaf.certificate)


def test_deferred_signature_with_a_timestamp(printed, test_pki, tsa_url):
    leaf, kept, digest = _round_trip(printed, test_pki, tsa_url=tsa_url)
    signed = finish(kept, _sign_digest(leaf, digest), leaf.certificate)
    report = _check(signed, test_pki)
    assert report.ok, [str(p) for s in report.signatures for p in s.problems]
    assert report.signatures[0].timestamp_ok is True
    down = PreparedPdf(**{**kept.__dict__, "tsa_url": "http://127.0.0.1:9/"})
    with pytest.raises(SigningError, match="did not give a timestamp"):
        finish(down, _sign_digest(leaf, digest), leaf.certificate, timeout=2)
