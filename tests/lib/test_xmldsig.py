"""Signing the slots of a hocbaso-1.0 record: order, form, two phases, and the real xmlsec1."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import serialization
from dsig_fixtures import (
    NOW,
    record_and_xml,
    sign_all,
    sign_subjects,
    teacher_signer,
    xmlsec1_verify,
)
from lxml import etree

from hocbaso.errors import SigningError
from hocbaso.signing import dsig_build
from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document
from hocbaso.xmlprofile import get_profile

# within the test certificates' validity (issued 30 days ago)
SIGNING_TIME = NOW - dt.timedelta(hours=2)


@pytest.fixture(scope="module")
def signed(pki, unsigned):
    record, xml = unsigned
    return sign_all(xml, record, pki, signing_time=SIGNING_TIME)


def _report(xml, pki):
    return verify_document(xml, [pki.root], [pki.intermediate])


def _by_id(report):
    return {s.signature_id: s for s in report.signatures}


def _payload_c14n(xml: bytes) -> bytes:
    return etree.tostring(etree.fromstring(xml).find("DU_LIEU_HOC_BA"), method="c14n")


def test_full_signing_in_order_verifies_with_xmlsec1(pki, unsigned, signed, tmp_path):
    record, xml = unsigned
    ids = [X.subject_signature_id(s.code) for s in record.subjects]
    ids += ["sig-gvcn", "sig-cbql", "sig-phathanh"]
    assert len(record.subjects) >= 2
    for node_id in ids:
        result = xmlsec1_verify(signed, node_id, pki, tmp_path)
        assert result.returncode == 0, "xmlsec1 refused %s: %s" % (node_id, result.stderr)
        assert "OK" in result.stdout + result.stderr
    # the payload is untouched and the signed file still follows the XSD
    assert _payload_c14n(signed) == _payload_c14n(xml)
    get_profile().validate(signed)
    report = _report(signed, pki)
    assert report.valid and report.intact and report.order_ok and report.complete
    assert [s.signature_id for s in report.signatures] == ids


def test_signature_form_is_xades_bes_with_id_references(signed):
    root = etree.fromstring(signed)
    signature = root.find("PHAT_HANH_HOC_BA/KY_PHAT_HANH/" + X.ds("Signature"))
    signed_info = signature.find(X.ds("SignedInfo"))
    assert signed_info.find(X.ds("CanonicalizationMethod")).get("Algorithm") == X.C14N
    assert signed_info.find(X.ds("SignatureMethod")).get("Algorithm") == X.RSA_SHA256
    refs = signed_info.findall(X.ds("Reference"))
    uris = [r.get("URI") for r in refs]
    assert uris[0] == "#data" and uris[-3:] == ["#sig-gvcn", "#sig-cbql", "#xades-sig-phathanh"]
    assert refs[-1].get("Type") == X.XADES_SIGNED_PROPERTIES_TYPE
    transforms = [t.get("Algorithm") for t in signature.iter(X.ds("Transform"))]
    assert transforms and set(transforms) == {X.C14N}  # no enveloped transform
    assert all(r.find(X.ds("DigestMethod")).get("Algorithm") == X.SHA256 for r in refs)
    props = signature.find(".//" + X.xades("SignedProperties"))
    assert props.get("Id") == "xades-sig-phathanh"
    expected_time = SIGNING_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert props.findtext(".//" + X.xades("SigningTime")) == expected_time
    assert props.find(".//" + X.xades("SigningCertificateV2") + "//" + X.xades("IssuerSerialV2")) \
        is not None
    assert signature.findtext(".//" + X.ds("X509Certificate"))


def test_signature_plan_per_role(pki, unsigned):
    record, xml = unsigned
    codes = [s.code for s in record.subjects]
    plan = X.signature_plan(xml, X.ROLE_GVBM, "TOAN")
    assert plan.signature_id == "sig-gvbm-TOAN" and plan.reference_uris == ["#mon-TOAN"]
    assert plan.slot.element.get("MaMon") == "TOAN"
    xml = sign_subjects(xml, record, pki)
    plan = X.signature_plan(xml, X.ROLE_GVCN)
    assert plan.reference_uris == ["#data"] + ["#sig-gvbm-" + c for c in codes]
    assert plan.slot.element.tag == "GVCN"


def test_wrong_order_is_refused_with_clear_messages(pki, unsigned):
    record, xml = unsigned
    gvcn = pki.signers["gvcn"]
    xml = sign_subjects(xml, record, pki, codes={"TV", "NN1"})
    with pytest.raises(SigningError) as exc:
        X.sign_slot(xml, X.ROLE_GVCN, gvcn)
    missing = [s.code for s in record.subjects if s.code not in {"TV", "NN1"}]
    assert exc.value.message == ("The homeroom teacher can sign only after every subject "
                                 "teacher has signed: missing %s." % ", ".join(missing))
    with pytest.raises(SigningError, match="only after the homeroom teacher"):
        X.sign_slot(xml, X.ROLE_CBQL, pki.signers["cbql"])
    with pytest.raises(SigningError, match="only after the school leader"):
        X.sign_slot(xml, X.ROLE_ISSUER, pki.signers["phathanh"])
    with pytest.raises(SigningError, match="no signature slot for subject XYZ"):
        X.sign_slot(xml, X.ROLE_GVBM, gvcn, "XYZ")
    # a subject slot emptied after the homeroom teacher signed cannot be signed again
    root = etree.fromstring(sign_all(record_and_xml()[1], record, pki, until=X.ROLE_GVCN))
    slot = root.find("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM[@MaMon='TOAN']")
    slot.remove(slot[0])
    emptied = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    with pytest.raises(SigningError, match="subject teachers can no longer sign"):
        X.prepare_signature(emptied, X.ROLE_GVBM, gvcn.certificate, "TOAN")


def test_a_signed_slot_cannot_be_signed_again(pki, unsigned, signed):
    record, xml = unsigned
    once = X.sign_slot(xml, X.ROLE_GVBM, pki.signers["gvcn"], "TOAN")
    with pytest.raises(SigningError, match="already signed this record"):
        X.sign_slot(once, X.ROLE_GVBM, pki.signers["gvcn"], "TOAN")
    for role in (X.ROLE_GVCN, X.ROLE_CBQL, X.ROLE_ISSUER):
        with pytest.raises(SigningError, match="already signed"):
            X.sign_slot(signed, role, pki.signers["other"])


def test_tampered_score_breaks_that_teacher_and_every_later_signature(pki, signed, tmp_path):
    root = etree.fromstring(signed)
    level = root.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-TOAN']/MUC_DAT_DUOC")
    level.text = "C" if level.text != "C" else "T"
    tampered = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    report = _report(tampered, pki)
    sigs = _by_id(report)
    assert not report.valid and not report.intact
    for sig_id in ("sig-gvbm-TOAN", "sig-gvcn", "sig-cbql", "sig-phathanh"):
        assert not sigs[sig_id].valid and not sigs[sig_id].digests_ok
    assert "The results of the subject this teacher signed were changed after signing." \
        in sigs["sig-gvbm-TOAN"].errors
    assert "The record's content was changed after signing." in sigs["sig-gvcn"].errors
    assert sigs["sig-gvbm-TV"].valid  # another subject is unaffected
    for node_id in ("sig-gvbm-TOAN", "sig-gvcn", "sig-phathanh"):
        assert xmlsec1_verify(tampered, node_id, pki, tmp_path).returncode != 0
    assert xmlsec1_verify(tampered, "sig-gvbm-TV", pki, tmp_path).returncode == 0


def test_a_changed_signing_time_is_told_in_words(pki, signed):
    """A reader sees which part changed (this signature's details), never an XML Id."""
    root = etree.fromstring(signed)
    signature = [sig for sig in root.iter(X.ds("Signature")) if sig.get("Id") == "sig-gvbm-TV"][0]
    moment = next(signature.iter(X.xades("SigningTime")))
    moment.text = moment.text.replace(":00Z", ":01Z") if moment.text.endswith(":00Z") \
        else moment.text[:-3] + "00Z"
    sigs = _by_id(_report(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), pki))
    errors = sigs["sig-gvbm-TV"].errors
    assert "This signature's details (signing time and certificate) were changed after " \
        "signing." in errors
    assert not any("#" in error for error in errors)


