"""The printed record certified with the school's organisation certificate at issuance: kept
with the issued version, served by printing and the package, checked by the public page."""

import base64
import io
import zipfile

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools.pdf import OdooPdfFileReader

from hocbaso import pdfsign
from hocbaso.timeutil import to_vn
from hocbaso.verify import verify_document

from .common import SignCase


def pdf_signature_location(pdf):
    """The /Location of the PDF's (only) signature, as a PDF reader's signature panel shows."""
    reader = OdooPdfFileReader(io.BytesIO(pdf), strict=False)
    for field in reader.trailer["/Root"]["/AcroForm"]["/Fields"]:
        value = field.get_object().get("/V")
        if value is not None:
            return str(value.get_object().get("/Location"))
    return None


@tagged("post_install", "-at_install")
class TestSignedPdf(SignCase, HttpCase):

    def _upload(self, data, name="hocba.pdf"):
        return self.url_open("/hocbaso/verify/upload", files={"file": (name, data)})

    def test_issuance_certifies_the_pdf_and_everything_serves_it(self):
        record = self.record
        # a school that names only its province: the PDF signature's place is the printed one
        record.company_id.hocbaso_issue_place = False
        self.lock(record)
        self.sign_to(record, last_role="cbql")
        self.assertFalse(record.signed_pdf, "only issuance certifies the PDF")
        # the issuer signs with the school's .p12: the PDF too, in the same session
        wizard = self.sign(self.issuer, record, "phathanh", self.school_cert)
        self.assert_all_signed(wizard)
        self.assertEqual(record.state, "issued")
        # she reads what she did: issued, in a dialog named for it
        self.assertEqual(wizard.summary, "1 of 1 records issued, 0 skipped (not waiting for "
                                         "you), 0 not issued.")
        self.assertEqual(wizard._reopen()["name"], "Issue Records")
        kept = record._hocbaso_kept_pdf()
        self.assertTrue(kept and kept.startswith(b"%PDF-"))

        # pyHanko's validator: the school's certificate, chained to the test root with the
        # intermediate carried in the signature, the PDF unchanged since
        pki = self.pki
        report = pdfsign.verify_pdf(kept, [pki.root], [], [pki.crl])
        self.assertTrue(report.ok, [str(p) for s in report.signatures for p in s.problems])
        (signature,) = report.signatures
        self.assertEqual(signature.certificate, pki.leaf("school").certificate)
        self.assertTrue(signature.certification and signature.covers_document)
        self.assertEqual(pdf_signature_location(kept), "Hà Nội")
        # the attached XML is the issued document, and verifies on its own
        self.assertEqual(report.record_xml, record._get_xml())
        verified = verify_document(report.record_xml, [pki.root], [pki.intermediate], [pki.crl])
        self.assertTrue(verified.valid and verified.complete, verified.errors)

        # printing, a batch print (export) and the package serve the certified PDF as kept
        Report = self.env["ir.actions.report"]
        self.assertEqual(Report._render_qweb_pdf("hocbaso_odoo.report_hocbaso_record",
                                                 record.ids)[0], kept)
        self.assertEqual(self.records._render_pdfs()[record.id], kept)
        package = zipfile.ZipFile(io.BytesIO(record._build_package()))
        pdf_name = next(name for name in package.namelist() if name.endswith(".pdf"))
        self.assertEqual(package.read(pdf_name), kept)

        # sealed with the record: nobody writes it by hand, the administrator included
        with self.assertRaises(UserError):
            record.write({"signed_pdf": base64.b64encode(b"%PDF-1.4 forged")})
        with self.assertRaises(UserError):
            self.env["ir.attachment"].search([
                ("res_model", "=", record._name), ("res_id", "=", record.id),
                ("res_field", "=", "signed_pdf")]).write({"raw": b"%PDF-1.4 forged"})
        self.assertEqual(record._hocbaso_kept_pdf(), kept)

        # the public page: the PDF's signature beside the record's own verification
        page = self._upload(kept).text
        self.assertIn("o_hocbaso_pdf_signed", page)
        self.assertIn("Chữ ký trên tệp học bạ bên trong PDF", page,
                      "the table below says whose signatures it lists")
        self.assertIn("o_hocbaso_upload_valid", page)
        self.assertIn(pki.leaf("school").spec.common_name, page)
        at = kept.index(b"/MediaBox")
        tampered = kept[:at] + b"/MediaBoy" + kept[at + 9:]
        page = self._upload(tampered).text
        self.assertIn("o_hocbaso_pdf_signature_invalid", page)
        self.assertNotIn("o_hocbaso_pdf_signed", page)
        self.assertIn("o_hocbaso_upload_valid", page, "the record inside is still the school's")
        # ... and the green line says it is the record inside, not the changed PDF, that is
        # intact (the walk of the demo read it as the whole file)
        self.assertIn("tệp học bạ bên trong PDF toàn vẹn", page)
        self.assertNotIn(": toàn vẹn, mọi chữ ký số đều hợp lệ.", page)
        self.assertIn("o_hocbaso_inner_signatures", page)
        # one flipped byte in the attached record: the change is told, the school's
        # certificate is not blamed for it (in Vietnamese still: a second upload reads as
        # the first)
        at = kept.index(b"<?xml") + 200
        page = self._upload(kept[:at] + bytes([kept[at] ^ 1]) + kept[at + 1:]).text
        self.assertIn("o_hocbaso_pdf_signature_invalid", page)
        self.assertIn("chữ ký không còn khớp với nội dung", page)
        self.assertNotIn("không do tổ chức chứng thực tin cậy cấp", page)
        # in English, the PDF's signing time as the signature table beside it writes times
        # (Odoo's English: month first), not as the Vietnamese page does
        signed_at = to_vn(signature.signing_time)
        page = self.url_open("/en/hocbaso/verify/upload",
                             files={"file": ("hocba.pdf", kept)}).text
        self.assertIn(f"Signed on {signed_at:%m/%d/%Y %H:%M}", page)

    def test_a_pdf_printed_unsigned_says_so(self):
        self.lock(self.record)
        pdf = self.record._render_pdfs()[self.record.id]
        self.assertFalse(pdfsign.verify_pdf(pdf, [self.pki.root]).signed)
        page = self._upload(pdf).text
        self.assertIn("o_hocbaso_pdf_unsigned", page)
        self.assertNotIn("o_hocbaso_pdf_signed", page)

    def test_a_superseded_version_keeps_its_pdf_but_prints_anew(self):
        self.lock(self.record)
        self.sign_to(self.record)
        first = self.record._hocbaso_kept_pdf()
        self.assertTrue(first)
        action = self.record.with_user(self.gvcn).action_create_correction()
        v2 = self.env["hocbaso.record"].browse(action["res_id"])
        self.assertFalse(v2.signed_pdf, "a correction starts without the old version's PDF")
        self.lock(v2)
        self.sign_to(v2)
        self.assertEqual(self.record.state, "superseded")
        # the certified PDF stays with the old version (kept, never served as current) ...
        self.assertTrue(self.record.signed_pdf)
        self.assertIsNone(self.record._hocbaso_kept_pdf())
        reprint = self.env["ir.actions.report"]._render_qweb_pdf(
            "hocbaso_odoo.report_hocbaso_record", self.record.ids)[0]
        self.assertNotEqual(reprint, first)
        self.assertFalse(pdfsign.verify_pdf(reprint, [self.pki.root]).signed,
                         "printed anew with its watermark, not presented as the issued one")
        # ... and the new version serves its own, with its own XML
        report = pdfsign.verify_pdf(v2._hocbaso_kept_pdf(), [self.pki.root],
                                    [self.pki.intermediate], [self.pki.crl])
        self.assertTrue(report.ok)
        self.assertEqual(report.record_xml, v2._get_xml())
