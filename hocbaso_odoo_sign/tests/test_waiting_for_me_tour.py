"""The subject teacher's day in the browser: land on what waits for her, sign it."""

from odoo.tests import HttpCase, tagged

from .common import SignCase


@tagged("post_install", "-at_install")
class TestWaitingForMeTour(SignCase, HttpCase):

    def test_subject_teacher_signs_what_waits_for_her(self):
        self.load_vietnamese()
        self.lock(self.records)
        for lang, user in (("vi_VN", self.gvbm_math), ("en_US", self.gvbm_lit)):
            user.lang = lang
            self.start_tour("/odoo", "hocbaso_waiting_for_me", login=user.login, timeout=120)
            lines = self.records.line_ids.filtered(lambda line: line.teacher_id == user)
            self.assertTrue(lines and all(lines.mapped("gvbm_signed")), lang)
        self.assertEqual(set(self.records.mapped("state")), {"gvbm_signed"})
