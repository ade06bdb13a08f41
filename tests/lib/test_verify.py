"""The verifier: per-signature facts, document-level verdicts, hostile input, packages."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from dsig_fixtures import NOW, make_pki, sign_all, sign_subjects
from lxml import etree

from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document, verify_package
from hocbaso.verify_report import VerificationReport

SIGNING_TIME = NOW - dt.timedelta(hours=3)


@pytest.fixture(scope="module")
def signed(pki, unsigned):
    record, xml = unsigned
    return sign_all(xml, record, pki, signing_time=SIGNING_TIME)


def _verify(xml, pki, **kw):
    return verify_document(xml, [pki.root], [pki.intermediate], **kw)


def _tostring(root):
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_report_of_a_fully_signed_record(pki, unsigned, signed):
    record, _ = unsigned
    report = _verify(signed, pki)
    assert report.valid and report.intact and report.order_ok and report.complete
    assert report.errors == [] and report.warnings == [] and report.missing == []
    assert report.signed_roles == ["gvbm:" + s.code for s in record.subjects] + \
        ["gvcn", "cbql", "phathanh"]
    first = report.signatures[0]
    subject = record.subjects[0]
    assert (first.role, first.subject_code, first.signature_id) == \
        ("gvbm", subject.code, "sig-gvbm-" + subject.code)
    assert first.signer_name == subject.teacher.name
    assert first.personal_id == subject.teacher.personal_id
    assert first.slot.endswith("DANH_SACH_GVBM/GVBM[1]")
    assert first.references == ["#mon-" + subject.code, "#xades-sig-gvbm-" + subject.code]
    assert first.signing_time == SIGNING_TIME.replace(microsecond=0)
    assert first.chain_ok and first.digests_ok and first.signature_ok and first.xades_ok
    issuer = report.signatures[-1]
    assert issuer.role == "phathanh" and issuer.tax_code == "0101234567"
    assert issuer.signer_name == "Trường Tiểu học Kim Đồng"
    cbql = report.signatures[-2]
    assert cbql.personal_id == record.leader.personal_id
    assert "#sig-gvcn" in cbql.references
    json.dumps(report.to_dict(), ensure_ascii=False)  # the CLI's --json needs plain data


def test_untrusted_root_or_no_root_fails_the_chain(signed, pki):
    stranger = make_pki()
    report = verify_document(signed, [stranger.root], [stranger.intermediate])
    assert not report.valid and report.intact  # content fine, trust not
    assert all(not s.chain_ok for s in report.signatures)
    assert report.signatures[0].errors and report.signatures[0].errors[0].startswith("Certificate")
    report = verify_document(signed, [])
    assert not report.valid
    assert report.signatures[0].chain_result == "not checked: no trusted root certificate was given"


def test_report_kept_as_data_reads_back_with_its_templates(signed):
    """A transfer keeps its report at import and shows it later in the reader's language: the
    problems must come back with their templates and parameters, not as frozen English."""
    report = verify_document(signed, [])  # no trust: every signature has chain problems
    data = json.loads(json.dumps(report.to_data()))
    again = VerificationReport.from_data(data)
    assert again.to_dict() == report.to_dict()
    problem, first = again.signatures[0].errors[0], report.signatures[0].errors[0]
    assert (problem.template, str(problem)) == (first.template, str(first))
    assert again.signatures[0].signing_time == report.signatures[0].signing_time


def test_certificate_validity_is_checked_at_the_signing_time(pki, unsigned):
    record, xml = unsigned
    expired = pki.issue("Giáo Viên Cũ", "CCCD:001085000777",
                        not_before=NOW - dt.timedelta(days=60),
                        not_after=NOW - dt.timedelta(days=1))
    while_valid = X.sign_slot(xml, X.ROLE_GVBM, expired, "TOAN",
                              signing_time=NOW - dt.timedelta(days=10))
    assert _verify(while_valid, pki).signatures[0].chain_ok
    after_expiry = X.sign_slot(xml, X.ROLE_GVBM, expired, "TOAN", signing_time=NOW)
    sig = _verify(after_expiry, pki).signatures[0]
    assert not sig.chain_ok and not sig.valid and sig.digests_ok and sig.signature_ok


@pytest.mark.parametrize("data, reason", [
    (b"", "not well-formed"),
    (b"<HOC_BA><unclosed></HOC_BA>", "not well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><HOC_BA>&e;'
     b"</HOC_BA>", "DOCTYPE"),
    (b"<invoice/>", "not HOC_BA"),
    (b'<HOC_BA PhienBanDinhDang="hocbaso-1.0"/>', "no DU_LIEU_HOC_BA"),
])
def test_bad_input_gives_an_invalid_report_not_an_exception(data, reason):
    report = verify_document(data, [])
    assert not report.valid and not report.intact
    assert report.errors and reason in report.errors[0]


def test_partially_signed_record_is_valid_but_incomplete(pki, unsigned):
    record, xml = unsigned
    partial = sign_subjects(xml, record, pki, codes={"TOAN", "TV"}, signing_time=SIGNING_TIME)
    report = _verify(partial, pki)
    assert report.valid and not report.complete
    assert "homeroom teacher (GVCN)" in report.missing
    assert "subject teacher (GVBM) of NN1" in report.missing
    assert report.signed_roles == ["gvbm:TV", "gvbm:TOAN"]  # document order of the slots


def test_removed_subject_signature_breaks_the_order_and_later_signatures(pki, signed):
    root = etree.fromstring(signed)
    slot = root.find("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM[@MaMon='TOAN']")
    slot.remove(slot[0])
    report = _verify(_tostring(root), pki)
    assert not report.valid and not report.order_ok and not report.intact
    assert any("homeroom teacher signed although subject TOAN" in e for e in report.errors)
    gvcn = {s.signature_id: s for s in report.signatures}["sig-gvcn"]
    assert "Reference #sig-gvbm-TOAN matches 0 elements instead of one." in gvcn.errors


def test_signature_moved_to_another_slot_is_refused(pki, unsigned):
    record, xml = unsigned
    xml = sign_all(xml, record, pki, until=X.ROLE_CBQL, signing_time=SIGNING_TIME)
    root = etree.fromstring(xml)
    signature = root.find("PHAT_HANH_HOC_BA/CBQL")[0]
    root.find("PHAT_HANH_HOC_BA/KY_PHAT_HANH").append(signature)
    report = _verify(_tostring(root), pki)
    assert not report.valid and not report.order_ok
    issuer = report.signatures[-1]
    assert issuer.role == "phathanh" and issuer.signature_id == "sig-cbql"
    assert any('must have Id "sig-phathanh"' in e for e in issuer.errors)
    assert any("before the school leader" in e for e in report.errors)


def test_duplicate_ids_are_refused(pki, signed):
    root = etree.fromstring(signed)
    line = root.find("DU_LIEU_HOC_BA/DANH_SACH_DIEM/DIEM_TONG_KET[@Id='mon-TOAN']")
    decoy = etree.fromstring(etree.tostring(line))
    decoy.find("MUC_DAT_DUOC").text = "C"
    root.append(decoy)  # a second mon-TOAN outside the payload (signature wrapping)
    report = _verify(_tostring(root), pki)
    assert not report.valid
    assert any("share the Id mon-TOAN" in e for e in report.errors)
    toan = {s.signature_id: s for s in report.signatures}["sig-gvbm-TOAN"]
    assert not toan.valid


def test_signer_not_named_in_the_record_gives_a_warning(pki, unsigned):
    record, xml = unsigned
    out = X.sign_slot(xml, X.ROLE_GVBM, pki.signers["other"], "TOAN", signing_time=SIGNING_TIME)
    report = _verify(out, pki)
    toan = next(s for s in record.subjects if s.code == "TOAN")
    assert report.warnings == [
        "The subject teacher (GVBM) of TOAN signed with the certificate of personal ID "
        "001085000999, but the record names %s." % toan.teacher.personal_id]


def test_future_signing_time_and_reversed_times(pki, unsigned):
    record, xml = unsigned
    future = X.sign_slot(xml, X.ROLE_GVBM, pki.signers["gvcn"], "TOAN",
                         signing_time=NOW + dt.timedelta(days=1))
    sig = _verify(future, pki).signatures[0]
    assert not sig.valid and any("later than the verification time" in e for e in sig.errors)
    # the homeroom teacher claims to have signed an hour before the subject teachers
    xml = sign_subjects(xml, record, pki, signing_time=SIGNING_TIME)
    xml = X.sign_slot(xml, X.ROLE_GVCN, pki.signers["gvcn"],
                      signing_time=SIGNING_TIME - dt.timedelta(hours=1))
    report = _verify(xml, pki)
    assert report.valid  # clocks differ between machines: a warning, not a failure
    assert any("homeroom teacher (GVCN)'s signing time" in w for w in report.warnings)


def test_unsigned_content_beside_the_slots_is_refused(pki, signed):
    root = etree.fromstring(signed)
    note = etree.SubElement(root, "GHI_CHU")
    note.text = "Học sinh được lên lớp"  # not covered by any signature
    report = _verify(_tostring(root), pki)
    assert report.intact and not report.valid
    assert any(e.startswith("The record does not follow the hocbaso-1.0 format")
               for e in report.errors)
    root = etree.fromstring(signed)
    X_object = etree.SubElement(root.find("DANH_SACH_THONG_TIN_KY/GVCN"), X.ds("Object"))
    X_object.text = "extra"
    report = _verify(_tostring(root), pki)
    assert "The slot of the homeroom teacher (GVCN) holds elements other than a signature." \
        in report.errors


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_package_reading_is_bounded_by_size_not_by_member_count(pki, signed):
    """Many highly compressed XML members (5 MB of spaces each packs into about 5 KB) are
    read only up to MAX_ZIP_READ_BYTES in all: reading them all would take gigabytes."""
    from hocbaso.safexml import DEFAULT_MAX_BYTES
    from hocbaso.verify import MAX_ZIP_READ_BYTES, find_record_in_zip

    filler = b"<x>" + b" " * (DEFAULT_MAX_BYTES - 10) + b"</x>"
    count = MAX_ZIP_READ_BYTES // len(filler) + 1
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(count):
            archive.writestr(f"filler{i:03d}.xml", filler)
        archive.writestr("hocba.xml", signed)  # beyond what is read
    package = buffer.getvalue()
    assert len(package) < 64 * 1024
    assert find_record_in_zip(package)[0] == "filler000.xml"  # the fallback, the record unread
    # within the bound, a record after other XML files is found
    small = _zip({"a.xml": b"<x/>", "b.xml": filler, "hocba.xml": signed})
    assert find_record_in_zip(small) == ("hocba.xml", signed)


def test_refusals_keep_their_template_for_translation():
    """A problem from a library error stays text, and keeps the template it was made from."""
    from hocbaso.errors import Problem

    problem = verify_document(b"<!DOCTYPE x><HOC_BA/>", []).errors[0]
    assert isinstance(problem, Problem) and "DOCTYPE" in problem
    assert problem.template.startswith("The XML file contains a DOCTYPE")
    assert json.loads(json.dumps(verify_package(b"PK\x03\x04", []).to_dict()))["errors"]


def test_verify_package_finds_the_record(pki, signed):
    package = _zip({"manifest.json": b"{}", "attachments/extra.xml": b"<x/>",
                    "hocba.xml": signed})
    report = verify_package(package, [pki.root], [pki.intermediate])
    assert report.valid and report.source == "hocba.xml"
    assert not verify_package(b"PK\x03\x04broken", [pki.root]).valid
    empty = verify_package(_zip({"readme.txt": b"hi"}), [pki.root])
    assert not empty.valid and "no record XML" in empty.errors[0]
