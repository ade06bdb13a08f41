"""Correction before issuance in the document: withdrawing signatures, carrying the others."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from dsig_fixtures import NOW, sign_all, sign_subjects, teacher_signer, xmlsec1_verify
from lxml import etree

from hocbaso.errors import SigningError
from hocbaso.signing import withdraw as W
from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document
from hocbaso.xmlprofile import get_profile

SIGNING_TIME = NOW - dt.timedelta(hours=2)


def _ids(xml: bytes) -> list[str]:
    return [sig.get("Id") for sig in etree.fromstring(xml).iter(X.ds("Signature"))]


@pytest.fixture(scope="module")
def leader_signed(pki, unsigned):
    record, xml = unsigned
    return sign_all(xml, record, pki, until="cbql", signing_time=SIGNING_TIME)


def test_a_subject_withdraws_its_own_and_every_later_signature(unsigned, leader_signed):
    record, _xml = unsigned
    first, second = record.subjects[0].code, record.subjects[1].code
    ids = W.signature_ids_after(leader_signed, [first])
    assert set(ids) == {X.subject_signature_id(first), "sig-gvcn", "sig-cbql"}
    left = W.withdraw(leader_signed, ids)
    assert X.subject_signature_id(second) in _ids(left)
    assert not set(ids) & set(_ids(left))
    # the homeroom teacher's part alone: every subject signature stays
    assert set(W.signature_ids_after(leader_signed)) == {"sig-gvcn", "sig-cbql"}


def test_withdraw_refuses_a_signature_the_record_lacks(leader_signed):
    with pytest.raises(SigningError, match="no signature sig-phathanh"):
        W.withdraw(leader_signed, ["sig-phathanh"])


def test_carried_signatures_verify_in_the_rebuilt_document(pki, unsigned, leader_signed,
                                                           tmp_path):
    record, _xml = unsigned
    first, second = record.subjects[0].code, record.subjects[1].code
    left = W.withdraw(leader_signed, W.signature_ids_after(leader_signed, [first]))
    # the teacher of the first subject corrects its comment; the document is built anew
    subjects = [dataclasses.replace(s, comment="Đã sửa") if s.code == first else s
                for s in record.subjects]
    corrected = dataclasses.replace(record, subjects=subjects)
    rebuilt = get_profile().build(corrected)
    carried = W.carry_over(left, rebuilt)
    assert b"\xc4\x90\xc3\xa3 s\xe1\xbb\xada" in carried  # "Đã sửa" is in the document
    assert X.subject_signature_id(second) in _ids(carried)
    result = xmlsec1_verify(carried, X.subject_signature_id(second), pki, tmp_path)
    assert result.returncode == 0, result.stderr
    # signed again from the corrected subject on, the whole record verifies
    full = sign_subjects(carried, corrected, pki, codes=[first], signing_time=SIGNING_TIME)
    for role, signer in ((X.ROLE_GVCN, teacher_signer(pki, corrected.homeroom_teacher.name,
                                                       corrected.homeroom_teacher.personal_id)),
                         (X.ROLE_CBQL, teacher_signer(pki, corrected.leader.name,
                                                      corrected.leader.personal_id)),
                         (X.ROLE_ISSUER, pki.signers["phathanh"])):
        full = X.sign_slot(full, role, signer, signing_time=SIGNING_TIME)
    report = verify_document(full, [pki.root], [pki.intermediate])
    assert report.valid and report.complete


def test_a_correction_of_a_subject_still_signed_is_refused(unsigned, leader_signed):
    record, _xml = unsigned
    first, second = record.subjects[0].code, record.subjects[1].code
    left = W.withdraw(leader_signed, W.signature_ids_after(leader_signed, [first]))
    # the second subject was not sent back, yet its result changed
    subjects = [dataclasses.replace(s, comment="Sửa lén") if s.code == second else s
                for s in record.subjects]
    rebuilt = get_profile().build(dataclasses.replace(record, subjects=subjects))
    with pytest.raises(SigningError, match="send that part back"):
        W.carry_over(left, rebuilt)
