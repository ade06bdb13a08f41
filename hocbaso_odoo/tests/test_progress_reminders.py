"""Reminders of who has not signed: one per person, due today, listing her classes and
subjects; brought up to date rather than blocked by an open one; marked done once nothing
waits for her; and the activities menu opens exactly the records still waiting for her."""

from odoo import fields
from odoo.tests import tagged

from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestProgressReminders(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 7A1: the mathematics teacher also teaches literature there; its two records locked
        # (every subject unsigned); 6A1 signed by the leadership (waiting for the seal);
        # 6A2 a draft (its homeroom teacher has to lock it)
        cls.klass7 = cls.env["hocbaso.class"].create({
            "name": "7A1", "company_id": cls.school.id, "school_year_id": cls.year.id,
            "grade_id": cls.env.ref("hocbaso_odoo.grade_07").id,
            "homeroom_teacher_id": cls.gvcn_other_class.id,
        })
        cls.env["hocbaso.teaching.assignment"].create([{
            "class_id": cls.klass7.id, "subject_id": subject.id,
            "teacher_id": cls.gvbm_math.id} for subject in (cls.subj_math, cls.subj_lit)])
        cls.env["hocbaso.student"].create([{
            "name": f"Học sinh {index}", "personal_id": f"00121300020{index}", "sex": "1",
            "student_code": f"HS020{index}", "company_id": cls.school.id,
            "class_id": cls.klass7.id} for index in range(2)])
        cls.records7 = cls.klass7._generate_records()
        cls.env.flush_all()
        for records, state in ((cls.records7, "locked"), (cls.records, "leader_signed")):
            cls.env.cr.execute("UPDATE hocbaso_record SET state = %s WHERE id IN %s",
                               (state, tuple(records.ids)))
        cls.env.invalidate_all()
        cls.Pending = cls.env["hocbaso.progress.pending"].with_user(cls.principal)

    def _reminders(self, user=None):
        domain = [("hocbaso_reminder", "=", True)]
        if user:
            domain.append(("user_id", "=", user.id))
        return self.env["mail.activity"].search(domain)

    def _sign_subjects(self, records, subject):
        lines = records.line_ids.filtered(lambda line: line.subject_id in subject)
        records._mark_subject_signed(lines)  # as the signing layer does (tested there)

    def test_one_reminder_per_person_due_today(self):
        action = self.Pending.action_send_reminders()
        self.assertEqual(action["params"]["message"], "3 reminders sent.")
        reminders = self._reminders()
        self.assertEqual(sorted(reminders.user_id.mapped("login")),
                         ["gvbm_math", "gvcn_other", "issuer"])
        self.assertEqual(reminders.mapped("res_model"), ["hocbaso.record"] * 3)
        self.assertEqual(set(reminders.mapped("state")), {"today"}, "counted on the icon")
        self.assertEqual(reminders.activity_type_id, self.env.ref("mail.mail_activity_data_todo"))
        math = self._reminders(self.gvbm_math)
        # one for both subjects of 7A1, each named with the step it waits for
        self.assertEqual(math.summary, "School records waiting for you: 4")
        self.assertIn(f"{self.klass7.display_name} \u2013 {self.subj_math.display_name}: "
                      "Subject teachers' signatures, 2 records", math.note)
        self.assertIn(f"{self.klass7.display_name} \u2013 {self.subj_lit.display_name}: "
                      "Subject teachers' signatures, 2 records", math.note)
        self.assertIn(self.env["hocbaso.record"].browse(math.res_id), self.records7)
        self.assertIn("Issuance, 2 records", self._reminders(self.issuer).note)
        self.assertIn("Locking the results, 1 records", self._reminders(self.gvcn_other_class).note)
        # a second click brings the open reminders up to date: still one each
        self.Pending.action_send_reminders()
        self.assertEqual(self._reminders(), reminders)

    def test_a_stale_reminder_never_blocks_a_new_one(self):
        self.Pending.search([("user_id", "=", self.gvbm_math.id)]).action_send_reminders()
        reminder = self._reminders(self.gvbm_math)
        reminder.write({"date_deadline": fields.Date.add(reminder.date_deadline, days=-9),
                        "note": "old"})
        self.assertEqual(reminder.state, "overdue")
        action = self.Pending.search([("user_id", "=", self.gvbm_math.id)]) \
            .action_send_reminders()
        self.assertEqual(action["params"]["message"], "1 reminders sent.")
        self.assertEqual(self._reminders(self.gvbm_math), reminder)
        self.assertEqual(reminder.state, "today")
        self.assertIn("Subject teachers' signatures", reminder.note)

    def test_done_by_itself_once_signed(self):
        self.Pending.action_send_reminders()
        reminder = self._reminders(self.gvbm_math)
        anchor = self.env["hocbaso.record"].browse(reminder.res_id)
        # one subject of two signed: something still waits for her
        self._sign_subjects(self.records7, self.subj_math)
        self.assertTrue(reminder.exists())
        # both signed: done, with a word in the record's history; the others' stay
        self._sign_subjects(self.records7, self.subj_lit)
        self.assertFalse(reminder.exists())
        self.assertEqual(set(self.records7.mapped("state")), {"gvbm_signed"})
        self.assertIn("Nothing waits for you any more.", anchor.message_ids[0].body)
        self.assertEqual(sorted(self._reminders().user_id.mapped("login")),
                         ["gvcn_other", "issuer"])
        # the step passed (records issued, whoever issued them): every issuer's reminder done
        self.records.sudo()._set_state("issued")
        self.assertEqual(self._reminders().user_id.mapped("login"), ["gvcn_other"])
        # the homeroom teacher: 6A2 moved on by a path that does not pass here (forced), and
        # 7A1 now waits for her signature: the next click names what waits for her now
        self.env.flush_all()
        self.env.cr.execute("UPDATE hocbaso_record SET state = 'gvcn_signed' WHERE id = %s",
                            (self.other_class_record.id,))
        self.env.invalidate_all()
        action = self.Pending.action_send_reminders()
        self.assertEqual(action["params"]["message"], "1 reminders sent.")
        reminder = self._reminders(self.gvcn_other_class)
        self.assertIn(f"{self.klass7.display_name}: Homeroom teacher's signature, 2 records",
                      reminder.note)
        self.assertNotIn("Locking the results", reminder.note)

    def test_activities_menu_opens_the_records_waiting(self):
        self.Pending.action_send_reminders()
        waiting = {self.gvbm_math: self.records7, self.issuer: self.records,
                   self.gvcn_other_class: self.other_class_record}
        for user, records in waiting.items():
            Users = self.env["res.users"].with_user(user)
            groups = Users._get_activity_groups()
            [group] = [group for group in groups if group.get("hocbaso_action")]
            self.assertEqual((group["today_count"], group["total_count"]), (1, 1), user.login)
            self.assertEqual(group["name"], "Waiting for Me")
            # no other entry counts the reminder twice
            self.assertEqual(sum(other["total_count"] for other in groups), 1, user.login)
            # what the menu opens, as the user: exactly her records, its views load
            action = group["hocbaso_action"]
            Model = self.env[action["res_model"]].with_user(user)
            self.assertEqual(Model.search(action["domain"]), records, user.login)
            Model.get_views(action["views"], {"load_filters": True})
            # Odoo's own way, for a client without our patch: the records with her activity
            found = Model.search([("activity_user_id", "=", user.id), *group["domain"]])
            self.assertEqual(len(found), 1, user.login)
            # the reminder's own link opens a record she can read
            reminder = self._reminders(user).with_user(user)
            opened = reminder.action_open_document()
            self.env[opened["res_model"]].with_user(user).browse(opened["res_id"]).read(
                ["display_name", "state"])
        # once she signed, the list she opens is empty (and her reminder is gone)
        self._sign_subjects(self.records7, self.subj_math | self.subj_lit)
        groups = self.env["res.users"].with_user(self.gvbm_math)._get_activity_groups()
        self.assertFalse([group for group in groups if group.get("hocbaso_action")])

    def test_reminder_in_the_teachers_language(self):
        self.load_vietnamese()
        self.gvbm_math.lang = "vi_VN"
        self.Pending.search([("user_id", "=", self.gvbm_math.id)]).action_send_reminders()
        reminder = self._reminders(self.gvbm_math)
        self.assertEqual(reminder.summary, "Học bạ đang chờ thầy/cô: 4")
        subject = self.subj_math.with_context(lang="vi_VN").display_name
        self.assertIn(f"{self.klass7.display_name} \u2013 {subject}: Giáo viên bộ môn ký, "
                      "2 học bạ", reminder.note)
        groups = self.env["res.users"].with_user(self.gvbm_math).with_context(
            lang="vi_VN")._get_activity_groups()
        self.assertIn("Chờ tôi ký", [group["name"] for group in groups])