def test_tampered_homeroom_signature_breaks_leader_and_issuer(pki, signed, tmp_path):
    root = etree.fromstring(signed)
    value = root.find("DANH_SACH_THONG_TIN_KY/GVCN/%s/%s" % (X.ds("Signature"),
                                                             X.ds("SignatureValue")))
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    tampered = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    sigs = _by_id(_report(tampered, pki))
    assert not sigs["sig-gvcn"].signature_ok
    assert not sigs["sig-cbql"].valid and not sigs["sig-phathanh"].valid
    assert "The signature of the homeroom teacher (GVCN), which this signature covers, was " \
        "changed after signing." in sigs["sig-cbql"].errors
    assert all(s.valid for k, s in sigs.items() if k.startswith("sig-gvbm-"))
    assert xmlsec1_verify(tampered, "sig-cbql", pki, tmp_path).returncode != 0


def test_swapped_certificate_in_keyinfo_is_invalid(pki, signed, tmp_path):
    root = etree.fromstring(signed)
    cert = root.find(".//GVCN//" + X.ds("X509Certificate"))
    other = pki.signers["other"].certificate
    cert.text = base64.b64encode(other.public_bytes(serialization.Encoding.DER)).decode()
    swapped = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    gvcn = _by_id(_report(swapped, pki))["sig-gvcn"]
    assert not gvcn.valid and not gvcn.signature_ok and not gvcn.xades_ok
    assert any("swapped" in e for e in gvcn.errors)
    assert xmlsec1_verify(swapped, "sig-gvcn", pki, tmp_path).returncode != 0


