"""A signature copied into another record: each signature names the record it was made for.

Two records with the same results in a subject give their subject teacher's signatures
byte-identical references; without a name, a signature made for one verifies in the other
(xmlsec1 still accepts the copy: it checks cryptography, not which record). Our verifier
refuses it and says which record it was made for; a signature made before names existed is
accepted with a warning when nothing else binds it (hocbaso.signing.dsig_binding)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from dsig_fixtures import NOW, sign_all, sign_subjects, teacher_signer, xmlsec1_verify
from lxml import etree

from hocbaso.errors import SigningError
from hocbaso.signing import dsig_binding as B
from hocbaso.signing import xmldsig as X
from hocbaso.signing.dsig_primitives import sha256_c14n
from hocbaso.verify import verify_document
from hocbaso.xmlprofile import get_profile

SIGNING_TIME = NOW - dt.timedelta(hours=2)
OTHER_UUID = "7b1e0c52-3d4f-4a6b-8c9d-0e1f2a3b4c5d"
CODE = "TOAN"


def _other_record(record, **changes):
    """Another student's record with the same results: ``changes`` to the record itself."""
    student = dataclasses.replace(record.student, full_name="Trần Văn Bình")
    other = dataclasses.replace(record, student=student, **changes)
    return other, get_profile().build(other)


@pytest.fixture(scope="module")
def records(unsigned):
    """(record A, its XML), (record B, its XML): another student, the same subject results."""
    record, xml = unsigned
    return (record, xml), _other_record(record, record_uuid=OTHER_UUID)


def _slot_path(role, subject_code=None):
    if role == X.ROLE_GVBM:
        return "DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM[@MaMon='%s']" % subject_code
    return {X.ROLE_GVCN: "DANH_SACH_THONG_TIN_KY/GVCN", X.ROLE_CBQL: "PHAT_HANH_HOC_BA/CBQL",
            X.ROLE_ISSUER: "PHAT_HANH_HOC_BA/KY_PHAT_HANH"}[role]


def _copy_signature(source: bytes, target: bytes, role, subject_code=None) -> bytes:
    """``target`` with the signature of ``role`` taken from ``source`` (the attack)."""
    path = _slot_path(role, subject_code)
    signature = etree.fromstring(source).find(path + "/" + X.ds("Signature"))
    assert signature is not None
    root = etree.fromstring(target)
    slot = root.find(path)
    assert not len(slot)
    slot.append(signature)
    return X.serialize(root)


def _report(xml, pki):
    return verify_document(xml, [pki.root], [pki.intermediate])


def _entry(report, signature_id):
    return next(s for s in report.signatures if s.signature_id == signature_id)


def _teacher(pki, record, code=CODE):
    subject = next(s for s in record.subjects if s.code == code)
    return teacher_signer(pki, subject.teacher.name, subject.teacher.personal_id)


def _subject_element(xml, code=CODE):
    return etree.tostring(etree.fromstring(xml).find(
        "DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-%s']" % code), method="c14n")


def old_style_signature(xml: bytes, role, signer, subject_code=None) -> bytes:
    """A signature as versions before the binding made it: XAdES-BES with SigningTime and
    SigningCertificateV2 only. Built with today's two phases, then the record's name is taken
    out and the SignedProperties digest and the value made again over what is left."""
    pending = X.prepare_signature(xml, role, signer.certificate, subject_code,
                                  signing_time=SIGNING_TIME)
    root = etree.fromstring(pending.document)
    signature = next(s for s in root.iter(X.ds("Signature"))
                     if s.get("Id") == pending.signature_id)
    props = signature.find(".//" + X.xades("SignedProperties"))
    props.remove(props.find(X.xades("SignedDataObjectProperties")))
    reference = signature.find("%s/%s[@URI='#%s']" % (X.ds("SignedInfo"), X.ds("Reference"),
                                                      props.get("Id")))
    reference.find(X.ds("DigestValue")).text = X.b64(sha256_c14n(props))
    signed = X.canonicalize(signature.find(X.ds("SignedInfo")))
    signature.find(X.ds("SignatureValue")).text = X.b64(
        X.to_xmldsig_value(signer.certificate, signer.sign(signed)))
    return X.serialize(root)


