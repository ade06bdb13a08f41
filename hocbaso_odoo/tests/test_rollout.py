"""Rollout by grade: only the grades a school chose for the year get digital records."""

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestRollout(HocbasoCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.grade9 = env["hocbaso.class"].create({
            "name": "9A1", "company_id": cls.school.id, "school_year_id": cls.year.id,
            "grade_id": env.ref("hocbaso_odoo.grade_09").id,
            "homeroom_teacher_id": cls.gvcn_other_class.id})
        env["hocbaso.teaching.assignment"].create({
            "class_id": cls.grade9.id, "subject_id": cls.subj_math.id,
            "teacher_id": cls.gvbm_math.id})
        env["hocbaso.student"].create({
            "name": "Vũ Thị Lan", "personal_id": "001313000099", "sex": "2",
            "company_id": cls.school.id, "class_id": cls.grade9.id})

    def test_every_grade_until_the_school_chooses(self):
        self.assertTrue(self.grade9._generate_records(), "no rollout line: every grade")

    def test_school_admin_chooses_grade_6_in_the_browser(self):
        self.load_vietnamese()
        Rollout = self.env["hocbaso.rollout"]
        for lang in ("vi_VN", "en_US"):
            Rollout.search([]).unlink()
            self.school_admin.lang = lang
            self.start_tour("/odoo/action-hocbaso_odoo.hocbaso_rollout_action",
                            "hocbaso_rollout", login="school_admin", timeout=120)
            rollout = Rollout.search([("company_id", "=", self.school.id)])
            self.assertEqual(rollout.school_year_id, self.year, lang)
            self.assertEqual(rollout.grade_ids, self.env.ref("hocbaso_odoo.grade_06"), lang)
        # grade 9 gets no record this year; grade 6 does; the other school is not concerned
        with self.assertRaisesRegex(UserError, "Rollout by Grade"):
            self.grade9.with_user(self.gvcn_other_class)._generate_records()
        self.assertFalse(self.env["hocbaso.record"].search([("class_id", "=", self.grade9.id)]))
        self.env["hocbaso.student"].create({
            "name": "Học sinh mới", "personal_id": "001213000098", "sex": "1",
            "company_id": self.school.id, "class_id": self.klass.id})
        self.assertTrue(self.klass._generate_records())
        self.assertIsNone(Rollout._grades(self.other_school, self.year))