def test_two_phase_gives_the_same_validity_as_one_shot(pki, unsigned, tmp_path):
    record, xml = unsigned
    subject = record.subjects[0]
    signer = teacher_signer(pki, subject.teacher.name, subject.teacher.personal_id)
    pending = X.prepare_signature(xml, X.ROLE_GVBM, signer.certificate, subject.code,
                                  signing_time=SIGNING_TIME)
    assert pending.signature_id == X.subject_signature_id(subject.code)
    assert pending.reference_uris == ["#mon-" + subject.code, "#xades-sig-gvbm-" + subject.code]
    assert pending.digest == hashlib.sha256(pending.signed_info_c14n).digest()
    assert pending.signed_info_c14n.startswith(b"<ds:SignedInfo")
    # the pending document is already in place, with an empty value
    slot_sig = etree.fromstring(pending.document).find(
        "DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM[@MaMon='%s']/%s" % (subject.code,
                                                                       X.ds("Signature")))
    assert slot_sig is not None and not slot_sig.findtext(X.ds("SignatureValue"))
    # the pending state survives a round trip through plain data (database, browser)
    pending = X.PendingSignature.from_dict(json.loads(json.dumps(pending.to_dict())))
    two_phase = X.complete_signature(pending, signer.sign(pending.signed_info_c14n))
    one_shot = X.sign_slot(xml, X.ROLE_GVBM, signer, subject.code, signing_time=SIGNING_TIME)
    # RSA PKCS#1 v1.5 is deterministic: both ways give the same bytes
    assert two_phase == one_shot
    node = X.subject_signature_id(subject.code)
    assert xmlsec1_verify(two_phase, node, pki, tmp_path).returncode == 0
    assert _by_id(_report(two_phase, pki))[node].valid