# --- the attack, per role ------------------------------------------------------------------
def test_a_subject_teachers_signature_copied_into_another_record_is_refused(pki, records,
                                                                             tmp_path):
    (record, xml), (other, other_xml) = records
    assert _subject_element(xml) == _subject_element(other_xml)  # the same results
    made_for_a = X.sign_slot(xml, X.ROLE_GVBM, _teacher(pki, record), CODE,
                             signing_time=SIGNING_TIME)
    copied = _copy_signature(made_for_a, other_xml, X.ROLE_GVBM, CODE)

    # the cryptography holds: the references are the same bytes, so xmlsec1 accepts the copy
    assert xmlsec1_verify(copied, "sig-gvbm-" + CODE, pki, tmp_path).returncode == 0
    entry = _entry(_report(copied, pki), "sig-gvbm-" + CODE)
    assert entry.digests_ok and entry.signature_ok and entry.coverage_ok and entry.xades_ok
    # ... but the signature names record A, version 1
    assert not entry.valid
    assert any(record.record_uuid in error and "copied from another record" in error
               and error.template.startswith("The %(slot)s's signature was made for record")
               for error in entry.errors), entry.errors
    # in the record it was made for, it is valid and says nothing of binding
    own = _entry(_report(made_for_a, pki), "sig-gvbm-" + CODE)
    assert own.valid and not own.errors
    assert not [w for w in own.warnings if "name the record" in w]


@pytest.mark.parametrize("role", [X.ROLE_GVCN, X.ROLE_CBQL, X.ROLE_ISSUER])
def test_each_later_role_copied_into_another_record_is_refused(pki, records, role):
    """GVCN, CBQL and the issuer cover #data, whose header holds the record ID: the copy
    breaks that digest, and the signature's own name says which record it was made for."""
    (record, xml), (other, other_xml) = records
    previous = {X.ROLE_GVCN: "gvbm", X.ROLE_CBQL: X.ROLE_GVCN, X.ROLE_ISSUER: X.ROLE_CBQL}[role]
    signed_a = sign_all(xml, record, pki, until=role, signing_time=SIGNING_TIME)
    if previous == "gvbm":
        ready_b = sign_subjects(other_xml, other, pki, signing_time=SIGNING_TIME)
    else:
        ready_b = sign_all(other_xml, other, pki, until=previous, signing_time=SIGNING_TIME)
    copied = _copy_signature(signed_a, ready_b, role)
    report = _report(copied, pki)
    entry = _entry(report, X.SIGNATURE_IDS[role])
    assert not entry.valid and not report.valid
    assert not entry.digests_ok  # #data differs: the record ID is in it
    assert any(record.record_uuid in error and "copied from another record" in error
               for error in entry.errors), entry.errors


def test_a_signature_of_another_version_of_the_same_record_is_refused(pki, records):
    (record, xml), _ = records
    version_2, version_2_xml = _other_record(record, version=record.version + 1)
    made_for_v1 = X.sign_slot(xml, X.ROLE_GVBM, _teacher(pki, record), CODE,
                              signing_time=SIGNING_TIME)
    copied = _copy_signature(made_for_v1, version_2_xml, X.ROLE_GVBM, CODE)
    entry = _entry(_report(copied, pki), "sig-gvbm-" + CODE)
    assert entry.digests_ok and not entry.valid
    assert any("version %s, not for this record" % record.version in error
               for error in entry.errors), entry.errors


def test_the_name_cannot_be_changed_after_signing(pki, records):
    """The name is in the signed properties: pointing it at record B breaks the signature."""
    (record, xml), (_other, other_xml) = records
    made_for_a = X.sign_slot(xml, X.ROLE_GVBM, _teacher(pki, record), CODE,
                             signing_time=SIGNING_TIME)
    renamed = made_for_a.replace(b"MA_DINH_DANH_HOC_BA=" + record.record_uuid.encode(),
                                 b"MA_DINH_DANH_HOC_BA=" + OTHER_UUID.encode())
    assert renamed != made_for_a
    copied = _copy_signature(renamed, other_xml, X.ROLE_GVBM, CODE)
    entry = _entry(_report(copied, pki), "sig-gvbm-" + CODE)
    assert not entry.valid and not entry.digests_ok and not entry.xades_ok


