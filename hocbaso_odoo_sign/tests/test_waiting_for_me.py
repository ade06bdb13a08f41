"""What waits for me: exactly the records where my step is next; a batch skips the others."""

from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import SignCase


@tagged("post_install", "-at_install")
class TestWaitingForMe(SignCase):

    def waiting(self, user):
        return self.env["hocbaso.record"].with_user(user).search([("waiting_for_me", "=", True)])

    def test_each_role_sees_exactly_its_next_step(self):
        self.assertFalse(self.waiting(self.gvbm_math), "drafts wait for nobody's signature")
        self.lock(self.records)
        self.assertEqual(self.waiting(self.gvbm_math), self.records)
        self.assertEqual(self.waiting(self.gvbm_lit), self.records)
        self.assertFalse(self.waiting(self.gvcn), "her class still waits for its subjects")
        self.assert_all_signed(self.sign(self.gvbm_math, self.records, "gvbm"))
        self.assertFalse(self.waiting(self.gvbm_math), "past my step: no longer mine")
        self.assert_all_signed(self.sign(self.gvbm_lit, self.records, "gvbm"))
        self.assertEqual(self.waiting(self.gvcn), self.records)
        self.assertFalse(self.waiting(self.gvcn_other_class), "not her class")
        self.assertFalse(self.waiting(self.principal))
        self.assert_all_signed(self.sign(self.gvcn, self.records, "gvcn"))
        self.assertEqual(self.waiting(self.principal), self.records)
        self.assertFalse(self.waiting(self.issuer))
        self.assert_all_signed(self.sign(self.principal, self.records, "cbql"))
        self.assertEqual(self.waiting(self.issuer), self.records)
        self.assertFalse(self.records.with_user(self.issuer).filtered("waiting_for_me") -
                         self.records)
        self.assert_all_signed(self.sign(self.issuer, self.records, "phathanh",
                                         self.school_cert))
        for user in (self.gvbm_math, self.gvcn, self.principal, self.issuer):
            self.assertFalse(self.waiting(user))

    def test_the_class_button_shows_only_when_a_record_waits_for_me(self):
        """"Sign the Class" shows to whom a record of the class waits for: a subject teacher in
        a class that is not her homeroom (she signs her subject there), not the homeroom
        teacher of another class, who got an empty signing dialog."""
        def count(user):
            return self.klass.with_user(user).waiting_for_me_count

        arch = etree.fromstring(self.klass.with_user(self.gvcn_other_class).get_view(
            view_type="form")["arch"])
        [button] = arch.xpath("//button[@name='action_sign_class']")
        self.assertEqual(button.get("invisible"), "not waiting_for_me_count")
        self.assertFalse(count(self.gvbm_math), "drafts wait for nobody's signature")
        self.lock(self.records)
        self.assertEqual(count(self.gvbm_math), 2)
        self.assertEqual(count(self.gvbm_lit), 2)
        self.assertEqual(count(self.gvcn), 0, "her class still waits for its subjects")
        self.assertEqual(count(self.gvcn_other_class), 0, "not her class")
        with self.assertRaisesRegex(UserError, "No record of 6A1"):
            self.klass.with_user(self.gvcn_other_class).action_sign_class()
        action = self.klass.with_user(self.gvbm_lit).action_sign_class()
        self.assertEqual(set(action["context"]["active_ids"]), set(self.records.ids))
        self.assert_all_signed(self.sign(self.gvbm_math, self.records, "gvbm"))
        self.assertEqual((count(self.gvbm_math), count(self.gvbm_lit)), (0, 2))

    def test_a_batch_skips_what_does_not_wait_for_me(self):
        self.lock(self.records)
        self.assert_all_signed(self.sign(self.gvbm_math, self.record, "gvbm"))
        wizard = self.sign(self.gvbm_math, self.records, "gvbm")
        statuses = {result.record_id: result.status for result in wizard.result_ids}
        self.assertEqual(statuses, {self.record: "skipped", self.record2: "signed"})
        self.assertIn("1 skipped", wizard.summary)
        self.assertIn("0 not signed", wizard.summary)

    def test_the_issuer_issues_with_the_school_certificate(self):
        """The issuer's step says "Issue" (the roles table's last step), and the issuer finds
        the school's certificate under My Certificates as teachers find theirs (P3.19)."""
        self.lock(self.records)
        self.sign_to(self.records, "cbql")
        action = self.records.with_user(self.issuer).action_open_sign_wizard()
        self.assertEqual(action["name"], "Issue Records")
        wizard = self.wizard(self.issuer, self.records, "phathanh", self.school_cert)
        self.assertTrue(wizard.is_issuance)
        arch = wizard.get_view(view_type="form")["arch"]
        self.assertIn('string="Issue"', arch)
        # a teacher's step keeps "Sign"
        self.assertEqual(self.records.with_user(self.gvcn).action_open_sign_wizard()["name"],
                         "Sign Records")
        self.assertFalse(self.wizard(self.gvcn, self.records, "gvcn").is_issuance)
        # My Certificates: the issuer's menu, with the school's certificate in it
        menu = self.env.ref("hocbaso_odoo_sign.menu_hocbaso_my_certificates")
        for user in (self.issuer, self.gvbm_math):
            self.assertIn(menu.id, self.env["ir.ui.menu"].with_user(user)._visible_menu_ids())
        mine = self.env.ref("hocbaso_odoo_sign.hocbaso_my_certificate_action")
        Cert = self.env["hocbaso.signing.certificate"]
        self.assertEqual(Cert.with_user(self.issuer).search(
            safe_eval(mine.domain, {"uid": self.issuer.id})), self.school_cert)
        self.assertEqual(Cert.with_user(self.gvbm_math).search(
            safe_eval(mine.domain, {"uid": self.gvbm_math.id})), self.certs[self.gvbm_math])