def test_complete_refuses_a_wrong_signature_value_or_changed_document(pki, unsigned):
    record, xml = unsigned
    signer = pki.signers["ec"]
    pending = X.prepare_signature(xml, X.ROLE_GVBM, signer.certificate, "TOAN")
    wrong_key = pki.signers["other"].sign(pending.signed_info_c14n)
    with pytest.raises(SigningError, match="does not match the certificate"):
        X.complete_signature(pending, wrong_key)
    with pytest.raises(SigningError, match="does not match the certificate"):
        X.complete_signature(pending, b"\x00" * 64)
    changed = dataclasses.replace(
        pending, document=pending.document.replace(b'URI="#mon-TOAN"', b'URI="#mon-TV"'))
    with pytest.raises(SigningError, match="changed while waiting"):
        X.complete_signature(changed, signer.sign(pending.signed_info_c14n))
    # another key's certificate given at completion does not match the prepared KeyInfo
    other = pki.signers["other"]
    swapped = dataclasses.replace(pending, certificate=other.certificate,
                                  algorithm=other.algorithm)
    with pytest.raises(SigningError, match="changed while waiting"):
        X.complete_signature(swapped, other.sign(pending.signed_info_c14n))


def test_ecdsa_signer_works(pki, unsigned, tmp_path):
    record, xml = unsigned
    signer = pki.signers["ec"]
    assert signer.algorithm == X.ECDSA_SHA256
    out = X.sign_slot(xml, X.ROLE_GVBM, signer, "TOAN")
    sig = etree.fromstring(out).find(".//" + X.ds("Signature"))
    assert sig.find(".//" + X.ds("SignatureMethod")).get("Algorithm") == X.ECDSA_SHA256
    assert len(base64.b64decode(sig.findtext(X.ds("SignatureValue")))) == 64  # r||s, P-256
    assert xmlsec1_verify(out, "sig-gvbm-TOAN", pki, tmp_path).returncode == 0
    assert _by_id(_report(out, pki))["sig-gvbm-TOAN"].valid


def test_counter_signing_a_changed_record_is_refused(pki, unsigned):
    record, xml = unsigned
    xml = sign_subjects(xml, record, pki)
    tampered = xml.replace(b"<MA_MON_HOC>TOAN</MA_MON_HOC>", b"<MA_MON_HOC>TOAN</MA_MON_HOC> ", 1)
    assert tampered != xml
    with pytest.raises(SigningError, match="was changed after the subject teacher"):
        X.sign_slot(tampered, X.ROLE_GVCN, pki.signers["gvcn"])


def test_pretty_printed_record_and_plain_xmldsig(pki, unsigned, tmp_path):
    record, xml = unsigned
    root = etree.fromstring(xml)
    etree.indent(root)
    pretty = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    out = X.sign_slot(pretty, X.ROLE_GVBM, pki.signers["gvcn"], "TOAN", xades_bes=False)
    assert _payload_c14n(out) == _payload_c14n(pretty)
    assert b"QualifyingProperties" not in out
    assert xmlsec1_verify(out, "sig-gvbm-TOAN", pki, tmp_path).returncode == 0
    sig = _by_id(_report(out, pki))["sig-gvbm-TOAN"]
    assert sig.valid and sig.signing_time is None


def test_secondary_record_signs_and_verifies(pki, tmp_path):
    record, xml = record_and_xml(secondary=True)
    signed = sign_all(xml, record, pki, signing_time=SIGNING_TIME)
    report = _report(signed, pki)
    assert report.valid and report.complete and len(report.signatures) == len(record.subjects) + 3
    get_profile().validate(signed)
    for node_id in ("sig-gvbm-" + record.subjects[-1].code, "sig-phathanh"):
        assert xmlsec1_verify(signed, node_id, pki, tmp_path).returncode == 0


# --- sign_slots: several slots in one parse ----------------------------------------------------
class CountingSigner:
    """Wraps a signer and counts the key operations (to show refusals happen before any)."""

    def __init__(self, signer):
        self.inner = signer
        self.certificate = signer.certificate
        self.algorithm = signer.algorithm
        self.calls = 0

    def sign(self, data):
        self.calls += 1
        return self.inner.sign(data)