# --- signatures made before the binding ------------------------------------------------------
def test_old_style_signatures_verify_with_a_warning(pki, records, tmp_path):
    (record, xml), (other, other_xml) = records
    document = xml
    for subject in record.subjects:
        document = old_style_signature(document, X.ROLE_GVBM, _teacher(pki, record, subject.code),
                                       subject.code)
    signers = {X.ROLE_GVCN: teacher_signer(pki, record.homeroom_teacher.name,
                                           record.homeroom_teacher.personal_id),
               X.ROLE_CBQL: teacher_signer(pki, record.leader.name, record.leader.personal_id),
               X.ROLE_ISSUER: pki.signers["phathanh"]}
    for role, signer in signers.items():
        document = old_style_signature(document, role, signer)
    assert b"CommitmentTypeIndication" not in document
    assert xmlsec1_verify(document, "sig-gvbm-" + CODE, pki, tmp_path).returncode == 0

    report = _report(document, pki)
    assert report.valid and report.complete, report.errors
    for entry in report.signatures:
        unbound = [w for w in entry.warnings if "does not name the record" in w]
        if entry.role == X.ROLE_GVBM:  # covers only its subject: nothing binds it
            assert len(unbound) == 1 and entry.valid
        else:  # covers #data, whose header holds the record ID: bound without a name
            assert not unbound and entry.valid

    # the attack the warning is about: the old signature also verifies in record B
    copied = _copy_signature(document, other_xml, X.ROLE_GVBM, CODE)
    entry = _entry(_report(copied, pki), "sig-gvbm-" + CODE)
    assert entry.valid and any("does not name the record" in w for w in entry.warnings)


def test_plain_xmldsig_cannot_name_the_record_and_is_warned_about(pki, records):
    (record, xml), _ = records
    plain = X.sign_slot(xml, X.ROLE_GVBM, _teacher(pki, record), CODE, xades_bes=False)
    entry = _entry(_report(plain, pki), "sig-gvbm-" + CODE)
    assert entry.valid and any("does not name the record" in w for w in entry.warnings)


def test_a_name_given_twice_or_by_half_is_an_error(pki, records):
    (record, xml), _ = records
    made = X.sign_slot(xml, X.ROLE_GVBM, _teacher(pki, record), CODE, signing_time=SIGNING_TIME)
    props = etree.fromstring(made).find(".//" + X.xades("SignedProperties"))
    assert B.read_binding(props) == B.RecordIdentity(record.record_uuid, str(record.version))
    qualifiers = props.find(".//" + X.xades("CommitmentTypeQualifiers"))
    etree.SubElement(qualifiers, X.xades("CommitmentTypeQualifier")).text = \
        "MA_DINH_DANH_HOC_BA=" + OTHER_UUID
    with pytest.raises(SigningError, match="2 values of MA_DINH_DANH_HOC_BA"):
        B.read_binding(props)
    for qualifier in list(qualifiers):  # the second ID and the version out: half a name
        if qualifier.text.startswith("PHIEN_BAN=") or qualifier.text.endswith(OTHER_UUID):
            qualifiers.remove(qualifier)
    with pytest.raises(SigningError, match="0 values of PHIEN_BAN"):
        B.read_binding(props)
    # other software's qualifiers are not ours to judge
    other = etree.Element(X.xades("SignedProperties"))
    etree.SubElement(other, X.xades("CommitmentTypeQualifier")).text = "purpose=archive"
    assert B.read_binding(other) is None


