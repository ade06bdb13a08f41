"""The principal reads the progress matrix, finds who has not signed and reminds them, in the
web client, in Vietnamese and in English."""

from odoo.tests import HttpCase, tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestProgressTour(HocbasoCase, HttpCase):

    def test_principal_reminds_who_has_not_signed(self):
        self.load_vietnamese()
        klass7 = self.env["hocbaso.class"].create({
            "name": "7A1", "company_id": self.school.id, "school_year_id": self.year.id,
            "grade_id": self.env.ref("hocbaso_odoo.grade_07").id,
            "homeroom_teacher_id": self.gvcn_other_class.id,
        })
        self.env["hocbaso.teaching.assignment"].create({
            "class_id": klass7.id, "subject_id": self.subj_math.id,
            "teacher_id": self.gvbm_math.id})
        self.env["hocbaso.student"].create({
            "name": "Đỗ Hải Nam", "personal_id": "001213000301", "sex": "1",
            "student_code": "HS0301", "company_id": self.school.id, "class_id": klass7.id})
        record7 = klass7._generate_records()
        # 7A1's record locked, its mathematics unsigned; 6A1 issued and signed by leadership
        self.env.flush_all()
        for records, state in ((record7, "locked"), (self.record, "issued"),
                               (self.records - self.record, "leader_signed")):
            self.env.cr.execute("UPDATE hocbaso_record SET state = %s WHERE id IN %s",
                                (state, tuple(records.ids)))
        self.env.invalidate_all()
        for lang, tour in (("vi_VN", "hocbaso_progress_reminders"),
                           ("en_US", "hocbaso_progress_reminders_en")):
            self.principal.lang = lang
            self.start_tour("/odoo/action-hocbaso_odoo.hocbaso_progress_action", tour,
                            login="principal", timeout=120)
            reminders = self.env["mail.activity"].search([("hocbaso_reminder", "=", True)])
            # one each: the subject teacher, the homeroom teacher who has to lock, the issuers
            self.assertEqual(sorted(reminders.user_id.mapped("login")),
                             ["gvbm_math", "gvcn_other", "issuer"], lang)
            if lang == "vi_VN":
                # the mathematics teacher opens her reminder from the activities menu
                self.gvbm_math.lang = lang
                self.start_tour("/odoo", "hocbaso_reminder_opens_waiting", login="gvbm_math",
                                timeout=120)
            reminders.unlink()  # the next language reminds them afresh
