from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestBadInput(HocbasoCase):
    """Bad input is refused with a clear message and nothing is partly saved."""

    def test_invalid_personal_id_refused(self):
        Student = self.env["hocbaso.student"]
        for bad in ("12345678901", "1234567890123", "00121300000A", "999213000001"):
            with self.subTest(personal_id=bad), self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    Student.create({"name": "X", "personal_id": bad, "company_id": self.school.id})
        self.assertFalse(Student.search([("name", "=", "X")]), "nothing half-saved")

    def test_invalid_personal_id_message_is_translated(self):
        self.env["res.lang"]._activate_lang("vi_VN")
        with self.assertRaises(ValidationError) as caught:
            self.env["hocbaso.student"].with_context(lang="vi_VN").create(
                {"name": "X", "personal_id": "123", "company_id": self.school.id})
        message = str(caught.exception)
        self.assertIn("123", message)
        self.assertIn("12", message, "the message says how many digits are expected")
        self.assertNotIn("must be", message, "the Vietnamese user reads Vietnamese")

    def test_duplicate_personal_id_refused(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.env["hocbaso.student"].create(
                {
                    "name": "Bản sao",
                    "personal_id": self.student.personal_id,
                    "company_id": self.school.id,
                }
            )

    def test_out_of_range_scores_refused(self):
        line = self.record.line_ids.filtered(lambda item: item.subject_code == "TOAN")
        for bad in ("10.5", "-1", "7.25", "abc", "11"):
            with self.subTest(score=bad), self.assertRaises(ValidationError):
                with self.env.cr.savepoint():
                    line.write({"semester1": bad})
        line.invalidate_recordset()
        self.assertFalse(line.semester1, "the refused value was not stored")
        line.write({"semester1": "7,5"})
        self.assertEqual(line.semester1, "7.5", "a decimal comma is accepted and normalised")

    def test_level_code_not_allowed_for_subject(self):
        pe = self.record.line_ids.filtered(lambda line: line.subject_code == "GDTC")
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            pe.write({"semester2": "8.0"})  # GDTC is assessed Đ/CĐ only
        math = self.record.line_ids.filtered(lambda line: line.subject_code == "TOAN")
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            math.write({"semester2": "Đ"})  # Toán takes a score

    def test_duplicate_record_same_student_year_refused(self):
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            self.env["hocbaso.record"].create({
                "student_id": self.student.id, "class_id": self.klass.id,
                "school_year_id": self.year.id, "company_id": self.school.id})
        self.assertIn(self.student.name, str(caught.exception))
        self.assertEqual(self.env["hocbaso.record"].search_count(
            [("student_id", "=", self.student.id)]), 1)

    def test_bad_partial_birth_date_refused(self):
        for bad in ("2013-13", "2013-02-30", "13/09/2013", "201"):
            with (
                self.subTest(date=bad),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                self.student.write({"birth_date": bad})
        self.student.write({"birth_date": "2013-09-02"})
        self.assertEqual(self.student.birth_date, "2013-09-02")

    def test_birth_date_reads_and_types_day_first(self):
        """Lists and forms show 02/09/2013 in every language; the record keeps 2013-09-02."""
        for typed, stored, shown in (("2/9/2013", "2013-09-02", "02/09/2013"),
                                     ("09/2013", "2013-09", "09/2013"),
                                     ("2013", "2013", "2013"),
                                     ("2013-09-02", "2013-09-02", "02/09/2013")):
            with self.subTest(typed=typed):
                self.student.write({"birth_date_shown": typed})
                self.student.invalidate_recordset()  # as the form reads it after saving
                self.assertEqual(self.student.birth_date, stored)
                self.assertEqual(self.student.birth_date_shown, shown)
        for bad in ("30/02/2013", "13/2013", "2/9/13"):
            with (self.subTest(bad=bad), self.assertRaises(ValidationError),
                  self.env.cr.savepoint()):
                self.student.write({"birth_date_shown": bad})
        self.assertEqual(self.student.birth_date, "2013-09-02")
        for view in ("hocbaso_odoo.hocbaso_student_view_list",
                     "hocbaso_odoo.hocbaso_class_view_form"):
            arch = self.env.ref(view).arch
            self.assertIn('name="birth_date_shown"', arch, view)
            self.assertNotIn('name="birth_date"', arch, view)

    def test_bad_school_year_refused(self):
        for bad in ("2024-2026", "2024", "24-25"):
            with (
                self.subTest(year=bad),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                self.env["hocbaso.school.year"].create({"name": bad})

    def test_absences_out_of_range_refused(self):
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            self.record.write({"absences": 301})
            self.record.flush_recordset()

    def test_primary_test_score_must_be_whole(self):
        primary_class = self.env["hocbaso.class"].create(
            {
                "name": "1A",
                "company_id": self.school.id,
                "school_year_id": self.year.id,
                "grade_id": self.env.ref("hocbaso_odoo.grade_01").id,
                "homeroom_teacher_id": self.gvcn.id,
            }
        )
        tv = self.env["hocbaso.subject"].search(
            [("code", "=", "TV"), ("level_id", "=", self.level_primary.id)])
        self.env["hocbaso.teaching.assignment"].create(
            {"class_id": primary_class.id, "subject_id": tv.id, "teacher_id": self.gvcn.id})
        self.env["hocbaso.student"].create({
            "name": "Phạm Gia Huy", "personal_id": "001218000009", "company_id": self.school.id,
            "class_id": primary_class.id})
        record = primary_class._generate_records()
        self.assertEqual(record.circular, "TT27")
        line = record.line_ids
        for bad in ("9.5", "11", "A"):
            with (
                self.subTest(score=bad),
                self.assertRaises(ValidationError),
                self.env.cr.savepoint(),
            ):
                line.write({"test_score": bad})
        line.write({"test_score": "M", "level": "M"})
        self.assertEqual(line.test_score, "M")

    def test_lock_incomplete_record_refused(self):
        with self.assertRaises(UserError) as caught:
            self.record.with_user(self.gvcn).action_lock()
        self.assertIn(
            self.subj_math.name, str(caught.exception), "the message names what is missing"
        )
        self.assertEqual(self.record.state, "draft")
