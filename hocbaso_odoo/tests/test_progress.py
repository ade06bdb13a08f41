"""The progress the principal and a district read: steps in workflow order, shares per class,
students without a personal ID apart, and version numbers never added up."""

from odoo.tests import tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestProgress(HocbasoCase):

    def test_progress_by_class_and_step(self):
        foreign = self.env["hocbaso.student"].create({
            "name": "Emily Carter", "sex": "2", "id_document_type": "HO_CHIEU",
            "id_document_number": "C0300598", "nationality_code": "US",
            "company_id": self.school.id, "class_id": self.klass.id})
        self.klass._generate_records()
        self.fill_secondary(self.record)
        self.record.with_user(self.gvcn).action_lock()
        self.env.flush_all()
        Progress = self.env["hocbaso.progress"].with_user(self.principal)
        groups = Progress.read_group([("class_id", "=", self.klass.id)],
                                     ["record_count:sum", "without_personal_id_count:sum"],
                                     ["state"])
        self.assertEqual([g["state"] for g in groups],
                         ["draft", "locked", "gvbm_signed", "gvcn_signed", "leader_signed",
                          "issued", "revoked", "superseded"], "every step, in workflow order")
        counts = {g["state"]: g["record_count"] or 0 for g in groups}
        self.assertEqual((counts["draft"], counts["locked"]), (2, 1))
        self.assertEqual(sum(g["without_personal_id_count"] for g in groups), 1)
        [total] = Progress.read_group([("class_id", "=", self.klass.id)],
                                      ["signed_pct:avg", "issued_pct:avg"], [])
        self.assertEqual((total["signed_pct"], total["issued_pct"]), (0.0, 0.0))
        self.assertTrue(Progress.search([("record_id.student_id", "=", foreign.id)]))
        # the other school's records are not in this principal's progress
        self.assertFalse(Progress.search([("company_id", "=", self.other_school.id)]))
        # a grade left out of the year's rollout leaves the progress figures too
        rollout = self.env["hocbaso.rollout"].create({
            "company_id": self.school.id, "school_year_id": self.year.id,
            "grade_ids": [(6, 0, self.env.ref("hocbaso_odoo.grade_09").ids)]})
        self.env.flush_all()
        self.assertFalse(Progress.search([("class_id", "=", self.klass.id)]))
        rollout.grade_ids = [(4, self.klass.grade_id.id)]
        self.env.flush_all()
        self.assertEqual(Progress.search_count([("class_id", "=", self.klass.id)]), 3)

    def test_record_versions_are_not_added_up(self):
        [group] = self.env["hocbaso.record"].read_group(
            [("class_id", "=", self.klass.id)], ["version"], ["class_id"])
        self.assertNotIn("version", group, "a version number is not a quantity")


@tagged("post_install", "-at_install")
class TestPortalRatings(HocbasoCase):

    def test_ratings_in_words_in_the_readers_language(self):
        draft = self.records - self.record
        draft.write({"phamchatyeunuoc": "T", "nanglucgiaotiep": "Đ"})
        self.assertEqual(draft._portal_ratings(), [
            ("Patriotism", "T – Good"), ("Communication and cooperation", "Đ – Achieved")])
