"""The progress matrix (class x workflow step, shares signed and issued per class, grade and
school), who has not signed which subject, reminders, the Excel export and a district
inspector given several schools."""

import base64
import io

import openpyxl

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models.hocbaso_record import LIVE_STATES
from .common import HocbasoCase


@tagged("post_install", "-at_install")
class TestProgressMatrix(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 6A1: one record issued, one signed by the leadership; 6A2: one draft; a grade-7
        # class: one issued, two locked (its lines unsigned)
        cls.klass7 = cls.env["hocbaso.class"].create({
            "name": "7A1", "company_id": cls.school.id, "school_year_id": cls.year.id,
            "grade_id": cls.env.ref("hocbaso_odoo.grade_07").id,
            "homeroom_teacher_id": cls.gvcn_other_class.id,
        })
        cls.env["hocbaso.teaching.assignment"].create({
            "class_id": cls.klass7.id, "subject_id": cls.subj_math.id,
            "teacher_id": cls.gvbm_math.id})
        cls.env["hocbaso.student"].create([{
            "name": f"Học sinh {index}", "personal_id": f"00121300010{index}", "sex": "1",
            "student_code": f"HS010{index}", "company_id": cls.school.id,
            "class_id": cls.klass7.id} for index in range(3)])
        cls.records7 = cls.klass7._generate_records()
        cls._force_state(cls.record, "issued")
        cls._force_state(cls.records - cls.record, "leader_signed")
        cls._force_state(cls.records7[0], "issued")
        cls._force_state(cls.records7[1:], "locked")

    @classmethod
    def _force_state(cls, records, state):
        """A fixture at a given step without walking the signing (tested elsewhere)."""
        cls.env.flush_all()
        cls.env.cr.execute("UPDATE hocbaso_record SET state = %s WHERE id IN %s",
                           (state, tuple(records.ids)))
        records.invalidate_recordset(["state"])

    def _figures(self, groupby, user=None):
        Progress = self.env["hocbaso.progress"].with_user(user or self.principal)
        return {tuple(row[name].display_name for name in groupby): row
                for row in Progress._progress_figures([], groupby)}

    def test_matrix_per_class_grade_and_school(self):
        by_class = self._figures(["class_id"])
        klass6, other6, klass7 = (self.klass.display_name, self.other_class.display_name,
                                  self.klass7.display_name)
        self.assertEqual(
            {name: (row["record_count"], row["leader_signed_count"], row["issued_count"],
                    row["draft_count"], row["locked_count"], row["signed_pct"],
                    row["issued_pct"]) for (name,), row in by_class.items()},
            {klass6: (2, 1, 1, 0, 0, 100.0, 50.0), other6: (1, 0, 0, 1, 0, 0.0, 0.0),
             klass7: (3, 0, 1, 0, 2, 33.3, 33.3)})
        by_grade = self._figures(["grade_id"])
        grade6 = self.klass.grade_id.display_name
        grade7 = self.klass7.grade_id.display_name
        self.assertEqual((by_grade[(grade6,)]["signed_pct"], by_grade[(grade6,)]["issued_pct"]),
                         (66.7, 33.3), "2 of the 3 grade-6 records signed, 1 issued")
        self.assertEqual(by_grade[(grade7,)]["record_count"], 3)
        [school] = self._figures(["company_id"]).values()
        self.assertEqual((school["record_count"], school["signed_pct"], school["issued_pct"]),
                         (6, 50.0, 33.3), "3 of 6 signed, 2 of 6 issued")
        # the pivot the principal opens: one measure per live step in workflow order, then
        # the percentages, classes under their grade and school
        arch = self.env["hocbaso.progress"].with_user(self.principal).get_views(
            [(False, "pivot")])["views"]["pivot"]["arch"]
        measures = [f"{state}_count" for state in LIVE_STATES]
        positions = [arch.index(f'name="{name}"') for name in
                     ["record_count", *measures, "signed_pct", "issued_pct"]]
        self.assertEqual(positions, sorted(positions))
        self.assertLess(arch.index('name="company_id"'), arch.index('name="class_id"'))

    def test_who_has_not_signed(self):
        Pending = self.env["hocbaso.progress.pending"].with_user(self.principal)
        rows = {(row.step, row.user_id.login, row.class_id.name, row.subject_id.code):
                row.record_count for row in Pending.search([])}
        self.assertEqual(rows, {
            ("gvbm", "gvbm_math", "7A1", "TOAN"): 2,   # two locked records, unsigned
            ("lock", "gvcn_other", "6A2", False): 1,   # results not locked yet
            # signed by the leadership, waiting for the seal: whoever holds the issuer's role
            # (the school admin does not, unless given it)
            ("phathanh", "issuer", "6A1", False): 1,
        })
        # in workflow order, the step each waits FOR (not the state reached after it)
        self.assertEqual(Pending.search([]).mapped("step"),
                         ["lock", "gvbm", "phathanh"])
        groups = Pending.read_group([], ["record_count:sum"], ["step"])
        self.assertEqual([group["step"] for group in groups], ["lock", "gvbm", "phathanh"])
        self.load_vietnamese()
        labels = {lang: dict(Pending._fields["step"]._description_selection(
            self.env(context={"lang": lang}))) for lang in ("en_US", "vi_VN")}
        self.assertEqual(labels["en_US"], {
            "lock": "Locking the results", "gvbm": "Subject teachers' signatures",
            "gvcn": "Homeroom teacher's signature", "cbql": "School leadership's signature",
            "phathanh": "Issuance"})
        self.assertEqual(labels["vi_VN"], {
            "lock": "Khóa kết quả", "gvbm": "Giáo viên bộ môn ký",
            "gvcn": "Giáo viên chủ nhiệm ký", "cbql": "Ban giám hiệu ký",
            "phathanh": "Phát hành"})
        # one of them signed (as the signing layer would, tested elsewhere)
        self.env.cr.execute("UPDATE hocbaso_record_line SET gvbm_signed = TRUE WHERE id IN %s",
                            (tuple(self.records7[1].line_ids.ids),))
        self.env.invalidate_all()
        [subject_row] = Pending.search([("subject_id", "=", self.subj_math.id)])
        self.assertEqual(subject_row.record_count, 1)

    def test_progress_graph_stacks_steps_in_workflow_order(self):
        Progress = self.env["hocbaso.progress"].with_user(self.principal)
        # as the graph asks: bars per class, stacked by step
        groups = Progress.web_read_group([], ["record_count:sum"], ["class_id", "state"],
                                         lazy=False)["groups"]
        by_class = {}
        for group in groups:
            by_class.setdefault(group["class_id"][1], []).append(
                (group["state"], group["record_count"]))
        # every step met, in every class, in workflow order (the legend's order)
        self.assertEqual(by_class[self.klass7.display_name],
                         [("draft", 0), ("locked", 2), ("leader_signed", 0), ("issued", 1)])
        self.assertEqual(by_class[self.other_class.display_name],
                         [("draft", 1), ("locked", 0), ("leader_signed", 0), ("issued", 0)])
        empty = next(group for group in groups if group["__count"] == 0)
        self.assertFalse(Progress.search(empty["__domain"]), "an empty bar opens no record")
        # the pivot's step headers in workflow order too
        headers = Progress.read_group([], ["record_count:sum"], ["state"], lazy=False)
        self.assertEqual([group["state"] for group in headers],
                         ["draft", "locked", "leader_signed", "issued"])
        # the count axis shows whole numbers
        arch = Progress.get_views([(False, "graph")])["views"]["graph"]["arch"]
        self.assertIn('widget="integer"', arch)

    def test_excel_export(self):
        self.load_vietnamese()
        # as the web client calls it for a principal reading Vietnamese
        wizard = self.env["hocbaso.progress.export"].with_user(self.principal).with_context(
            lang="vi_VN").create({
            "school_year_id": self.year.id})
        action = wizard.action_export()
        self.assertIn("download=true", action["url"])
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.export_file)))
        self.assertEqual(len(book.sheetnames), 4)
        by_class = book.worksheets[0]
        headers = [cell.value for cell in by_class[4]]
        self.assertEqual(headers[:4], ["Trường", "Năm học", "Khối", "Lớp"])
        self.assertIn("Đã phát hành", headers)
        self.assertRegex(by_class["A2"].value, r"\d\d/\d\d/\d{4} \d\d:\d\d$")
        vi_env = self.env(context={"lang": "vi_VN"})
        fields = self.env["hocbaso.progress"]._fields

        def column(name):
            return headers.index(fields[name]._description_string(vi_env))

        rows = {row[3]: row for row in by_class.iter_rows(min_row=5, values_only=True)}
        self.assertEqual(len(rows), 3)
        row7 = rows[self.klass7.display_name]
        self.assertEqual((row7[column("record_count")], row7[column("locked_count")],
                          row7[column("issued_count")], row7[column("signed_pct")],
                          row7[column("issued_pct")]), (3, 2, 1, 33.3, 33.3))
        [school_row] = book.worksheets[2].iter_rows(min_row=5, values_only=True)
        self.assertEqual(school_row[2], 6, "records of the school")
        pending = list(book.worksheets[3].iter_rows(min_row=5, values_only=True))
        self.assertEqual(len(pending), 3)
        # the step waited for, as the list and the reminders name it; the issuers named
        self.assertEqual(sorted((row[2], row[4]) for row in pending), [
            ("Giáo viên bộ môn ký", "gvbm_math"), ("Khóa kết quả", "gvcn_other"),
            ("Phát hành", "issuer")])