# --- every way of signing names the record ------------------------------------------------
def test_prepare_and_complete_carry_the_binding(pki, records):
    (record, xml), (_other, other_xml) = records
    signer = _teacher(pki, record)
    pending = X.prepare_signature(xml, X.ROLE_GVBM, signer.certificate, CODE,
                                  signing_time=SIGNING_TIME)
    kept = X.PendingSignature.from_dict(pending.to_dict())  # as stored between the phases
    props = etree.fromstring(kept.document).find(".//" + X.xades("SignedProperties"))
    assert B.read_binding(props) == B.RecordIdentity(record.record_uuid, str(record.version))
    done = X.complete_signature(kept, signer.sign(kept.signed_info_c14n))
    # the same bytes as one-shot signing at the same time
    assert done == X.sign_slot(xml, X.ROLE_GVBM, signer, CODE, signing_time=SIGNING_TIME)
    assert _entry(_report(done, pki), "sig-gvbm-" + CODE).valid
    copied = _copy_signature(done, other_xml, X.ROLE_GVBM, CODE)
    entry = _entry(_report(copied, pki), "sig-gvbm-" + CODE)
    assert not entry.valid and any(record.record_uuid in e for e in entry.errors)


def test_batch_signing_names_the_record_in_every_signature(pki, records):
    (record, xml), (other, other_xml) = records
    steps = [(X.ROLE_GVBM, _teacher(pki, record, s.code), s.code) for s in record.subjects]
    steps += [(X.ROLE_GVCN, teacher_signer(pki, record.homeroom_teacher.name,
                                           record.homeroom_teacher.personal_id), None),
              (X.ROLE_CBQL, teacher_signer(pki, record.leader.name, record.leader.personal_id),
               None),
              (X.ROLE_ISSUER, pki.signers["phathanh"], None)]
    signed, made = X.sign_slots_made(xml, steps, signing_time=SIGNING_TIME)
    assert len(made) == len(steps)
    root = etree.fromstring(signed)
    identity = B.RecordIdentity(record.record_uuid, str(record.version))
    for entry in made:
        signature = next(s for s in root.iter(X.ds("Signature"))
                         if s.get("Id") == entry.signature_id)
        assert B.read_binding(signature.find(".//" + X.xades("SignedProperties"))) == identity
    assert _report(signed, pki).valid

    # record B signed in the same batch call shape: its signatures name B, not A
    other_steps = [(role, signer, code) for role, signer, code in steps if role == X.ROLE_GVBM]
    signed_b, _ = X.sign_slots_made(other_xml, other_steps, signing_time=SIGNING_TIME)
    props_b = etree.fromstring(signed_b).find(".//" + X.xades("SignedProperties"))
    assert B.read_binding(props_b).record_id == OTHER_UUID

    copied = _copy_signature(signed, other_xml, X.ROLE_GVBM, CODE)
    entry = _entry(_report(copied, pki), "sig-gvbm-" + CODE)
    assert not entry.valid and any(record.record_uuid in e for e in entry.errors)


def test_a_record_without_its_id_cannot_be_signed(pki, records):
    (record, xml), _ = records
    root = etree.fromstring(xml)
    info = root.find("DU_LIEU_HOC_BA/THONG_TIN_HOC_BA")
    info.remove(info.find("MA_DINH_DANH_HOC_BA"))
    nameless = X.serialize(root)
    signer = _teacher(pki, record)
    with pytest.raises(SigningError, match="no record ID"):
        X.sign_slot(nameless, X.ROLE_GVBM, signer, CODE)
    with pytest.raises(SigningError, match="no record ID"):
        X.prepare_signature(nameless, X.ROLE_GVBM, signer.certificate, CODE)


def test_carried_signatures_keep_their_name_after_a_send_back(pki, records):
    """Send-back rebuilds the document with the same ID and version: signatures carried into
    it still name this record (hocbaso.signing.withdraw)."""
    from hocbaso.signing import withdraw as W

    (record, xml), _ = records
    signed = sign_all(xml, record, pki, until=X.ROLE_CBQL, signing_time=SIGNING_TIME)
    kept = W.withdraw(signed, W.signature_ids_after(signed, [record.subjects[0].code]))
    rebuilt = get_profile().build(record)
    carried = W.carry_over(kept, rebuilt)
    report = _report(carried, pki)
    assert report.signatures and all(s.valid and not s.errors for s in report.signatures)
