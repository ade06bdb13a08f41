"""A student without a personal ID: the record is made and issued like any other; its CSDL
delivery waits (not an error, not retried) and goes by itself once the ID is entered."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestWithoutPersonalId(SyncCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a Vietnamese child whose parents have not obtained the personal ID yet
        cls.child = cls.env["hocbaso.student"].create({
            "name": "Đỗ Gia Huy", "sex": "1", "birth_date": "2013-05-04",
            "student_code": "HS0042", "id_document_type": "GIAY_KHAI_SINH",
            "id_document_number": "123/2013/KS", "company_id": cls.school.id,
            "class_id": cls.klass.id})
        cls.klass._generate_records()
        cls.child_record = cls.env["hocbaso.record"].search([("student_id", "=", cls.child.id)])

    def test_a_student_needs_a_personal_id_or_a_document(self):
        with self.assertRaisesRegex(ValidationError, "identity document"):
            self.env["hocbaso.student"].create({
                "name": "Không giấy tờ", "sex": "2", "company_id": self.school.id})
        with self.assertRaisesRegex(ValidationError, "3 to 30"):
            self.child.id_document_number = "số khai sinh 1"

    def test_the_record_waits_for_the_personal_id_then_goes_once(self):
        record = self.issue(self.child_record)
        xml = record._get_xml()
        self.assertEqual(record.xml_profile, "hocbaso-1.1")
        self.assertIn(b"<LOAI_GIAY_TO>GIAY_KHAI_SINH</LOAI_GIAY_TO>", xml)
        self.assertNotIn(b"SO_DINH_DANH", xml)
        entry = self.Entry.search([("record_id", "=", record.id)])
        self.assertEqual(entry.state, "waiting_id")
        self.assertEqual(self.config.waiting_id_count, 1)
        self.assertEqual(self.run_cron(), 0, "nothing is sent, nothing fails")
        self.assertEqual(entry.state, "waiting_id")
        self.assertEqual(entry.attempts, 0)
        self.assertIsNone(self.server_record(record))
        progress = self.env["hocbaso.progress"].search([("record_id", "=", record.id)])
        self.assertEqual((progress.without_personal_id_count, progress.sent_pct), (1, 0.0),
                         "the progress counts it apart, not received")

        self.child.personal_id = "001213000042"  # the parents obtained it
        self.assertEqual(entry.state, "pending")
        self.assertEqual(entry.personal_id, "001213000042")
        self.assertEqual(self.run_cron(), 1)
        self.assertEqual(entry.state, "acknowledged")
        held = self.assert_exactly_once(record.record_uuid, 1)
        self.assertEqual(held["so_dinh_danh"], "001213000042")
        self.assertEqual(held["versions"][0]["sha256"], record.xml_sha256,
                         "the signed document is sent as it was signed")
        self.assertEqual(self.run_cron(), 0)
        self.env.flush_all()
        progress.invalidate_recordset()
        self.assertEqual((progress.without_personal_id_count, progress.sent_pct), (0, 100.0))