def _all_steps(record, pki, codes=None, roles=(X.ROLE_GVCN, X.ROLE_CBQL, X.ROLE_ISSUER)):
    """The steps sign_all takes, as (role, signer, subject_code) for sign_slots."""
    steps = [(X.ROLE_GVBM, teacher_signer(pki, s.teacher.name, s.teacher.personal_id), s.code)
             for s in record.subjects if codes is None or s.code in codes]
    signers = {
        X.ROLE_GVCN: teacher_signer(pki, record.homeroom_teacher.name,
                                    record.homeroom_teacher.personal_id),
        X.ROLE_CBQL: teacher_signer(pki, record.leader.name, record.leader.personal_id),
        X.ROLE_ISSUER: pki.signers["phathanh"],
    }
    return steps + [(role, signers[role], None) for role in roles]


def _all_ids(record):
    return [X.subject_signature_id(s.code) for s in record.subjects] + \
        ["sig-gvcn", "sig-cbql", "sig-phathanh"]


def _assert_fully_valid(xml, unsigned_xml, record, pki, tmp_path):
    for node_id in _all_ids(record):
        result = xmlsec1_verify(xml, node_id, pki, tmp_path)
        assert result.returncode == 0, "xmlsec1 refused %s: %s" % (node_id, result.stderr)
        assert "OK" in result.stdout + result.stderr
    assert _payload_c14n(xml) == _payload_c14n(unsigned_xml)
    get_profile().validate(xml)
    report = _report(xml, pki)
    assert report.valid and report.intact and report.order_ok and report.complete
    assert [s.signature_id for s in report.signatures] == _all_ids(record)


@pytest.mark.parametrize("secondary", [False, True], ids=["primary", "secondary"])
def test_sign_slots_all_roles_verifies_like_sign_slot(pki, signed, secondary, tmp_path):
    record, xml = record_and_xml(secondary=secondary)
    out = X.sign_slots(xml, _all_steps(record, pki), signing_time=SIGNING_TIME)
    _assert_fully_valid(out, xml, record, pki, tmp_path)
    # the same bytes as one sign_slot per step (RSA PKCS#1 v1.5 is deterministic)
    one_by_one = signed if not secondary else sign_all(xml, record, pki,
                                                       signing_time=SIGNING_TIME)
    assert out == one_by_one
    # later signatures cover the earlier signatures (and so their values)
    issuer = etree.fromstring(out).find("PHAT_HANH_HOC_BA/KY_PHAT_HANH/" + X.ds("Signature"))
    uris = [r.get("URI") for r in issuer.iter(X.ds("Reference"))]
    assert uris == ["#data"] + ["#" + i for i in _all_ids(record)[:-1]] + \
        ["#xades-sig-phathanh"]


def test_sign_slots_made_lists_each_signature_as_written(pki):
    """What a signing log keeps: role, subject, Id, certificate and the SignedInfo digest."""
    record, xml = record_and_xml()
    steps = _all_steps(record, pki)
    out, made = X.sign_slots_made(xml, steps, signing_time=SIGNING_TIME)
    assert out == X.sign_slots(xml, steps, signing_time=SIGNING_TIME)
    assert [(m.role, m.subject_code) for m in made] == [(r, c) for r, _s, c in steps]
    assert [m.signature_id for m in made] == _all_ids(record)
    root = etree.fromstring(out)
    for entry, (_role, signer, _code) in zip(made, steps):
        assert entry.certificate == signer.certificate
        signature = next(s for s in root.iter(X.ds("Signature"))
                         if s.get("Id") == entry.signature_id)
        signed_info = X.canonicalize(signature.find(X.ds("SignedInfo")))
        assert entry.digest == hashlib.sha256(signed_info).digest()
    assert X.sign_slots_made(out, []) == (out, [])


