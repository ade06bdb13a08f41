"""Pickers of a role offer the school's staff holding it, and the server refuses the others."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestStaffRoles(HocbasoCase):

    def test_a_parent_is_never_a_homeroom_teacher(self):
        with self.assertRaisesRegex(ValidationError, "homeroom teacher of 6A1"):
            self.klass.with_user(self.school_admin).homeroom_teacher_id = self.parent
        with self.assertRaisesRegex(ValidationError, "staff member"):
            self.klass.homeroom_teacher_id = self.gvbm_math  # a subject teacher only
        with self.assertRaisesRegex(ValidationError, "Trường THCS Bình Minh"):
            self.env["hocbaso.class"].create({
                "name": "6B9", "company_id": self.other_school.id,
                "school_year_id": self.year.id, "grade_id": self.klass.grade_id.id,
                "homeroom_teacher_id": self.gvcn.id})  # a teacher of another school
        self.klass.homeroom_teacher_id = self.gvcn_other_class  # a homeroom teacher: fine

    def test_a_subject_is_taught_by_a_teacher(self):
        with self.assertRaisesRegex(ValidationError, "teacher of"):
            self.env["hocbaso.teaching.assignment"].create({
                "class_id": self.other_class.id, "subject_id": self.subj_math.id,
                "teacher_id": self.inspector.id})

    def test_pickers_offer_staff_holding_the_role(self):
        domain = self.env["hocbaso.class"]._fields["homeroom_teacher_id"].get_domain_list(
            self.env["hocbaso.class"])
        offered = self.env["res.users"].search(domain)
        self.assertIn(self.gvcn, offered)
        self.assertNotIn(self.parent, offered)
        self.assertNotIn(self.gvbm_math, offered)
