"""The school admin enrols a foreign student in the web client, in Vietnamese and in English."""

from odoo.tests import HttpCase, tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestForeignStudentTour(HocbasoCase, HttpCase):

    def test_school_admin_enrols_a_foreign_student(self):
        self.load_vietnamese()
        Student = self.env["hocbaso.student"]
        for lang in ("vi_VN", "en_US"):
            self.school_admin.lang = lang
            self.start_tour("/odoo/action-hocbaso_odoo.hocbaso_student_action",
                            "hocbaso_foreign_student", login="school_admin", timeout=120)
            student = Student.search([("name", "=", "Emily Nguyen Carter")], order="id desc",
                                     limit=1)
            self.assertEqual((student.id_document_type, student.nationality_code),
                             ("HO_CHIEU", "US"), lang)
            self.assertFalse(student.personal_id)
            self.assertEqual(student.class_id, self.klass)
            self.assertEqual(student.id_document_number, "C03005988")
            self.assertEqual(student.lifelong_code, "HTSD-79-2025-000731")
            student.lifelong_code = f"HTSD-{student.id}-{lang[:2]}"  # one learner, one code
            # the tour enrols the same passport again in the next language: not a duplicate
            student.id_document_number = f"C0300{student.id}"
        record = self.klass._generate_records().filtered(
            lambda r: r.student_id.name == "Emily Nguyen Carter")[:1]
        self.fill_secondary(record)
        record.with_user(self.gvcn).action_lock()
        xml = record._get_xml()
        self.assertIn(b"<LOAI_GIAY_TO>HO_CHIEU</LOAI_GIAY_TO>", xml)
        self.assertIn(b"<MA_HOC_TAP_SUOT_DOI>", xml)