@tagged("post_install", "-at_install")
class TestDistrictProgress(HocbasoCase):

    def test_inspector_sees_the_schools_given_and_nothing_else(self):
        third = self.env["res.company"].create({
            "name": "Trường THCS Hoa Sen", "hocbaso_is_school": True,
            "hocbaso_school_code": "79003003",
            "hocbaso_level_ids": [(6, 0, self.level_lower.ids)]})
        for school, name, personal_id in ((self.other_school, "6B", "001213000201"),
                                          (third, "6C", "001213000202")):
            teacher = new_test_user(self.env, login=f"gv_{name}", name=f"gv_{name}",
                                    groups="hocbaso_odoo.group_homeroom_teacher",
                                    company_id=school.id, company_ids=[(6, 0, school.ids)])
            klass = self.env["hocbaso.class"].create({
                "name": name, "company_id": school.id, "school_year_id": self.year.id,
                "grade_id": self.env.ref("hocbaso_odoo.grade_06").id,
                "homeroom_teacher_id": teacher.id})
            self.env["hocbaso.teaching.assignment"].create({
                "class_id": klass.id, "subject_id": self.subj_math.id, "teacher_id": teacher.id})
            self.env["hocbaso.student"].create({
                "name": f"Học sinh {name}", "personal_id": personal_id, "sex": "1",
                "company_id": school.id,
                "class_id": klass.id, "student_code": f"HS{name}"})
            klass._generate_records()
        district = new_test_user(
            self.env, login="phong_gd", name="Phòng GD&ĐT", groups="hocbaso_odoo.group_inspector",
            company_id=self.school.id,
            company_ids=[(6, 0, (self.school | self.other_school).ids)])
        self.env.flush_all()
        schools = (self.school | self.other_school).ids
        Progress = self.env["hocbaso.progress"].with_user(district).with_context(
            allowed_company_ids=schools)
        figures = Progress._progress_figures([], ["company_id"])
        self.assertEqual([row["company_id"] for row in figures],
                         sorted(self.school | self.other_school, key=lambda c: c.name))
        self.assertEqual({row["company_id"].id: row["record_count"] for row in figures},
                         {self.school.id: 3, self.other_school.id: 1})
        self.assertFalse(Progress.search([("company_id", "=", third.id)]))
        Pending = self.env["hocbaso.progress.pending"].with_user(district).with_context(
            allowed_company_ids=schools)
        self.assertEqual(set(Pending.search([]).company_id.ids), set(schools))
        # the third school cannot be switched on, and nothing is writable or remindable
        with self.assertRaises(AccessError):
            Progress.with_context(allowed_company_ids=[*schools, third.id]).search([])
        with self.assertRaises(AccessError):
            Pending.action_send_reminders()
        with self.assertRaises(AccessError):
            self.record.with_user(district).with_context(
                allowed_company_ids=schools).write({"homeroom_comment": "x"})

        # a principal cannot remind another school's teachers, even naming its rows by id;
        # that school's administrator can
        [row_b] = Pending.search([("company_id", "=", self.other_school.id)])
        with self.assertRaises(AccessError):
            self.env["hocbaso.progress.pending"].with_user(self.principal).browse(
                row_b.id).action_send_reminders()
        self.env["hocbaso.progress.pending"].with_user(self.other_school_admin).browse(
            row_b.id).action_send_reminders()
        reminder = self.env["mail.activity"].search([("hocbaso_reminder", "=", True)])
        self.assertEqual(reminder.user_id.login, "gv_6B")
        self.assertEqual(self.env[reminder.res_model].browse(reminder.res_id).class_id,
                         row_b.class_id)
