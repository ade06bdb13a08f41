"""Roles are given one by one: the school administrator and the school leadership get no signing
step and no score entry that nobody gave them (only the homeroom role brings the subject one)."""

from odoo.tests import tagged

from .test_menu_counters import CountCase

STATES = ("draft", "locked", "gvbm_signed", "gvcn_signed", "leader_signed", "issued")
SCORE_MENUS = ("hocbaso_odoo.menu_hocbaso_score_entry", "hocbaso_odoo.menu_hocbaso_record_line")
WAITING = "hocbaso_odoo.menu_hocbaso_record_waiting"


@tagged("post_install", "-at_install")
class TestExplicitRoles(CountCase):

    def visible_menus(self, user):
        menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        return {xmlid for xmlid in (*SCORE_MENUS, WAITING, "hocbaso_odoo.menu_hocbaso_root",
                                    "hocbaso_odoo.menu_hocbaso_config")
                if self.env.ref(xmlid).id in menus}

    def assert_reads_the_school(self, user):
        records = self.env["hocbaso.record"].with_user(user).search([])
        self.assertLessEqual(self.records, records)
        self.assertEqual(records.company_id, self.school)

    def test_school_admin_holds_no_signing_role(self):
        admin = self.school_admin
        for group in ("group_subject_teacher", "group_homeroom_teacher", "group_leadership",
                      "group_issuer"):
            self.assertFalse(admin.has_group("hocbaso_odoo." + group), group)
        for state in STATES:
            self.force(self.records, state, ("TOAN", "NGUVAN", "GDTC"))
            self.assertEqual(self.count(admin), 0, f"nothing waits for the admin ({state})")
        self.assertEqual(self.visible_menus(admin),
                         {"hocbaso_odoo.menu_hocbaso_root", "hocbaso_odoo.menu_hocbaso_config"})
        # he still reads the records of his school, not another school's
        self.assert_reads_the_school(admin)

    def test_principal_signs_as_leadership_without_score_entry(self):
        principal = self.principal
        self.assertFalse(principal.has_group("hocbaso_odoo.group_homeroom_teacher"))
        self.assertFalse(principal.has_group("hocbaso_odoo.group_subject_teacher"))
        self.assertEqual(self.visible_menus(principal),
                         {"hocbaso_odoo.menu_hocbaso_root", WAITING})
        self.force(self.records, "locked")
        self.assertEqual(self.count(principal), 0, "subject results are not his to sign")
        self.force(self.records, "gvcn_signed", ("TOAN", "NGUVAN", "GDTC"))
        self.assertEqual(self.count(principal), 2)
        self.assert_reads_the_school(principal)

    def test_a_principal_who_teaches_enters_scores(self):
        self.principal.groups_id = [(4, self.env.ref("hocbaso_odoo.group_subject_teacher").id)]
        self.assertEqual(self.visible_menus(self.principal),
                         {"hocbaso_odoo.menu_hocbaso_root", WAITING, *SCORE_MENUS})
