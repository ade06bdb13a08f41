"""The count beside "Waiting for Me" ("Chờ tôi ký (2)"): per user, from her roles, classes,
subjects and the records' states, within the schools she works in; and in the browser, where it
follows a change without a reload."""

from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from odoo.addons.hocbaso_odoo.models.hocbaso_record_my_work import WAITING_MENU

from .common import HocbasoCase


class CountCase(HocbasoCase):

    @classmethod
    def force(cls, records, state, signed_subjects=()):
        """Put ``records`` in ``state`` with the lines of ``signed_subjects`` signed by their
        teachers, as signing would leave them (the signatures themselves are the sign addon's
        business)."""
        cls.env.flush_all()
        cls.env.cr.execute("UPDATE hocbaso_record SET state = %s WHERE id IN %s",
                           (state, tuple(records.ids)))
        lines = records.line_ids
        signed = lines.filtered(lambda line: line.subject_code in signed_subjects)
        cls.env.cr.execute("UPDATE hocbaso_record_line SET gvbm_signed = id IN %s "
                           "WHERE id IN %s", (tuple(signed.ids) or (0,), tuple(lines.ids)))
        cls.env.invalidate_all()

    def count(self, user, companies=None):
        env = self.env(user=user, context=dict(
            self.env.context, allowed_company_ids=(companies or user.company_ids).ids))
        counts = env["hocbaso.record"].hocbaso_menu_counters()
        self.assertEqual(set(counts), {WAITING_MENU})
        listed = env["hocbaso.record"].search([("waiting_for_me", "=", True)])
        self.assertEqual(counts[WAITING_MENU], len(listed), "the count is what the list shows")
        return counts[WAITING_MENU]


@tagged("post_install", "-at_install")
class TestMenuCounters(CountCase):

    def counts(self):
        users = (self.gvbm_math, self.gvbm_lit, self.gvcn, self.gvcn_other_class,
                 self.principal, self.issuer)
        return {user.login: self.count(user) for user in users}

    def test_each_user_counts_what_waits_for_her(self):
        nobody = dict.fromkeys(("gvbm_math", "gvbm_lit", "gvcn", "gvcn_other", "principal",
                                "issuer"), 0)
        self.assertEqual(self.counts(), nobody, "drafts wait for nobody's signature")
        self.force(self.records, "locked")
        self.assertEqual(self.counts(), dict(nobody, gvbm_math=2, gvbm_lit=2))
        self.force(self.records, "locked", ("TOAN",))
        self.assertEqual(self.counts(), dict(nobody, gvbm_lit=2), "signed: no longer hers")
        self.force(self.record, "locked", ("TOAN",))
        self.force(self.records - self.record, "gvbm_signed", ("TOAN", "NGUVAN", "GDTC"))
        self.assertEqual(self.counts(), dict(nobody, gvbm_lit=1, gvcn=1))
        self.force(self.records, "gvcn_signed", ("TOAN", "NGUVAN", "GDTC"))
        self.assertEqual(self.counts(), dict(nobody, principal=2))
        self.force(self.records, "leader_signed", ("TOAN", "NGUVAN", "GDTC"))
        self.assertEqual(self.counts(), dict(nobody, issuer=2))
        self.force(self.records, "issued", ("TOAN", "NGUVAN", "GDTC"))
        self.assertEqual(self.counts(), nobody)

    def test_empty_list_says_nothing_waits_without_sample_data(self):
        """Odoo's sample rows (faded Latin, "Laoreet id (3)") never stand in for an empty
        "Waiting for Me": the page says nothing waits and when records come."""
        action = self.env.ref("hocbaso_odoo.hocbaso_record_action_waiting")
        for view in (self.env.ref("hocbaso_odoo.hocbaso_record_view_list"),
                     *action.view_ids.view_id):
            self.assertNotIn("sample=", view.arch)
        arch = self.env["hocbaso.record"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertNotIn("sample=", arch)
        self.assertIn("Nothing waits for your signature", action.help)
        self.assertIn("Records appear here when your step is next", action.help)

    def test_a_record_waiting_in_two_roles_counts_once(self):
        # the homeroom teacher teaches mathematics in her class too: with only her subject
        # left, she signs it with her class's signature; the record is one record to sign
        self.gvcn.groups_id |= self.env.ref("hocbaso_odoo.group_subject_teacher")
        self.klass.assignment_ids.filtered(
            lambda a: a.subject_id == self.subj_math).teacher_id = self.gvcn
        self.records.line_ids.filtered(lambda line: line.subject_code == "TOAN").teacher_id = \
            self.gvcn
        self.force(self.records, "locked", ("NGUVAN", "GDTC"))
        self.assertEqual(self.count(self.gvcn), 2)

    def test_counted_in_the_schools_allowed(self):
        # a principal of two schools: the count follows the schools she works in now
        self.principal.company_ids |= self.other_school
        self.force(self.records, "gvcn_signed", ("TOAN", "NGUVAN", "GDTC"))
        self.assertEqual(self.count(self.principal), 2)
        self.assertEqual(self.count(self.principal, self.school), 2)
        self.assertEqual(self.count(self.principal, self.other_school), 0)
        # the other school's own leadership sees none of these
        other = new_test_user(self.env, login="principal_other",
                              groups="hocbaso_odoo.group_leadership",
                              company_id=self.other_school.id,
                              company_ids=[(6, 0, self.other_school.ids)])
        self.assertEqual(self.count(other), 0)

    def test_one_query_whatever_the_number_of_records(self):
        self.force(self.records, "gvcn_signed", ("TOAN", "NGUVAN", "GDTC"))
        Record = self.env["hocbaso.record"].with_user(self.principal)
        Record.hocbaso_menu_counters()  # warm the caches (groups, rules)
        with self.assertQueryCount(1):
            Record.hocbaso_menu_counters()

    def test_users_outside_the_app_count_nothing(self):
        self.assertFalse(any(self.env["hocbaso.record"].with_user(self.parent)
                             .hocbaso_menu_counters().values()))


@tagged("post_install", "-at_install")
class TestMenuCountersTour(CountCase, HttpCase):

    def test_principal_sees_the_count_follow_a_send_back(self):
        self.load_vietnamese()
        for record in self.records:
            self.fill_secondary(record)
        self.records.with_user(self.gvcn).action_lock()  # the results computed, the document
        self.force(self.records, "gvcn_signed", ("TOAN", "NGUVAN", "GDTC"))
        for lang, tour in (("vi_VN", "hocbaso_waiting_count_vi"),
                           ("en_US", "hocbaso_waiting_count_en")):
            self.principal.lang = lang
            self.start_tour("/odoo", tour, login="principal", timeout=120)
            self.assertEqual(self.record.state, "gvbm_signed", lang)
            self.assertEqual(self.count(self.principal), 1, lang)
            self.force(self.records, "gvcn_signed", ("TOAN", "NGUVAN", "GDTC"))