def test_sign_slots_refuses_the_same_order_violations(pki, unsigned):
    record, xml = unsigned
    codes = [s.code for s in record.subjects]
    gvbm = _all_steps(record, pki, roles=())
    gvcn, cbql, issuer = _all_steps(record, pki, codes=())

    def both_refuse(document, steps, match):
        """sign_slots refuses ``steps`` with the message sign_slot gives at the bad step,
        and no key is used."""
        counted = [(role, CountingSigner(signer), code) for role, signer, code in steps]
        with pytest.raises(SigningError, match=match) as many:
            X.sign_slots(document, counted)
        assert all(signer.calls == 0 for _, signer, _ in counted)
        with pytest.raises(SigningError) as one:
            for role, signer, code in steps:
                document = X.sign_slot(document, role, signer, code)
        assert many.value.message == one.value.message
        return many.value

    error = both_refuse(xml, [gvbm[0], gvcn], "homeroom teacher can sign only after")
    assert error.message.endswith("missing %s." % ", ".join(codes[1:]))
    both_refuse(xml, [cbql], "only after the homeroom teacher")
    both_refuse(xml, gvbm + [issuer], "only after the school leader")
    both_refuse(xml, [gvbm[0], gvbm[0]], "already signed this record")
    both_refuse(xml, gvbm + [gvcn, gvbm[0]], "already signed this record")
    both_refuse(xml, [(X.ROLE_GVBM, gvcn[1], "XYZ")], "no signature slot for subject XYZ")
    partly = sign_subjects(xml, record, pki, codes={"TV", "NN1"})
    both_refuse(partly, [gvcn, cbql], "missing")
    both_refuse(partly, [(X.ROLE_GVBM, gvbm[0][1], "TV")], "already signed this record")
    # a subject slot emptied after the homeroom teacher signed cannot be signed again
    root = etree.fromstring(X.sign_slots(xml, gvbm + [gvcn]))
    slot = root.find("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM[@MaMon='TOAN']")
    slot.remove(slot[0])
    emptied = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    both_refuse(emptied, [(X.ROLE_GVBM, gvcn[1], "TOAN")], "subject teachers can no longer sign")


def test_sign_slots_refuses_a_tampered_earlier_signature(pki, unsigned):
    record, xml = unsigned
    steps = _all_steps(record, pki)
    ready = X.sign_slots(xml, steps[:-2])  # every GVBM and the GVCN
    root = etree.fromstring(ready)
    value = root.find("DANH_SACH_THONG_TIN_KY/GVCN/%s/%s" % (X.ds("Signature"),
                                                             X.ds("SignatureValue")))
    raw = bytearray(base64.b64decode(value.text))
    raw[10] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    tampered = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    rest = [(role, CountingSigner(signer), code) for role, signer, code in steps[-2:]]
    with pytest.raises(SigningError, match="was changed after the homeroom teacher") as exc:
        X.sign_slots(tampered, rest)
    assert "does not match the signed content" in exc.value.message
    assert all(signer.calls == 0 for _, signer, _ in rest)
    # a changed score is refused the same way, naming the subject teacher
    changed = ready.replace(b"<MA_MON_HOC>TOAN</MA_MON_HOC>", b"<MA_MON_HOC>TOAN</MA_MON_HOC> ", 1)
    assert changed != ready
    with pytest.raises(SigningError, match="was changed after the subject teacher"):
        X.sign_slots(changed, rest)
    # sign_slot refuses the same documents with the same message
    with pytest.raises(SigningError) as one:
        X.sign_slot(tampered, *steps[-2])
    assert one.value.message == exc.value.message


def test_mixing_sign_slot_then_sign_slots_verifies(pki, unsigned, signed, tmp_path):
    record, xml = unsigned
    steps = _all_steps(record, pki)
    for split in (1, len(record.subjects), len(record.subjects) + 1):
        document = xml
        for role, signer, code in steps[:split]:
            document = X.sign_slot(document, role, signer, code, signing_time=SIGNING_TIME)
        document = X.sign_slots(document, steps[split:], signing_time=SIGNING_TIME)
        assert document == signed, split
    # and with sign_slots first, then sign_slot, then sign_slots again
    document = X.sign_slots(xml, steps[:2], signing_time=SIGNING_TIME)
    document = X.sign_slot(document, *steps[2], signing_time=SIGNING_TIME)
    document = X.sign_slots(document, steps[3:], signing_time=SIGNING_TIME)
    _assert_fully_valid(document, xml, record, pki, tmp_path)
    assert X.sign_slots(document, []) == document


