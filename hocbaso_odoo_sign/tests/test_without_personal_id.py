"""A foreign student's record (passport and nationality, no personal ID) is signed, issued
and verified like any other."""

from lxml import etree

from odoo.tests import tagged

from .common import DS_NS, SignCase


@tagged("post_install", "-at_install")
class TestForeignStudentSigned(SignCase):

    def test_foreign_student_record_signed_issued_and_verified(self):
        student = self.env["hocbaso.student"].create({
            "name": "Emily Nguyen Carter", "sex": "2", "birth_date": "2012-11-20",
            "student_code": "INT2025031", "id_document_type": "HO_CHIEU",
            "id_document_number": "C03005988", "nationality_code": "US",
            "ethnicity_code": "55", "lifelong_code": "HTSD-79-2025-000731",
            "company_id": self.school.id, "class_id": self.klass.id})
        self.klass._generate_records()
        record = self.env["hocbaso.record"].search([("student_id", "=", student.id)])
        self.lock(record)
        self.sign_to(record)
        self.assertEqual(record.state, "issued")
        self.assertEqual(record.xml_profile, "hocbaso-1.1")
        xml = record._get_xml()
        self.assertIn(b"<SO_GIAY_TO>C03005988</SO_GIAY_TO>", xml)
        self.assertIn(b"<MA_HOC_TAP_SUOT_DOI>HTSD-79-2025-000731</MA_HOC_TAP_SUOT_DOI>", xml)
        self.assertTrue(record._verify_report().valid)
        ids = [sig.get("Id") for sig in etree.fromstring(xml).iter("{%s}Signature" % DS_NS)]
        self.assertEqual(len(ids), 6, "three subjects, homeroom, leadership, issuance")
        for sig_id in ids:
            result = self.xmlsec1_verify(xml, sig_id)
            self.assertEqual(result.returncode, 0, sig_id + ": " + result.stderr)
        # the printed record names the passport where a personal ID would stand
        html = self.env["ir.actions.report"]._render_qweb_html(
            "hocbaso_odoo.report_hocbaso_record", record.ids)[0].decode()
        self.assertIn("Hộ chiếu:", html)
        self.assertIn("C03005988", html)
