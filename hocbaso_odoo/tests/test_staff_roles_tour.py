"""The school admin's Staff and Roles journey in the browser, in Vietnamese and in English."""

from odoo.tests import HttpCase, tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestStaffRolesTour(HocbasoCase, HttpCase):

    def test_school_admin_creates_a_teacher_in_the_browser(self):
        self.load_vietnamese()
        Users = self.env["res.users"].with_context(active_test=False)
        homeroom = self.env.ref("hocbaso_odoo.group_homeroom_teacher")
        for lang, tour in (("vi_VN", "hocbaso_staff_roles_vi"),
                           ("en_US", "hocbaso_staff_roles_en")):
            previous = Users.search([("login", "=", "hoa.nguyen")])  # the other language's run
            Assignment = self.env["hocbaso.teaching.assignment"]
            Assignment.search([("teacher_id", "in", previous.ids)]).unlink()
            previous.unlink()
            self.other_class.homeroom_teacher_id = self.gvcn_other_class
            self.school_admin.lang = lang
            self.start_tour("/odoo/action-hocbaso_odoo.hocbaso_staff_server_action", tour,
                            login="school_admin", timeout=180)
            hoa = Users.search([("login", "=", "hoa.nguyen")])
            self.assertEqual(hoa.name, "Nguyễn Thị Hoa", lang)
            self.assertFalse(hoa.share, lang)
            self.assertEqual(hoa.company_ids, self.school, lang)
            self.assertEqual(hoa.hocbaso_role_ids, homeroom, lang)
            self.assertFalse(hoa.has_group("base.group_erp_manager"), lang)
            self.assertEqual(self.other_class.homeroom_teacher_id, hoa, lang)
            assignment = self.env["hocbaso.teaching.assignment"].search([
                ("class_id", "=", self.other_class.id), ("teacher_id", "=", hoa.id)])
            self.assertEqual(assignment.subject_id, self.subj_math, lang)
