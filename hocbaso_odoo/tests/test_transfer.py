"""Transfer out / in between schools, and records digitised from paper (trích lục)."""

import base64
import datetime as dt
import io
import json
import sys
import zipfile
from pathlib import Path
from unittest.mock import patch

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from hocbaso.signing import xmldsig
from hocbaso.signing.base import Signer

from ..tools import workflow
from .common import HocbasoCase

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # security.pki lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from security.pki import vn_name  # noqa: E402

NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


# --- a small real PKI and signers for the fixtures (generated here, never downloaded) ---------
class KeySigner(Signer):
    def __init__(self, key, certificate):
        self._key = key
        self.certificate = certificate

    def sign(self, data):
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _cert(subject, key, issuer_name, issuer_key, ca):
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=30)).not_valid_after(NOW + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    else:
        usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    return builder.add_extension(usage, critical=True).sign(issuer_key, hashes.SHA256())


class TestPki:
    """Root -> issuing CA -> one certificate per signer (CCCD or MST in the UID)."""

    __test__ = False  # a fixture holder, not a pytest test class

    def __init__(self):
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_name = vn_name("Hocbaso Portal Test Root", organisation="Hocbaso Test")
        self.root = _cert(root_name, root_key, root_name, root_key, ca=True)
        self._inter_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.intermediate = _cert(vn_name("Hocbaso Portal Test CA", organisation="Hocbaso Test"),
                                  self._inter_key, root_name, root_key, ca=True)
        self._signers = {}

    def signer(self, name, uid, org=""):
        if uid not in self._signers:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            cert = _cert(
                vn_name(name, uid, org), key, self.intermediate.subject, self._inter_key, ca=False
            )
            self._signers[uid] = KeySigner(key, cert)
        return self._signers[uid]

    def anchors(self):
        return [self.root], [self.intermediate], []


def sign_all(record, pki):
    """Sign the stored XML of a locked record in every slot, in order (real XML-DSig)."""
    data = record._to_record_data()
    xml = record._get_xml()
    for subject in data.subjects:
        signer = pki.signer(subject.teacher.name, "CCCD:" + subject.teacher.personal_id)
        xml = xmldsig.sign_slot(xml, xmldsig.ROLE_GVBM, signer, subject.code)
    xml = xmldsig.sign_slot(xml, xmldsig.ROLE_GVCN, pki.signer(
        data.homeroom_teacher.name, "CCCD:" + data.homeroom_teacher.personal_id))
    xml = xmldsig.sign_slot(xml, xmldsig.ROLE_CBQL, pki.signer(
        data.leader.name, "CCCD:" + data.leader.personal_id))
    xml = xmldsig.sign_slot(xml, xmldsig.ROLE_ISSUER, pki.signer(
        record.company_id.name, "MST:0101234567", org=record.company_id.name))
    return xml


def make_issued(case, record, pki):
    """Fixture only: a real locked XML signed for real, then the state set directly to issued
    (the signing addon is not a dependency of the core; it owns the real issuance flow)."""
    case.fill_secondary(record)
    record.write({"leader_id": case.principal.id, "leader_title": "Hiệu trưởng"})
    record.action_lock()
    record._store_xml(sign_all(record, pki))
    record.sudo()._write({"state": "issued"})
    return record


def issue_two(cls):
    """A test PKI, and the class's first two students' records signed and issued with it."""
    cls.pki = TestPki()
    make_issued(cls, cls.record, cls.pki)
    cls.record2 = cls.records.filtered(lambda r: r.student_id == cls.student2)
    make_issued(cls, cls.record2, cls.pki)


def patch_trust(env, pki):
    """Use the test PKI as the trust list (the hocbaso.trusted.ca model is another addon's)."""
    return patch.object(type(env["hocbaso.record.transfer"]), "_hocbaso_trust_anchors",
                        lambda self, company=None: pki.anchors())


@tagged("post_install", "-at_install")
class TestTransfer(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = TestPki()
        make_issued(cls, cls.record, cls.pki)
        cls.signed_xml = cls.record._get_xml()

    def setUp(self):
        super().setUp()
        patcher = patch_trust(self.env, self.pki)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _export(self):
        action = self.student.with_user(self.school_admin).action_transfer_out()
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        return self.env["ir.attachment"].browse(attachment_id).raw

    def _import(self, data, filename, user=None):
        user = user or self.other_school_admin
        Wizard = self.env["hocbaso.transfer.import"].with_user(user).with_company(user.company_id)
        wizard = Wizard.create({"upload": base64.b64encode(data), "upload_filename": filename})
        wizard.action_import()
        return wizard

    def _free_personal_id(self):
        """The exporting school lives in another database in real life: give its student another
        personal ID so the receiving school sees the ID free, as it would there."""
        self.student.sudo().write({"personal_id": "001213000099"})
        self.env.flush_all()

    def test_export_bundle_content(self):
        data = self._export()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            manifest = json.loads(archive.read("manifest.json"))
            self.assertIn("study_history.json", names)
            package = archive.read(manifest["packages"][0]["file"])
        self.assertEqual(manifest["personal_id"], "001213000001")
        self.assertEqual(len(manifest["packages"]), 1)
        with zipfile.ZipFile(io.BytesIO(package)) as inner:
            xmls = [n for n in inner.namelist() if n.endswith(".xml")]
            self.assertEqual(inner.read(xmls[0]), self.signed_xml)
        log = self.env["hocbaso.access.log"].search([("record_id", "=", self.record.id),
                                                     ("action", "=", "transfer_export")])
        self.assertEqual(len(log), 1)
        self.assertEqual(log.user_id, self.school_admin)

    def test_export_needs_admin_or_issuer(self):
        with self.assertRaises(UserError):
            self.student.with_user(self.gvcn).action_transfer_out()

    def test_import_verified_and_stored(self):
        data = self._export()
        self._free_personal_id()
        records_before = self.env["hocbaso.record"].search_count([])
        wizard = self._import(data, "chuyen_truong.zip")
        self.assertEqual(
            wizard.result_ids.mapped("status"), ["imported"], wizard.result_ids.mapped("message")
        )
        transfer = wizard.result_ids.transfer_id
        self.assertEqual(transfer.company_id, self.other_school)
        self.assertEqual(transfer.record_uuid, self.record.record_uuid)
        self.assertEqual(transfer.version, 1)
        self.assertEqual(transfer.school_year, "2024-2025")
        self.assertEqual(transfer.class_name, "6A1")
        self.assertEqual(transfer.source_school_name, self.school.name)
        self.assertEqual(transfer.source_school_code, "01001001")
        self.assertTrue(transfer.verification_valid)
        self.assertIn("Valid", transfer.verification_summary)
        # kept as data, shown in the reader's language, times on the school's clock
        self.env["res.lang"]._activate_lang("vi_VN")
        summary_vi = transfer.with_context(lang="vi_VN").verification_summary
        self.assertTrue(summary_vi.startswith("Hợp lệ\nNội dung nguyên vẹn: có"), summary_vi)
        self.assertNotIn("Document intact", summary_vi)
        self.assertRegex(summary_vi, r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}")
        self.assertEqual(transfer._get_xml(), self.signed_xml)
        self.assertEqual(transfer.imported_by, self.other_school_admin)
        student = transfer.student_id
        self.assertEqual(student.company_id, self.other_school)
        self.assertEqual(student.name, "Nguyễn Văn An")
        self.assertEqual(student.personal_id, "001213000001")
        history = student.history_ids
        self.assertEqual(len(history), 1)
        self.assertEqual(history.school_year, "2024-2025")
        self.assertEqual(history.school_name, self.school.name)
        self.assertEqual(history.class_name, "6A1")
        self.assertEqual(history.transfer_in_date, fields.Date.context_today(history))
        # no hocbaso.record is created for another school's record
        self.assertEqual(self.env["hocbaso.record"].search_count([]), records_before)
        self.assertTrue(self.env["hocbaso.access.log"].search(
            [("transfer_id", "=", transfer.id), ("action", "=", "transfer_import")]))
        # read-only, never deleted
        with self.assertRaises(UserError):
            transfer.with_user(self.other_school_admin).write({"version": 2})
        with self.assertRaises(UserError):
            transfer.with_user(self.other_school_admin).unlink()
        # the same file again: nothing new
        again = self._import(data, "chuyen_truong.zip")
        self.assertEqual(again.result_ids.mapped("status"), ["skipped"])
        # the first school cannot see it
        self.assertFalse(self.env["hocbaso.record.transfer"].with_user(self.school_admin).search([]))

    def test_import_single_xml_matches_existing_student(self):
        self._free_personal_id()
        existing = self.env["hocbaso.student"].create({
            "name": "Nguyễn Văn An", "personal_id": "001213000001", "sex": "1",
            "company_id": self.other_school.id})
        wizard = self._import(self.signed_xml, "hocba.xml")
        self.assertEqual(wizard.result_ids.status, "imported", wizard.result_ids.message)
        self.assertEqual(wizard.result_ids.transfer_id.student_id, existing)
        self.assertEqual(
            self.env["hocbaso.student"].search_count([("personal_id", "=", "001213000001")]), 1
        )

    def test_tampered_package_refused_nothing_stored(self):
        self._free_personal_id()
        tampered = self.signed_xml.replace(b">7.5<", b">9.5<", 1)  # one mathematics score
        self.assertNotEqual(tampered, self.signed_xml)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hocba.xml", tampered)
        wizard = self._import(buffer.getvalue(), "goi_hocba.zip")
        result = wizard.result_ids
        self.assertEqual(result.status, "refused")
        self.assertIn("Verification failed", result.message)
        self.assertFalse(self.env["hocbaso.record.transfer"].search([]))
        self.assertFalse(self.env["hocbaso.student"].search([("personal_id", "=", "001213000001")]))
        self.assertFalse(
            self.env["hocbaso.study.history"].search([("school_name", "=", self.school.name)])
        )

    def test_untrusted_signatures_refused(self):
        self._free_personal_id()
        other_pki = TestPki()
        with patch_trust(self.env, other_pki):
            wizard = self._import(self.signed_xml, "hocba.xml")
        self.assertEqual(wizard.result_ids.status, "refused")
        self.assertFalse(self.env["hocbaso.record.transfer"].search([]))

    def test_student_of_another_school_in_this_database_refused(self):
        wizard = self._import(self.signed_xml, "hocba.xml")
        self.assertEqual(wizard.result_ids.status, "refused")
        self.assertIn(self.school.name, wizard.result_ids.message)
        self.assertFalse(self.env["hocbaso.record.transfer"].search([]))

    def test_import_needs_school_admin(self):
        Wizard = self.env["hocbaso.transfer.import"].with_user(self.school_admin)
        wizard = Wizard.create(
            {"upload": base64.b64encode(self.signed_xml), "upload_filename": "x.xml"}
        )
        with self.assertRaises(UserError):
            wizard.with_user(self.issuer).action_import()


@tagged("post_install", "-at_install")
class TestPaperExtract(HocbasoCase):

    def test_extract_locks_with_trich_luc_and_keeps_scan(self):
        record = self.record
        self.fill_secondary(record)
        scan = b"%PDF-1.4 scanned paper record"
        record.write({"is_extract": True, "paper_scan": base64.b64encode(scan),
                      "paper_scan_filename": "hocba_giay.pdf"})
        record.with_user(self.gvcn).action_lock()
        self.assertEqual(record.state, "locked")
        xml = record._get_xml()
        self.assertIn(b"<TRICH_LUC>1</TRICH_LUC>", xml)
        self.assertEqual(base64.b64decode(record.paper_scan), scan)
        self.assertEqual(record.paper_scan_filename, "hocba_giay.pdf")
        attachment = self.env["ir.attachment"].search([("res_model", "=", "hocbaso.record"),
                                                       ("res_id", "=", record.id),
                                                       ("res_field", "=", "paper_scan")])
        self.assertEqual(attachment.raw, scan)
        # once signed, the scan stays as it is
        with workflow(self.env):  # a fixture: what the signing step writes
            record.line_ids.sudo().write({"gvbm_signed": True})
        with self.assertRaises(UserError):
            record.with_user(self.school_admin).write({"paper_scan": base64.b64encode(b"other")})
        self.assertEqual(base64.b64decode(record.paper_scan), scan)
