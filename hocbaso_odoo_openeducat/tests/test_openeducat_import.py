from datetime import date, datetime, timedelta
from decimal import Decimal

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.hocbaso_odoo.tests.common import HocbasoCase
from odoo.addons.hocbaso_odoo_openeducat.models.hocbaso_openeducat_subject_map import (
    convert_marks,
)


@tagged("post_install", "-at_install")
class TestScaleConversion(HocbasoCase):
    """Marks × 10 / total marks, half-up (not banker's rounding)."""

    def test_convert_marks(self):
        self.assertEqual(convert_marks(33, 40), Decimal("8.3"))   # 8.25 -> 8.3
        self.assertEqual(convert_marks(17, 40), Decimal("4.3"))   # 4.25 -> 4.3
        self.assertEqual(convert_marks(75, 100), Decimal("7.5"))
        self.assertEqual(convert_marks(7, 10), Decimal("7.0"))
        self.assertEqual(convert_marks(2, 3), Decimal("6.7"))     # 6.666…
        self.assertEqual(convert_marks(17, 20, whole=True), Decimal("9"))  # 8.5 -> 9 (TT27)
        self.assertEqual(convert_marks(16, 20, whole=True), Decimal("8"))

    def test_mapping_checks_target(self):
        op_subject = self.env["op.subject"].create({"name": "Physical Education", "code": "PE-T"})
        Map = self.env["hocbaso.openeducat.subject.map"]
        exam_type = self.env["op.exam.type"].create({"name": "Test", "code": "T-T"})
        with self.assertRaises(ValidationError):  # a TT22 subject has no TT27 test score
            Map.create({"company_id": self.school.id, "op_subject_id": op_subject.id,
                        "subject_id": self.subj_math.id, "target_field": "test_score",
                        "exam_type_id": exam_type.id})
        with self.assertRaises(ValidationError):  # Đ/CĐ subjects take no marks
            Map.create({"company_id": self.school.id, "op_subject_id": op_subject.id,
                        "subject_id": self.subj_pe.id, "target_field": "semester1",
                        "exam_type_id": exam_type.id})
        with self.assertRaises(ValidationError):  # which exams feed the result?
            Map.create({"company_id": self.school.id, "op_subject_id": op_subject.id,
                        "subject_id": self.subj_math.id, "target_field": "semester1"})


