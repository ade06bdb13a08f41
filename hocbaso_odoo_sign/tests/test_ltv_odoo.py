"""Validation data kept at issuance and archive timestamps renewed by the daily job, with the
reference time-stamping authority and OCSP responder run as their own processes: an issued
record keeps its chains and revocation status and a first archive timestamp, verifies with the
school's roots only and with xmlsec1; the job adds an archive timestamp when one is due and
none when not; an OCSP responder down never blocks issuance (the history says why) and the
job keeps the data once it is back."""

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from lxml import etree

from odoo.tests import HttpCase, tagged

from hocbaso import pdfltv, pdfsign
from hocbaso.signing import archive as A
from hocbaso.signing import ltv as L
from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document

from ..tools import trust_material
from .common import SignCase, start_standin, stop_standin
from .test_timestamps import _dead_url

LONG_MARGIN = 40 * 365  # days: every archive timestamp ages out within it


@tagged("post_install", "-at_install")
class TestLtvOdoo(SignCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.write_pki_dir()
        for module in ("hocbaso.signing.standins.tsa", "hocbaso.signing.standins.ocsp"):
            proc, url, log = start_standin(module, cls.pki_dir)
            cls.addClassCleanup(stop_standin, proc, log)
            if module.endswith("tsa"):
                cls.tsa_url = url
            else:
                cls.ocsp_url = url
        # the responder answers for the issuing CA; the issuing CA's own status is the root's CRL
        cls.root_ca.crl_file = base64.b64encode(
            cls.pki.root_crl.public_bytes(serialization.Encoding.DER))
        cls.school.write({"hocbaso_tsa_url": cls.tsa_url, "hocbaso_ocsp_url": cls.ocsp_url,
                          "hocbaso_tsa_timeout": 5})

    # --- helpers ---------------------------------------------------------------------------
    def properties(self, xml):
        return L.unsigned_signature_properties(L.issuer_signature(etree.fromstring(xml)))

    def stamps(self, xml):
        return self.properties(xml).findall(A.ARCHIVE_TAG)

    def chatter(self, record):
        return " ".join(record.message_ids.mapped("body"))

    def assert_verifies(self, xml):
        """Our verifier with the school's roots only (intermediates and revocation data from
        the record), and xmlsec1 on every signature."""
        roots, _intermediates, _crls = trust_material(self.env, self.school)
        report = verify_document(xml, roots, [], [])
        self.assertTrue(report.valid, (report.errors, [s.errors for s in report.signatures]))
        for signature in report.signatures:
            self.assertTrue(signature.timestamp_proven and signature.revocation_sources,
                            signature.warnings)
        for signature in etree.fromstring(xml).iter(X.ds("Signature")):
            run = self.xmlsec1_verify(xml, signature.get("Id"))
            self.assertEqual(run.returncode, 0, (signature.get("Id"), run.stderr))
        return report

    def issue(self, records, lang="en_US"):
        self.lock(records)
        self.sign_to(records, last_role="cbql")
        wizard = self.wizard(self.issuer, records, "phathanh", self.school_cert).with_context(
            lang=lang, hocbaso_secret=self.password)
        wizard.action_sign()
        self.assert_all_signed(wizard)
        self.assertEqual(set(records.mapped("state")), {"issued"})

    # --- tests -----------------------------------------------------------------------------
    def test_issuance_keeps_validation_data_and_an_archive_timestamp(self):
        self.issue(self.records)
        for record in self.records:
            xml = record._get_xml()
            properties = self.properties(xml)
            tags = [etree.QName(child).localname for child in properties]
            self.assertEqual(tags, ["SignatureTimeStamp", "CertificateValues", "RevocationValues",
                                    "RecordArchiveTimeStamp", "TimeStampValidationData"])
            self.assertTrue(properties.findall(".//" + X.xades("EncapsulatedOCSPValue")))
            report = self.assert_verifies(xml)
            self.assertGreaterEqual(report.kept_ocsp, 2)
            self.assertEqual(len(report.archive_times), 1)
            # the document as kept is the one the record's hash names
            self.assertEqual(record.xml_sha256, hashlib.sha256(xml).hexdigest())
            self.assertIn("Archive timestamp added by Hocbaso Test Time-Stamping Authority",
                          self.chatter(record))
            self.assertTrue(record._verify_report().valid)
            # the certified PDF keeps the school's and the TSA's paths and status (B-LT)
            pdf = record._hocbaso_kept_pdf()
            kept = pdfltv.kept_validation_data(pdf)
            self.assertIn(self.school_cert._x509(), kept.certificates)
            self.assertGreaterEqual(len(kept.ocsp_responses), 2)
            roots, _intermediates, _crls = trust_material(self.env, self.school)
            checked = pdfsign.verify_pdf(pdf, roots)
            self.assertTrue(checked.ok and checked.signatures[0].timestamp_ok,
                            [str(p) for s in checked.signatures for p in s.problems])
            self.assertEqual(checked.record_xml, xml)
        # the public verify page says the uploaded PDF stays checkable
        page = self.url_open("/hocbaso/verify/upload", files={"file": ("hocba.pdf", pdf)}).text
        self.assertIn("o_hocbaso_pdf_signed", page)
        self.assertRegex(page, "after the school&#39;s certificate expires|sau khi chứng thư số "
                               "của nhà trường hết hạn")

    def test_daily_job_renews_only_when_due(self):
        self.issue(self.record)
        first = self.record._get_xml()
        Record = self.env["hocbaso.record"]
        self.assertEqual(Record._cron_renew_archive_timestamps(), 0)  # not due within 180 days
        self.assertEqual(self.record._get_xml(), first)
        self.assertTrue(self.record.archive_checked_at)
        self.assertEqual(Record._cron_renew_archive_timestamps(margin_days=LONG_MARGIN), 1)
        xml = self.record._get_xml()
        self.assertEqual(len(self.stamps(xml)), 2)
        # the first token is kept as it was, the new one follows it
        tokens = [stamp.findtext(X.xades("EncapsulatedTimeStamp")) for stamp in self.stamps(xml)]
        self.assertEqual(tokens[0], self.stamps(first)[0].findtext(
            X.xades("EncapsulatedTimeStamp")))
        report = self.assert_verifies(xml)
        self.assertEqual(len(report.archive_times), 2)
        self.assertEqual(self.chatter(self.record).count("Archive timestamp added by"), 2)

    def test_responder_down_issues_anyway_and_the_job_tries_again(self):
        self.school.hocbaso_ocsp_url = _dead_url()
        self.issue(self.record, lang="vi_VN")
        xml = self.record._get_xml()
        self.assertEqual([etree.QName(child).localname for child in self.properties(xml)],
                         ["SignatureTimeStamp"])  # nothing kept, no archive timestamp
        self.assertIn("Không lưu được dữ liệu kiểm tra chữ ký", self.chatter(self.record))
        # the PDF is still certified and timestamped, without the data (and says so)
        pdf = self.record._hocbaso_kept_pdf()
        self.assertTrue(pdfsign.verify_pdf(pdf, *trust_material(self.env, self.school)).ok)
        self.assertFalse(pdfltv.kept_validation_data(pdf))
        self.assertIn("Bản PDF đã ký không kèm dữ liệu kiểm tra chữ ký", self.chatter(self.record))
        report = self.record._verify_report()
        self.assertTrue(report.valid, report.errors)
        # the job: still down, nothing added and no note; back, the data and a timestamp
        notes = len(self.record.message_ids)
        self.assertEqual(self.env["hocbaso.record"]._cron_renew_archive_timestamps(), 0)
        self.assertEqual(self.record._get_xml(), xml)
        self.assertEqual(len(self.record.message_ids), notes)
        self.school.hocbaso_ocsp_url = self.ocsp_url
        self.assertEqual(self.env["hocbaso.record"]._cron_renew_archive_timestamps(), 1)
        xml = self.record._get_xml()
        self.assertEqual(len(self.stamps(xml)), 1)
        self.assert_verifies(xml)
        # the certified PDF gets its validation data with the record's
        self.assertGreaterEqual(
            len(pdfltv.kept_validation_data(self.record._hocbaso_kept_pdf()).ocsp_responses), 2)
