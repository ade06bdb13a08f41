"""The homeroom teacher locks her whole class's results in the web client, in Vietnamese and in
English (tours in static/tests/tours/class_lock_tour.js): one record ready is locked, the
other (no marks yet) is skipped with the reason, and nothing else changes."""

from odoo.tests import HttpCase, tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestClassLockTour(HocbasoCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.fill_secondary(cls.record)

    def _walk(self, lang, tour):
        self.gvcn.lang = lang
        self.start_tour("/odoo", tour, login="gvcn", timeout=120)
        other = self.records - self.record
        self.assertEqual(self.record.state, "locked")
        self.assertTrue(self.record.xml_document, "locked through its own transition")
        self.assertEqual(other.state, "draft")
        self.assertEqual(self.other_class_record.state, "draft", "another class: untouched")

    def test_homeroom_teacher_locks_her_class_vi(self):
        self._walk("vi_VN", "hocbaso_class_lock")

    def test_homeroom_teacher_locks_her_class_en(self):
        self._walk("en_US", "hocbaso_class_lock_en")
