"""The subject teacher enters scores in the grid with the keyboard, in Vietnamese."""

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestScoreEntryTour(HocbasoCase, HttpCase):

    def test_subject_teacher_types_scores_in_the_grid(self):
        self.load_vietnamese()
        self.gvbm_math.lang = "vi_VN"
        self.start_tour("/odoo/action-hocbaso_odoo.hocbaso_score_entry_action",
                        "hocbaso_score_entry", login="gvbm_math", timeout=180)
        line = self.record.line_ids.filtered(lambda item: item.subject_code == "TOAN")
        self.assertEqual(line.s1_regular, "7.0 8.5 9.0 6.0")
        self.assertEqual((line.s1_midterm, line.s1_final, line.semester1), ("7.0", "8.0", "7.6"))

    def test_errors_speak_vietnamese(self):
        self.load_vietnamese()
        line = self.record.line_ids.filtered(lambda item: item.subject_code == "TOAN")
        with self.assertRaises(ValidationError) as caught:
            line.with_user(self.gvbm_math).with_context(lang="vi_VN").write({"s1_tx2": "11"})
        message = str(caught.exception)
        self.assertIn("Nguyễn Văn An", message)
        self.assertIn("nằm ngoài khoảng 0–10", message)
