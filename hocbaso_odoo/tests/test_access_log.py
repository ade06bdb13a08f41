"""The access log: written by a helper other code can call, admin-only, never changed."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestAccessLog(HocbasoCase):

    def test_log_access_helper(self):
        lines = self.record.with_user(self.gvcn)._log_access("download_xml", detail="backend")
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines.record_id, self.record)
        self.assertEqual(lines.student_id, self.student)
        self.assertEqual(lines.user_id, self.gvcn)
        self.assertEqual(lines.company_id, self.school)
        self.assertEqual(lines.action, "download_xml")
        self.assertFalse(lines.is_public)
        self.assertTrue(lines.access_time)

    def test_public_access_keeps_only_an_ip_hash(self):
        public = self.env.ref("base.public_user")
        line = (
            self.record.with_user(public)
            .sudo()
            ._log_access("verify", ip="203.0.113.7", public=True)
        )
        self.assertTrue(line.is_public)
        self.assertFalse(line.user_id)
        self.assertTrue(line.ip_hash)
        self.assertNotIn("203.0.113.7", line.ip_hash)

    def test_never_changed_nor_deleted(self):
        line = self.record._log_access("view")
        with self.assertRaises(UserError):
            line.with_user(self.school_admin).unlink()
        with self.assertRaises(UserError):
            line.sudo().unlink()
        with self.assertRaises(UserError):
            line.sudo().write({"action": "verify"})

    def test_admin_only_and_per_school(self):
        self.record._log_access("view")
        Log = self.env["hocbaso.access.log"]
        self.assertEqual(
            len(Log.with_user(self.school_admin).search([("record_id", "=", self.record.id)])), 1
        )
        self.assertFalse(
            Log.with_user(self.other_school_admin).search([("record_id", "=", self.record.id)])
        )
        for user in (self.gvcn, self.issuer, self.parent):
            with self.assertRaises(AccessError):
                Log.with_user(user).search([])
        with self.assertRaises(AccessError):
            Log.with_user(self.school_admin).create({"action": "view", "record_id": self.record.id})
        record = self.record.with_user(self.school_admin)
        self.assertEqual(record.access_log_count, 1)
        self.assertEqual(
            record.action_view_access_log()["domain"], [("record_id", "=", self.record.id)]
        )

    def test_throttle_counts_per_client(self):
        Throttle = self.env["hocbaso.verify.throttle"]
        self.assertTrue(all(Throttle._hit("198.51.100.1", 3) for _i in range(3)))
        self.assertFalse(Throttle._hit("198.51.100.1", 3))
        self.assertTrue(Throttle._hit("198.51.100.2", 3))
