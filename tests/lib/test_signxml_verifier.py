"""signxml, a second XML-DSig implementation independent of ours and of xmlsec1, verifies
the committed signed samples and freshly signed records, and refuses tampered ones.

signxml checks each signature's references and value against the certificate given (the
leaf from KeyInfo); trust in that certificate is hocbaso.signing.certs' job, and xmlsec1's
in the other tests."""

from __future__ import annotations

import pathlib

import pytest
from dsig_fixtures import sign_all
from lxml import etree
from signxml import InvalidSignature, SignatureConfiguration, XMLVerifier

from hocbaso.signing import xmldsig as X

SAMPLES = pathlib.Path(__file__).resolve().parents[2] / "data" / "samples" / "signed"


def signxml_results(xml_bytes: bytes) -> dict[str, object]:
    """Signature Id -> signxml's verdict: the number of references it verified, or the
    exception it raised."""
    root = etree.fromstring(xml_bytes)
    tree = root.getroottree()
    results = {}
    for slot in X.Layout.of(root).slots():
        for signature in slot.signatures:
            certificate = X.signature_certificates(signature)[0]
            signed_at = X.parse_signing_time(signature.findtext(".//" + X.xades("SigningTime")))
            config = SignatureConfiguration(
                location="./%s/" % tree.getelementpath(slot.element),  # this slot's signature
                expect_references=True, verification_time=signed_at)
            try:
                verified = XMLVerifier().verify(xml_bytes, x509_cert=certificate,
                                                id_attribute="Id", expect_config=config)
                results[signature.get("Id")] = len(verified)
            except InvalidSignature as exc:
                results[signature.get("Id")] = exc
    return results


def _reference_counts(xml_bytes: bytes) -> dict[str, int]:
    root = etree.fromstring(xml_bytes)
    return {signature.get("Id"): len(signature.findall(X.ds("SignedInfo") + "/"
                                                       + X.ds("Reference")))
            for signature in root.iter(X.ds("Signature"))}


@pytest.mark.parametrize("name", ["hocbaso-1.0-primary-signed.xml",
                                  "hocbaso-1.0-secondary-signed.xml"])
def test_signxml_verifies_the_committed_samples(name):
    xml = (SAMPLES / name).read_bytes()
    results = signxml_results(xml)
    # every signature of the record, each with all its references (GVCN covers the payload
    # and every subject teacher's signature, and so on)
    assert results == _reference_counts(xml)
    assert {"sig-gvcn", "sig-cbql", "sig-phathanh"} <= set(results)


def test_signxml_verifies_a_freshly_signed_record(pki, unsigned):
    record, xml = unsigned
    signed = sign_all(xml, record, pki)
    ecdsa = X.sign_slot(xml, X.ROLE_GVBM, pki.signers["ec"], record.subjects[0].code)
    for document in (signed, ecdsa):
        results = signxml_results(document)
        assert results == _reference_counts(document)


def test_signxml_refuses_what_our_verifier_refuses(pki, unsigned):
    """A changed score breaks its teacher's signature and every later one, in signxml too."""
    record, xml = unsigned
    signed = sign_all(xml, record, pki)
    root = etree.fromstring(signed)
    code = record.subjects[0].code
    level = root.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-%s']/MUC_DAT_DUOC"
                      % code)
    level.text = "C" if level.text != "C" else "T"
    results = signxml_results(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    broken = {sig_id for sig_id, result in results.items() if isinstance(result, Exception)}
    assert broken == {X.subject_signature_id(code), "sig-gvcn", "sig-cbql", "sig-phathanh"}
