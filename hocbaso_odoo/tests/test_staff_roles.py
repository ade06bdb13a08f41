"""Pickers of a role offer the school's staff holding it, and the server refuses the others."""

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools.safe_eval import safe_eval

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

    def test_an_archived_teacher_is_not_picked(self):
        self.gvcn_other_class.active = False
        with self.assertRaisesRegex(ValidationError, "staff member"):
            self.klass.homeroom_teacher_id = self.gvcn_other_class


@tagged("post_install", "-at_install")
class TestStaffAndRolesScreen(HocbasoCase):
    """The school admin's Staff and Roles screen: every check on the server."""

    def _wizard(self, user=None, edit=None, **values):
        """The school admin's form (``edit``: for an existing user) as ``user``."""
        Wizard = self.env["hocbaso.staff.edit"].with_user(user or self.school_admin).with_company(
            self.school)
        if edit:
            Wizard = Wizard.with_context(default_user_id=edit.id)
        vals = {"name": "Nguyễn Thị Hoa", "login": "hoa.nguyen"} if not edit else {}
        vals.update(values)
        return Wizard.create(vals)

    def test_school_admin_creates_a_teacher_with_roles(self):
        ref = self.env.ref
        homeroom = ref("hocbaso_odoo.group_homeroom_teacher")
        wizard = self._wizard(role_ids=[Command.set(homeroom.ids)],
                              homeroom_class_ids=[Command.set(self.other_class.ids)],
                              assignment_ids=[Command.create({"class_id": self.other_class.id,
                                                              "subject_id": self.subj_math.id})],
                              password="hoa-first-password")
        # 6A2 is gvcn_other's class: taken over only when the admin ticks it
        self.assertEqual(wizard.homeroom_current_teachers, "6A2: gvcn_other")
        with self.assertRaisesRegex(
                UserError, "6A2 has gvcn_other as homeroom teacher. To make Nguyễn Thị Hoa "
                           "their homeroom teacher, tick “Replace the Homeroom Teacher”"):
            wizard.action_apply()
        self.assertEqual(self.other_class.homeroom_teacher_id, self.gvcn_other_class)
        self.assertFalse(self.env["res.users"].search([("login", "=", "hoa.nguyen")]))
        wizard.replace_homeroom_teacher = True
        wizard.action_apply()
        self.assertFalse(wizard.password, "no password left in the wizard's table")
        hoa = self.env["res.users"].search([("login", "=", "hoa.nguyen")])
        self.assertEqual(hoa.name, "Nguyễn Thị Hoa")
        self.assertFalse(hoa.share)
        self.assertEqual(hoa.company_id, self.school)
        self.assertEqual(hoa.company_ids, self.school)
        self.assertTrue(hoa.has_group("hocbaso_odoo.group_homeroom_teacher"))
        self.assertTrue(hoa.has_group("hocbaso_odoo.group_subject_teacher"))
        for group in ("base.group_erp_manager", "base.group_system", "base.group_partner_manager",
                      "hocbaso_odoo.group_school_admin", "hocbaso_odoo.group_issuer"):
            self.assertFalse(hoa.has_group(group), group)
        allowed = self.env["res.users"]._hocbaso_role_groups() | ref("base.group_user")
        allowed |= ref("base.group_user").trans_implied_ids
        self.assertFalse(hoa.groups_id - allowed, "only Học bạ số roles and internal user")
        self.assertEqual(hoa.hocbaso_role_ids, homeroom, "the role given, not the one implied")
        self.assertEqual(homeroom.with_user(self.school_admin).display_name, homeroom.name)
        self.assertEqual(self.other_class.homeroom_teacher_id, hoa)
        assignment = self.env["hocbaso.teaching.assignment"].search([
            ("class_id", "=", self.other_class.id), ("subject_id", "=", self.subj_math.id)])
        self.assertEqual(assignment.teacher_id, hoa)
        # she is listed in Staff and Roles, the school admin reopens her
        action = self.env["res.users"].with_user(self.school_admin).with_company(
            self.school).action_hocbaso_staff()
        self.assertIn(hoa, self.env["res.users"].search(action["domain"]))
        self.assertNotIn(self.parent, self.env["res.users"].search(action["domain"]))
        self.assertNotIn(self.other_school_admin, self.env["res.users"].search(action["domain"]))
        again = self._wizard(edit=hoa)
        subject = ref("hocbaso_odoo.group_subject_teacher")
        self.assertEqual(again.role_ids, homeroom | subject, "every role she holds is ticked")
        self.assertEqual(again.homeroom_class_ids, self.other_class)
        self.assertFalse(again.homeroom_current_teachers, "her own class: nobody to replace")
        self.assertEqual(again.assignment_ids.subject_id, self.subj_math)
        # a subject teacher only now: her homeroom class must go first, in words
        again.role_ids = ref("hocbaso_odoo.group_subject_teacher")
        with self.assertRaisesRegex(UserError, "homeroom teacher of 6A2"):
            again.action_apply()
        self.assertEqual(self.other_class.homeroom_teacher_id, hoa, "nothing lost")
        again.homeroom_class_ids = False
        again.action_apply()
        self.assertFalse(hoa.has_group("hocbaso_odoo.group_homeroom_teacher"))
        self.assertTrue(hoa.has_group("hocbaso_odoo.group_subject_teacher"))
        self.assertFalse(self.other_class.homeroom_teacher_id)
        self.assertEqual(assignment.teacher_id, hoa)
        # archived: she can no longer log in, and is no longer listed
        again = self._wizard(edit=hoa)
        again.action_archive_staff()
        self.assertFalse(hoa.active)
        self.assertNotIn(hoa, self.env["res.users"].search(action["domain"]))
        with self.assertRaisesRegex(UserError, "archive yourself"):
            self._wizard(edit=self.school_admin).action_archive_staff()

    def test_the_screen_shows_and_saves_the_roles_held(self):
        """Subject + Homeroom ticked, saved, reopened: both ticked; unticking Homeroom keeps her
        a subject teacher with her subjects (no "give them the role Subject Teacher"). A
        homeroom teacher given that role alone (it brings the subject one) shows both too."""
        homeroom = self.env.ref("hocbaso_odoo.group_homeroom_teacher")
        subject = self.env.ref("hocbaso_odoo.group_subject_teacher")
        self._wizard(role_ids=[Command.set((homeroom | subject).ids)],
                     assignment_ids=[Command.create({"class_id": self.other_class.id,
                                                     "subject_id": self.subj_math.id})]
                     ).action_apply()
        hoa = self.env["res.users"].search([("login", "=", "hoa.nguyen")])
        again = self._wizard(edit=hoa)
        self.assertEqual(again.role_ids, homeroom | subject)
        again.action_apply()  # saving what is shown changes nothing
        self.assertTrue(hoa.has_group("hocbaso_odoo.group_homeroom_teacher"))
        again = self._wizard(edit=hoa)
        again.role_ids = subject  # Homeroom unticked
        again.action_apply()
        self.assertFalse(hoa.has_group("hocbaso_odoo.group_homeroom_teacher"))
        self.assertTrue(hoa.has_group("hocbaso_odoo.group_subject_teacher"))
        self.assertEqual(self._wizard(edit=hoa).role_ids, subject)
        self.assertEqual(self.env["hocbaso.teaching.assignment"].search([
            ("teacher_id", "=", hoa.id)]).class_id, self.other_class, "her subject kept")
        # gvcn was given Homeroom alone (Subject comes with it): both shown ticked
        shown = self._wizard(edit=self.gvcn)
        self.assertEqual(shown.role_ids, homeroom | subject)
        shown.action_apply()
        self.assertEqual(self.klass.homeroom_teacher_id, self.gvcn)
        # on the screen, ticking Homeroom ticks what it brings; unticking that comes back
        form = Form(self.env["hocbaso.staff.edit"].with_user(self.school_admin).with_context(
            default_user_id=hoa.id))
        form.role_ids.add(homeroom)
        self.assertEqual(set(form.role_ids.ids), set((homeroom | subject).ids))
        form.role_ids.remove(subject.id)
        self.assertEqual(set(form.role_ids.ids), set((homeroom | subject).ids))

    def test_a_colleagues_subject_is_never_taken_silently(self):
        """6A1 – Mathematics is gvbm_math's: the screen names her and changes nothing until the
        admin ticks "Replace the Teacher" on that line."""
        subject_teacher = self.env.ref("hocbaso_odoo.group_subject_teacher")
        math = self.env["hocbaso.teaching.assignment"].search([
            ("class_id", "=", self.klass.id), ("subject_id", "=", self.subj_math.id)])
        wizard = self._wizard(role_ids=[Command.set(subject_teacher.ids)],
                              assignment_ids=[Command.create({"class_id": self.klass.id,
                                                              "subject_id": self.subj_math.id})])
        self.assertEqual(wizard.assignment_ids.current_teacher_id, self.gvbm_math)
        with self.assertRaisesRegex(
                UserError, "6A1 – Mathematics is taught by gvbm_math. To give it to Nguyễn Thị "
                           "Hoa, tick “Replace the Teacher”"):
            wizard.action_apply()
        self.assertEqual(math.teacher_id, self.gvbm_math, "nothing taken")
        self.assertFalse(self.env["res.users"].search([("login", "=", "hoa.nguyen")]),
                         "nobody created either")
        wizard.assignment_ids.replace_teacher = True
        wizard.action_apply()
        hoa = self.env["res.users"].search([("login", "=", "hoa.nguyen")])
        self.assertEqual(math.teacher_id, hoa, "replaced when asked for")
        # reopened, her own subjects show nobody else teaching them
        self.assertFalse(self._wizard(edit=hoa).assignment_ids.current_teacher_id)

    def test_subject_picker_offers_the_class_grade_subjects_once(self):
        """Grade 1: one Foreign language 1 (the grades 1-2 one), no subject of grades 4-5 nor
        of lower secondary; the server refuses the others."""
        primary = self.env["hocbaso.class"].create({
            "name": "1A", "company_id": self.school.id, "school_year_id": self.year.id,
            "grade_id": self.env.ref("hocbaso_odoo.grade_01").id})
        Line = self.env["hocbaso.staff.edit.assignment"]
        domain = safe_eval(Line._fields["subject_id"].domain, {
            "level_id": primary.level_id.id, "grade_id": primary.grade_id.id})
        offered = self.env["hocbaso.subject"].search(domain)
        self.assertTrue(offered)
        self.assertEqual(offered.level_id, self.level_primary)
        self.assertEqual(len(offered.mapped("name")), len(offered), "each subject once")
        self.assertIn(self.env.ref("hocbaso_odoo.subject_02_nn1"), offered)
        self.assertNotIn(self.env.ref("hocbaso_odoo.subject_02_nn1_g3_5"), offered)
        self.assertNotIn(self.env.ref("hocbaso_odoo.subject_02_khoahoc"), offered)
        subject_teacher = self.env.ref("hocbaso_odoo.group_subject_teacher")
        for subject, message in ((self.env.ref("hocbaso_odoo.subject_02_khoahoc"),
                                  "not a subject of class 1A"),
                                 (self.subj_math, "not a subject of class 1A")):
            with self.assertRaisesRegex(UserError, message):
                self._wizard(role_ids=[Command.set(subject_teacher.ids)], assignment_ids=[
                    Command.create({"class_id": primary.id, "subject_id": subject.id})
                ]).action_apply()
        self.assertFalse(primary.assignment_ids)

    def test_refused_to_who_is_not_the_school_admin(self):
        homeroom = self.env.ref("hocbaso_odoo.group_homeroom_teacher")
        with self.assertRaises(AccessError):  # no access to the screen at all
            self._wizard(user=self.principal, role_ids=[Command.set(homeroom.ids)])
        Users = self.env["res.users"].with_user(self.principal).with_company(self.school)
        with self.assertRaisesRegex(AccessError, "Only the school admin"):
            Users._hocbaso_save_staff(self.school, Users, {"name": "X", "login": "x"}, homeroom)
        with self.assertRaisesRegex(AccessError, "Only the school admin"):
            Users.action_hocbaso_staff()
        # the other school's admin: not for this school nor its staff
        other = self.env["res.users"].with_user(self.other_school_admin)
        math_teacher = self.gvbm_math.with_user(self.other_school_admin)
        with self.assertRaisesRegex(AccessError, "Only the school admin"):
            other._hocbaso_save_staff(self.school, math_teacher,
                                      {"name": "X", "login": "gvbm_math"}, homeroom)
        with self.assertRaisesRegex(AccessError, "not a staff member of"):
            other._hocbaso_save_staff(self.other_school, math_teacher,
                                      {"name": "X", "login": "gvbm_math"}, homeroom)
        self.assertFalse(self.gvbm_math.has_group("hocbaso_odoo.group_homeroom_teacher"))
        with self.assertRaisesRegex(AccessError, "not a staff member of"):
            self.gvbm_math.with_user(self.other_school_admin)._hocbaso_archive_staff(
                self.other_school)
        self.assertTrue(self.gvbm_math.active)
        # a teacher of both schools: only the Odoo administrator changes her access
        self.gvbm_lit.company_ids = self.school | self.other_school
        with self.assertRaisesRegex(AccessError, "other schools"):
            self._wizard(edit=self.gvbm_lit)
        with self.assertRaisesRegex(AccessError, "other schools"):
            self.gvbm_lit.with_user(self.school_admin)._hocbaso_archive_staff(self.school)
        self.assertTrue(self.gvbm_lit.active)

    def test_refused_to_grant_other_groups(self):
        ref = self.env.ref
        for xmlid in ("base.group_system", "base.group_erp_manager", "base.group_portal",
                      "base.group_partner_manager"):
            with self.assertRaisesRegex(AccessError, "records roles only"):
                self._wizard(role_ids=[Command.set(ref(xmlid).ids)]).action_apply()
            with self.assertRaisesRegex(AccessError, "records roles only"):
                self._wizard(edit=self.gvbm_math, role_ids=[Command.set(
                    (ref(xmlid) | ref("hocbaso_odoo.group_subject_teacher")).ids)]).action_apply()
        self.assertFalse(self.env["res.users"].search([("login", "=", "hoa.nguyen")]))
        self.assertFalse(self.gvbm_math.has_group("base.group_system"))
        # nor demote or take over an Odoo administrator, nor turn a parent into staff
        odoo_admin = self.env["res.users"].create({
            "name": "Quản trị Odoo", "login": "odoo_admin", "company_id": self.school.id,
            "company_ids": [Command.set(self.school.ids)],
            "groups_id": [Command.set(ref("base.group_system").ids)]})
        for user, message in ((odoo_admin, "Odoo administrator"), (self.parent, "portal user")):
            with self.assertRaisesRegex(AccessError, message):
                self._wizard(edit=user)
            with self.assertRaisesRegex(AccessError, message):
                self._wizard(user_id=user.id, name="X", login=user.login, role_ids=[Command.set(
                    ref("hocbaso_odoo.group_homeroom_teacher").ids)]).action_apply()
        self.assertTrue(odoo_admin.has_group("base.group_system"))
        self.assertTrue(self.parent.share)
        with self.assertRaisesRegex(UserError, "already used"):
            self._wizard(login="gvcn", role_ids=[Command.set(
                ref("hocbaso_odoo.group_subject_teacher").ids)]).action_apply()

    def test_a_parent_is_refused_as_homeroom_teacher_on_the_screen(self):
        with self.assertRaisesRegex(ValidationError, "homeroom teacher of 6A1"):
            self.klass.with_user(self.school_admin).write({"homeroom_teacher_id": self.parent.id})
        domain = self.env["hocbaso.class"]._fields["homeroom_teacher_id"].get_domain_list(
            self.env["hocbaso.class"]) + self.env["res.users"]._check_company_domain(self.school)
        offered = self.env["res.users"].search(domain)
        self.assertNotIn(self.parent, offered)
        self.assertIn(self.gvcn, offered)
        self.assertFalse(offered.filtered(lambda u: self.school not in u.company_ids))
        teachers = self.env["res.users"].search(
            self.env["hocbaso.teaching.assignment"]._fields["teacher_id"].get_domain_list(
                self.env["hocbaso.teaching.assignment"]))
        self.assertIn(self.gvbm_math, teachers)
        self.assertNotIn(self.inspector, teachers)
        self.assertNotIn(self.parent, teachers)

    def test_apps_menu_only_for_odoo_admins(self):
        apps = self.env.ref("base.menu_management")
        for user in (self.school_admin, self.gvcn, self.inspector, self.issuer):
            menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
            self.assertNotIn(apps.id, menus, user.login)
        self.assertIn(apps.id, self.env["ir.ui.menu"].with_user(
            self.env.ref("base.user_admin")).load_menus(False))
        staff_menu = self.env.ref("hocbaso_odoo.menu_hocbaso_staff")
        self.assertIn(staff_menu.id, self.env["ir.ui.menu"].with_user(
            self.school_admin).load_menus(False))
        self.assertNotIn(staff_menu.id, self.env["ir.ui.menu"].with_user(
            self.gvcn).load_menus(False))

    def test_no_activities_button_for_the_inspector(self):
        Record = self.env["hocbaso.record"]
        views = [(False, "form")]
        self.assertNotIn("has_activities", Record.with_user(self.inspector).get_views(
            views)["models"]["hocbaso.record"])
        self.assertTrue(Record.with_user(self.gvcn).get_views(
            views)["models"]["hocbaso.record"].get("has_activities"))

    def test_user_form_headers_in_vietnamese(self):
        self.load_vietnamese()
        Groups = self.env["res.groups"]
        # as when a module installs: Odoo's placeholder, then the section rebuilt in English
        Groups.with_context(install_filename="hocbaso_security.xml")._update_user_groups_view()
        Groups._update_user_groups_view()
        arch = self.env.ref("base.user_groups_view").with_context(lang="vi_VN").arch_db
        self.assertIn('string="Học bạ số"', arch)
        self.assertIn('string="Loại người dùng"', arch)
        self.assertIn('string="Quyền Bổ sung"', arch)  # Extra Rights, from its category
        self.assertNotIn('string="Digital School Records"', arch)
        self.assertNotIn('string="User Type"', arch)
        self.assertIn('string="Digital School Records"', self.env.ref(
            "base.user_groups_view").with_context(lang="en_US").arch_db)
