"""Only the grades a school rolled out for the year go to the CSDL."""

from odoo.tests import tagged

from .common import SyncCase


@tagged("post_install", "-at_install")
class TestRolloutSync(SyncCase):

    def test_records_of_grades_not_rolled_out_stay_home(self):
        rollout = self.env["hocbaso.rollout"].create({
            "company_id": self.school.id, "school_year_id": self.year.id,
            "grade_ids": [(6, 0, self.env.ref("hocbaso_odoo.grade_09").ids)]})
        self.other_record = self.records - self.record
        self.issue(self.record)  # grade 6, made before the rollout was narrowed
        self.assertFalse(self.Entry.search([("record_id", "=", self.record.id)]))
        rollout.grade_ids = [(4, self.env.ref("hocbaso_odoo.grade_06").id)]
        self.issue(self.other_record)
        entry = self.Entry.search([("record_id", "=", self.other_record.id)])
        self.assertEqual(entry.state, "pending")
        self.assertEqual(self.run_cron(), 1)
        self.assert_exactly_once(self.other_record.record_uuid, 1)
        self.assertIsNone(self.server_record(self.record))