@tagged("post_install", "-at_install")
class TestOpenEduCatImport(HocbasoCase):
    """A real OpenEduCat batch with exams and marksheets becomes TT22 records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.op_math = env["op.subject"].create({"name": "Mathematics 6", "code": "MATH6"})
        cls.op_lit = env["op.subject"].create({"name": "Literature 6", "code": "LIT6"})
        cls.course = env["op.course"].create(
            {
                "name": "Grade 6",
                "code": "G6",
                "hocbaso_grade_id": env.ref("hocbaso_odoo.grade_06").id,
                "subject_ids": [(6, 0, (cls.op_math | cls.op_lit).ids)],
            }
        )
        cls.batch = env["op.batch"].create({
            "name": "Grade 6 – class 6A9", "code": "6A9", "course_id": cls.course.id,
            "start_date": date(2024, 9, 5), "end_date": date(2025, 5, 31)})
        cls.academic_year = env["op.academic.year"].create({
            "name": "AY 2024/25", "start_date": date(2024, 9, 1), "end_date": date(2025, 5, 31)})

        def faculty(user, first, subjects):
            return env["op.faculty"].create({
                "partner_id": user.partner_id.id, "first_name": first, "last_name": "GV",
                "birth_date": date(1985, 1, 1), "gender": "female",
                "faculty_subject_ids": [(6, 0, subjects.ids)]})

        cls.fac_math = faculty(cls.gvbm_math, "Toán", cls.op_math)
        cls.fac_lit = faculty(cls.gvbm_lit, "Văn", cls.op_lit)
        cls.fac_homeroom = faculty(cls.gvcn, "Chủ nhiệm", env["op.subject"])

        def student(first, last, gender, birth, pid=False, code=False):
            op_student = env["op.student"].create({
                "name": f"{last} {first}", "first_name": first, "last_name": last,
                "gender": gender, "birth_date": birth, "hocbaso_personal_id": pid,
                "gr_no": code})
            env["op.student.course"].create({
                "student_id": op_student.id, "course_id": cls.course.id,
                "batch_id": cls.batch.id, "academic_years_id": cls.academic_year.id,
                "roll_number": first})
            return op_student

        cls.an = student("An", "Phạm Văn", "m", date(2013, 5, 1), "001213000011", "HS6A901")
        cls.binh = student("Bình", "Đỗ Thị", "f", date(2013, 6, 1), " 001313000012 ",
                           "HS6A902")
        cls.cuong = student("Cường", "Vũ Văn", "m", date(2013, 7, 1))
        cls.dung = student("Dũng", "Hoàng Văn", "m", date(2013, 8, 1), "12345")

        # exams, real OpenEduCat flow: attendees' marks -> exams done -> result template
        # -> generate_result() -> marksheet register with op.result.line marks
        cls.day = datetime(2024, 10, 1, 8, 0)

        def session(code, exams):
            exam_type = env["op.exam.type"].create({"name": code, "code": code})
            start = cls.day.date()
            sess = env["op.exam.session"].create({
                "name": code, "exam_code": code, "course_id": cls.course.id,
                "batch_id": cls.batch.id, "exam_type": exam_type.id,
                "start_date": start, "end_date": start + timedelta(days=20)})
            for index, (subject, total, marks) in enumerate(exams):
                exam = env["op.exam"].create({
                    "session_id": sess.id, "subject_id": subject.id,
                    "exam_code": f"{code}-{index}", "name": f"{code} {subject.code} {index}",
                    "start_time": cls.day + timedelta(days=index),
                    "end_time": cls.day + timedelta(days=index, hours=1),
                    "total_marks": total, "min_marks": 1})
                for op_student, mark in marks.items():
                    env["op.exam.attendees"].create({
                        "exam_id": exam.id, "student_id": op_student.id, "marks": mark,
                        "course_id": cls.course.id, "batch_id": cls.batch.id})
                exam.act_done()
            env["op.result.template"].create({
                "exam_session_id": sess.id, "name": f"Results {code}"}).generate_result()
            cls.day += timedelta(days=30)
            return sess, exam_type

        an, binh = cls.an, cls.binh
        cls.tx1, cls.type_tx = session("TX1", [(cls.op_lit, 10, {an: 8, binh: 6}),
                                               (cls.op_lit, 10, {an: 7, binh: 5})])
        cls.gk1, _t = session("GK1", [(cls.op_lit, 10, {an: 7, binh: 5})])
        cls.ck1, _t = session("CK1", [(cls.op_lit, 100, {an: 75, binh: 55})])
        cls.hk1, _t = session("HK1", [(cls.op_math, 40, {an: 33, binh: 17})])
        cls.hk2, _t = session("HK2", [(cls.op_math, 10, {an: 9, binh: 6}),
                                      (cls.op_lit, 10, {an: 8, binh: 6})])

        Map = env["hocbaso.openeducat.subject.map"]
        common = {"company_id": cls.school.id}
        Map.create([
            dict(common, op_subject_id=cls.op_math.id, subject_id=cls.subj_math.id,
                 faculty_id=cls.fac_math.id, target_field="semester1", exam_session_id=cls.hk1.id),
            dict(common, op_subject_id=cls.op_math.id, subject_id=cls.subj_math.id,
                 target_field="semester2", exam_session_id=cls.hk2.id),
            # no faculty on the Literature rows: the faculty teaching LIT6 is found
            dict(common, op_subject_id=cls.op_lit.id, subject_id=cls.subj_lit.id,
                 target_field="s1_regular", exam_type_id=cls.type_tx.id),
            dict(common, op_subject_id=cls.op_lit.id, subject_id=cls.subj_lit.id,
                 target_field="s1_midterm", exam_session_id=cls.gk1.id),
            dict(common, op_subject_id=cls.op_lit.id, subject_id=cls.subj_lit.id,
                 target_field="s1_final", exam_session_id=cls.ck1.id),
            dict(common, op_subject_id=cls.op_lit.id, subject_id=cls.subj_lit.id,
                 target_field="semester2", exam_session_id=cls.hk2.id),
        ])

    def run_wizard(self):
        wizard = self.env["hocbaso.openeducat.import"].with_context(
            default_batch_id=self.batch.id).create({
                "company_id": self.school.id, "homeroom_faculty_id": self.fac_homeroom.id})
        wizard.action_import()
        return wizard

    def line(self, record, subject):
        return record.line_ids.filtered(lambda line: line.subject_id == subject)

    def test_import_is_idempotent_and_maps_marks(self):
        years_before = self.env["hocbaso.school.year"].search_count([])
        wizard = self.run_wizard()
        # defaults from the batch, the course and the academic year
        self.assertEqual(wizard.class_name, "6A9")
        self.assertEqual(wizard.grade_id, self.env.ref("hocbaso_odoo.grade_06"))
        self.assertEqual(wizard.academic_year_id, self.academic_year)
        klass = wizard.class_id
        self.assertEqual(klass.op_batch_id, self.batch)
        self.assertEqual(klass.school_year_id, self.year, "AY 2024/25 is the school year 2024-2025")
        self.assertEqual(self.env["hocbaso.school.year"].search_count([]), years_before)
        self.assertEqual(klass.homeroom_teacher_id, self.gvcn)
        self.assertEqual(klass.company_id, self.school)
        self.assertEqual({(a.subject_id, a.teacher_id) for a in klass.assignment_ids},
                         {(self.subj_math, self.gvbm_math), (self.subj_lit, self.gvbm_lit)})

        # students: two created, two skipped with their reason
        self.assertEqual(wizard.student_created_count, 2)
        students = klass.student_ids
        self.assertEqual(students.mapped("op_student_id"), self.an | self.binh)
        an = students.filtered(lambda s: s.op_student_id == self.an)
        binh = students.filtered(lambda s: s.op_student_id == self.binh)
        self.assertEqual((an.name, an.personal_id, an.sex, an.birth_date, an.student_code),
                         ("Phạm Văn An", "001213000011", "1", "2013-05-01", "HS6A901"))
        self.assertEqual((binh.personal_id, binh.sex), ("001313000012", "2"))
        skips = {s.op_student_id: s.reason for s in wizard.skip_ids}
        self.assertEqual(set(skips), {self.cuong, self.dung})
        self.assertIn("No personal ID number", skips[self.cuong])
        self.assertIn("Invalid personal ID number 12345", skips[self.dung])

        # records with the mapped (and scale-converted) marks
        self.assertEqual(wizard.record_created_count, 2)
        records = klass.record_ids
        self.assertEqual(records.mapped("student_id"), an | binh)
        rec_an = records.filtered(lambda r: r.student_id == an)
        rec_binh = records.filtered(lambda r: r.student_id == binh)
        math_an, lit_an = self.line(rec_an, self.subj_math), self.line(rec_an, self.subj_lit)
        self.assertEqual(math_an.teacher_id, self.gvbm_math)
        self.assertEqual(lit_an.teacher_id, self.gvbm_lit)
        self.assertEqual(math_an.semester1, "8.3")   # 33 / 40 -> 8.25 -> 8.3 (half-up)
        self.assertEqual(math_an.semester2, "9.0")
        self.assertEqual(math_an.year_result, "8.8")  # (8.3 + 2 × 9.0) / 3
        self.assertEqual(lit_an.s1_regular, "8.0 7.0")
        self.assertEqual(lit_an.s1_midterm, "7.0")
        self.assertEqual(lit_an.s1_final, "7.5")     # 75 / 100
        self.assertEqual(lit_an.semester1, "7.4")    # (8 + 7 + 2×7 + 3×7.5) / 8 = 7.4375
        self.assertEqual(lit_an.semester2, "8.0")
        math_binh = self.line(rec_binh, self.subj_math)
        self.assertEqual((math_binh.semester1, math_binh.semester2), ("4.3", "6.0"))  # 17/40

        # running again creates nothing and changes nothing
        counts = {model: self.env[model].search_count([]) for model in (
            "hocbaso.student", "hocbaso.class", "hocbaso.record", "hocbaso.record.line",
            "hocbaso.teaching.assignment", "hocbaso.school.year")}
        again = self.run_wizard()
        self.assertEqual(again.class_id, klass)
        self.assertEqual((again.student_created_count, again.student_updated_count,
                          again.record_created_count, again.line_updated_count), (0, 0, 0, 0))
        self.assertEqual(len(again.skip_ids), 2)
        for model, count in counts.items():
            self.assertEqual(self.env[model].search_count([]), count, model)

        # lock An's record: the core builds and validates the XML
        rec_an.write({"conduct_year": "T", "homeroom_comment": "Chăm ngoan."})
        rec_an.action_lock()
        self.assertEqual(rec_an.state, "locked")
        self.assertTrue(rec_an.xml_document)
        xml_before = rec_an.xml_sha256
        self.assertIn(b"001213000011", rec_an._get_xml())

        # marks change in OpenEduCat: drafts follow, the locked record does not move
        ResultLine = self.env["op.result.line"]
        hk2_math = self.hk2.exam_ids.filtered(lambda e: e.subject_id == self.op_math)
        ResultLine.search([("exam_id", "=", hk2_math.id)]).write({"marks": 10})
        self.cuong.hocbaso_personal_id = "001213000013"
        third = self.run_wizard()
        self.assertEqual(third.student_created_count, 1, "Cường now has a personal ID")
        self.assertIn("Vũ Văn Cường has no registration number", third.warning_text)
        self.assertEqual(third.record_created_count, 1)
        self.assertEqual(third.record_untouched_count, 1)
        self.assertEqual(third.line_updated_count, 1)
        self.assertEqual(math_binh.semester2, "10.0")
        self.assertEqual(math_an.semester2, "9.0")
        self.assertEqual(rec_an.state, "locked")
        self.assertEqual(rec_an.xml_sha256, xml_before)
        self.assertEqual(set(third.skip_ids.mapped("op_student_id")), {self.dung})

    def test_wizard_requires_school_admin(self):
        wizard = self.env["hocbaso.openeducat.import"].create({
            "batch_id": self.batch.id, "company_id": self.school.id})
        with self.assertRaises(AccessError):
            wizard.with_user(self.gvbm_math).action_import()
        self.assertFalse(self.env["hocbaso.class"].search([("op_batch_id", "=", self.batch.id)]))

    def test_existing_students_are_linked_or_skipped(self):
        # a School Records student without a record this year is linked, not duplicated
        lone = self.env["hocbaso.student"].create({
            "name": "Phạm Văn An", "personal_id": "001213000011", "sex": "1",
            "company_id": self.school.id})
        wizard = self.run_wizard()
        self.assertEqual(lone.op_student_id, self.an)
        self.assertEqual(lone.class_id, wizard.class_id)
        self.assertEqual(lone.birth_date, "2013-05-01")
        self.assertEqual(self.env["hocbaso.student"].search_count(
            [("personal_id", "=", "001213000011")]), 1)
        # a personal ID already linked to another OpenEduCat student
        self.cuong.hocbaso_personal_id = "001213000011"
        # a student who already has a 2024-2025 record in another class (6A1)
        self.dung.write({"hocbaso_personal_id": self.student.personal_id,
                         "birth_date": date(2013, 9, 1)})
        again = self.run_wizard()
        reasons = {s.op_student_id: s.reason for s in again.skip_ids}
        self.assertIn("already belongs to Phạm Văn An", reasons[self.cuong])
        self.assertIn("already has a record for 2024-2025 in class 6A1", reasons[self.dung])
        self.assertEqual(self.student.class_id, self.klass)
        self.assertFalse(self.student.op_student_id)