def test_sign_slots_ecdsa_and_plain_xmldsig(pki, unsigned, tmp_path):
    record, xml = unsigned
    ec = pki.signers["ec"]
    steps = [(X.ROLE_GVBM, ec, s.code) for s in record.subjects]
    steps += _all_steps(record, pki, codes=())
    for xades_bes in (True, False):
        out = X.sign_slots(xml, steps, signing_time=SIGNING_TIME, xades_bes=xades_bes)
        assert (b"QualifyingProperties" in out) == xades_bes
        for node_id in ("sig-gvbm-TOAN", "sig-phathanh"):
            assert xmlsec1_verify(out, node_id, pki, tmp_path).returncode == 0
        report = _report(out, pki)
        assert report.intact and all(s.signature_ok and s.digests_ok for s in report.signatures)


def test_sign_slots_refuses_a_value_from_the_wrong_key(pki, unsigned):
    record, xml = unsigned

    class WrongKey(CountingSigner):
        def sign(self, data):
            self.calls += 1
            return pki.signers["other"].sign(data)

    steps = _all_steps(record, pki)
    steps[1] = (steps[1][0], WrongKey(steps[1][1]), steps[1][2])
    with pytest.raises(SigningError, match="does not match the certificate"):
        X.sign_slots(xml, steps)


def test_sign_slots_safety_net_catches_a_written_record_that_differs(pki, unsigned,
                                                                   monkeypatch):
    record, xml = unsigned
    serialize = X.serialize

    def changing_serialize(root):
        """Writes a record whose TOAN result differs from the one that was signed."""
        written = etree.fromstring(serialize(root))
        level = written.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-TOAN']/"
                             "MUC_DAT_DUOC")
        level.text = "C" if level.text != "C" else "T"
        return etree.tostring(written, xml_declaration=True, encoding="UTF-8")

    monkeypatch.setattr(dsig_build, "serialize", changing_serialize)
    with pytest.raises(SigningError,
                       match="TOAN signed it .The results of the subject this teacher signed"):
        X.sign_slots(xml, _all_steps(record, pki, codes={"TOAN"}, roles=()))
    monkeypatch.setattr(dsig_build, "serialize", serialize)
    assert X.sign_slots(xml, _all_steps(record, pki, codes={"TOAN"}, roles=()))


@pytest.mark.parametrize("change", ["value", "signed_info"])
def test_sign_slots_safety_net_checks_the_written_value(pki, unsigned, monkeypatch, change):
    """The value is checked again on the written bytes unless the SignedInfo, the value and
    the certificate written are exactly those checked when it was made."""
    record, xml = unsigned
    serialize = X.serialize

    def changing_serialize(root):
        written = etree.fromstring(serialize(root))
        signature = written.find(".//" + X.ds("Signature"))
        if change == "value":  # another valid-looking value: the last byte changed
            element = signature.find(X.ds("SignatureValue"))
            raw = bytearray(X.b64decode(element.text))
            raw[-1] ^= 1
            element.text = X.b64(bytes(raw))
        else:  # a SignedInfo whose digest was recomputed, as a forger would
            method = signature.find(X.ds("SignedInfo") + "/" + X.ds("SignatureMethod"))
            method.tail = "\n"
        return etree.tostring(written, xml_declaration=True, encoding="UTF-8")

    monkeypatch.setattr(dsig_build, "serialize", changing_serialize)
    with pytest.raises(SigningError, match="does not match the signed content"):
        X.sign_slots(xml, _all_steps(record, pki, codes={"TOAN"}, roles=()))
