"""Score entry per class, subject and term: the grid writes the record lines themselves, the
server refuses another teacher's class, and the Excel template comes back through the same
checks, row by row."""

import base64
import io

import openpyxl
from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..tools import workflow
from .common import HocbasoCase


def workbook_bytes(book):
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@tagged("post_install", "-at_install")
class TestScoreEntry(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line_an = cls.record.line_ids.filtered(lambda line: line.subject_code == "TOAN")
        cls.line_binh = cls.records.filtered(
            lambda r: r.student_id == cls.student2).line_ids.filtered(
            lambda line: line.subject_code == "TOAN")

    def entry(self, user=None, subject=None, term="s1", klass=None):
        Entry = self.env["hocbaso.score.entry"].with_user(user or self.gvbm_math)
        return Entry.create({"school_year_id": self.year.id,
                             "class_id": (klass or self.klass).id,
                             "subject_id": (subject or self.subj_math).id, "term": term})

    # --- the grid ----------------------------------------------------------------------------
    def test_grid_lists_one_row_per_student_and_writes_the_lines(self):
        entry = self.entry()
        self.assertEqual(entry.line_ids, self.line_an | self.line_binh)
        self.assertEqual(entry.tx_count, 4, "Mathematics: 140 periods a year, 4 TX")
        entry.write({"line_ids": [Command.update(self.line_an.id, {
            "s1_tx1": "7", "s1_tx2": "8,5", "s1_tx3": "9", "s1_tx4": "6",
            "s1_midterm": "7", "s1_final": "8"})]})
        line = self.line_an
        self.assertEqual(line.s1_regular, "7.0 8.5 9.0 6.0", "one store: the line's own text")
        self.assertEqual((line.s1_tx2, line.s1_midterm), ("8.5", "7.0"))
        # (7 + 8.5 + 9 + 6 + 2·7 + 3·8) / 9 = 7.6
        self.assertEqual(line.semester1, "7.6")
        # one column written from a fresh request (nothing in the cache): the others stay
        self.env.invalidate_all()
        line.with_user(self.gvbm_math).write({"s1_tx4": "6,5"})
        self.assertEqual(line.s1_regular, "7.0 8.5 9.0 6.5")
        self.env.invalidate_all()
        line.with_user(self.gvbm_math).write({"s1_tx4": "6"})
        # a column emptied between two scores closes up; the average follows
        self.env.invalidate_all()
        line.with_user(self.gvbm_math).write({"s1_tx2": False})
        self.assertEqual(line.s1_regular, "7.0 9.0 6.0")
        self.assertEqual((line.s1_tx1, line.s1_tx2, line.s1_tx3), ("7.0", "9.0", "6.0"))
        self.assertFalse(line.s1_tx4)

    def test_number_of_tx_follows_the_periods(self):
        self.assertEqual(self.subj_math.regular_count, 4)
        civic = self.env.ref("hocbaso_odoo.subject_03_gdcd")
        self.assertEqual((civic.periods_per_year, civic.regular_count), (35, 2))
        civic.periods_per_year = 52
        self.assertEqual(civic.regular_count, 3)

    def test_scores_are_validated_with_the_student_named(self):
        line = self.line_an.with_user(self.gvbm_math)
        for bad in ("11", "abc", "7.55", "-1"):
            with self.assertRaises(ValidationError) as caught:
                line.write({"s1_tx1": bad})
            self.assertIn("Nguyễn Văn An", str(caught.exception))
            self.assertIn("TX1", str(caught.exception))
        with self.assertRaises(ValidationError):
            line.write({"s1_midterm": "10.5"})
        self.assertFalse(self.line_an.s1_regular, "bad input loses nothing, writes nothing")

    def test_changes_are_tracked_on_the_record(self):
        self.line_an.with_user(self.gvbm_math).with_context(tracking_disable=False).write(
            {"s1_tx1": "8"})
        note = self.record.message_ids[:1]
        self.assertIn("8.0", note.body)

    def test_changes_are_noted_with_the_readers_decimal_separator(self):
        self.env["res.lang"]._activate_lang("vi_VN")
        self.line_an.with_user(self.gvbm_math).with_context(
            tracking_disable=False, lang="vi_VN").write({"s1_tx1": "8.5", "s1_midterm": "7"})
        note = self.record.message_ids[:1]
        self.assertIn("8,5", note.body)
        self.assertIn("7,0", note.body)
        self.assertNotIn("8.5", note.body)

    # --- who ---------------------------------------------------------------------------------
    def test_subject_teacher_sees_only_her_assignments(self):
        entry = self.env["hocbaso.score.entry"].with_user(self.gvbm_math).new(
            {"school_year_id": self.year.id, "class_id": self.klass.id})
        self.assertEqual(entry.allowed_class_ids._origin, self.klass)
        self.assertEqual(entry.allowed_subject_ids._origin, self.subj_math)
        lit = self.env["hocbaso.score.entry"].with_user(self.gvbm_lit).new(
            {"school_year_id": self.year.id, "class_id": self.klass.id})
        self.assertEqual(lit.allowed_class_ids._origin, self.klass | self.other_class)
        self.assertEqual(lit.allowed_subject_ids._origin, self.subj_lit | self.subj_pe)
        homeroom = self.env["hocbaso.score.entry"].with_user(self.gvcn).new(
            {"school_year_id": self.year.id, "class_id": self.klass.id})
        self.assertEqual(homeroom.allowed_subject_ids._origin,
                         self.subj_math | self.subj_lit | self.subj_pe)

    def test_another_teachers_class_is_refused_on_the_server(self):
        with self.assertRaises(AccessError):
            self.entry(user=self.gvbm_lit, subject=self.subj_math)
        with self.assertRaises(AccessError):
            self.entry(user=self.gvbm_math, klass=self.other_class, subject=self.subj_lit)
        entry = self.entry()
        with self.assertRaises(AccessError):
            entry.write({"subject_id": self.subj_lit.id})
        # and the lines themselves, written past the screen
        with self.assertRaises(AccessError):
            self.line_an.with_user(self.gvbm_lit).write({"s1_tx1": "5"})
        self.assertFalse(self.line_an.s1_regular)

    def test_a_screen_and_its_files_are_its_creators(self):
        entry = self.entry()
        entry.action_download_template()
        with self.assertRaises(AccessError):
            entry.with_user(self.gvbm_lit).read(["template_file"])
        with self.assertRaises(AccessError):
            entry.with_user(self.gvcn).write({"term": "s2"})

    def test_term_matches_the_circular(self):
        with self.assertRaises(UserError):
            self.entry(term="year")

    # --- compute -----------------------------------------------------------------------------
    def test_compute_results_says_who_is_done_and_who_is_missing(self):
        self.line_an.write({"s1_regular": "8 7 9 6", "s1_midterm": "7", "s1_final": "8"})
        self.line_binh.write({"s1_regular": "8", "s1_midterm": "7"})
        action = self.entry().action_compute_results()
        params = action["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("1 of 2", params["message"])
        self.assertIn("Trần Thị Bình (TX2, TX3, TX4, final)", params["message"])
        self.assertNotIn("Nguyễn Văn An", params["message"])
        self.assertEqual(self.line_an.semester1, "7.6")

    def test_compute_results_skips_the_rows_nobody_can_edit(self):
        """A locked or signed record's row is greyed in the grid: the compute skips it and
        counts it, it does not ask the teacher for scores she cannot enter (P2.12)."""
        binh = self.line_binh.record_id
        self.fill_secondary(binh)  # its year complete, its TX never entered
        binh.with_user(self.gvcn).action_lock()
        self.assertEqual(self.line_binh.record_state, "locked")
        self.line_an.write({"s1_regular": "8 7 9 6", "s1_midterm": "7", "s1_final": "8"})
        entry = self.entry()
        self.assertEqual(entry.line_ids, self.line_an | self.line_binh, "shown, read-only")
        self.assertEqual([entry._is_editable(line) for line in entry.line_ids], [True, False])
        params = entry.action_compute_results()["params"]
        self.assertEqual(params["type"], "success")
        self.assertIn("results computed for 1 of 1 students.", params["message"])
        self.assertIn("1 student skipped: the record is locked or signed", params["message"])
        self.assertNotIn("Trần Thị Bình", params["message"])
        self.assertNotIn("missing", params["message"])
        self.assertEqual(self.line_binh.semester1, "7.5", "a locked row is not written")
        # every row locked: nothing to compute, all of them counted
        self.fill_secondary(self.record)
        self.record.with_user(self.gvcn).action_lock()
        params = self.entry().action_compute_results()["params"]
        self.assertEqual(params["type"], "warning")
        self.assertIn("no results to compute", params["message"])
        self.assertIn("2 students skipped: their records are locked or signed",
                      params["message"])

    def test_grid_says_why_a_row_is_read_only(self):
        """The grid's Status column: the record's own state label, in the reader's language."""
        self.load_vietnamese()
        arch = self.env["hocbaso.score.entry"].get_view(
            self.env.ref("hocbaso_odoo.hocbaso_score_entry_view_form").id)["arch"]
        self.assertRegex(arch, r'<field name="record_state"[^>]*string="Status"')
        self.assertNotRegex(arch, r'<field name="record_state"[^>]*column_invisible')
        self.fill_secondary(self.line_binh.record_id)
        self.line_binh.record_id.with_user(self.gvcn).action_lock()
        Line = self.env["hocbaso.record.line"].with_context(lang="vi_VN")
        labels = dict(Line._fields["record_state"]._description_selection(Line.env))
        self.assertEqual(labels[self.line_binh.record_state], "Đã khóa kết quả")
        Record = self.env["hocbaso.record"].with_context(lang="vi_VN")
        self.assertEqual(labels, dict(Record._fields["state"]._description_selection(Record.env)))

    def test_sent_back_column_only_when_a_row_is_sent_back(self):
        """An always-empty "sent back" column crowded the names and scores: it shows only
        when a row of the grid is sent back for correction."""
        arch = self.env["hocbaso.score.entry"].get_view(
            self.env.ref("hocbaso_odoo.hocbaso_score_entry_view_form").id)["arch"]
        self.assertRegex(arch, r'<field name="correction_open"[^>]*'
                               r'column_invisible="not parent.correction_shown"')
        entry = self.entry()
        self.assertFalse(entry.correction_shown)
        with workflow(self.env):  # as sending the subject back does
            self.line_binh.sudo().correction_open = True
        entry.invalidate_recordset(["correction_shown"])
        self.assertTrue(entry.correction_shown)

    def test_record_compute_results_gives_feedback(self):
        self.fill_secondary(self.record)
        action = (self.records).with_user(self.gvcn).action_compute_results()
        message = action["params"]["message"]
        self.assertIn("1 of 2", message)
        self.assertIn("Trần Thị Bình (Literature, Mathematics, Physical education)", message)
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")

    # --- Excel -------------------------------------------------------------------------------
    def template(self, entry):
        entry.action_download_template()
        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(entry.template_file)))

    def upload(self, entry, data, name="nhap_diem.xlsx"):
        entry.write({"import_file": base64.b64encode(data), "import_filename": name})
        return entry.action_import()

    def test_template_round_trip(self):
        entry = self.entry()
        book = self.template(entry)
        sheet = book["NHAPDIEM"]
        self.assertEqual([sheet.cell(row, 1).value for row in range(1, 6)],
                         ["School", "School year", "Class", "Subject", "Term"])
        self.assertEqual(sheet["B3"].value, "6A1")
        self.assertEqual(sheet["B4"].value, "Mathematics", "no code shown to the teacher")
        self.assertEqual(sheet["B5"].value, "Semester 1")
        # the keys the import reads, hidden
        self.assertEqual([(sheet.cell(row, 1).value, sheet.cell(row, 2).value)
                          for row in range(6, 10)],
                         [("NAMHOC", "2024-2025"), ("LOP", "6A1"), ("MONHOC", "TOAN"),
                          ("HOCKY", "HK1")])
        self.assertTrue(all(sheet.row_dimensions[row].hidden for row in (6, 7, 8, 9, 12)))
        header = [cell.value for cell in sheet[11]]
        self.assertEqual(header[:3], ["No.", "Student code", "Full name"])
        self.assertEqual(header[3:], ["TX1", "TX2", "TX3", "TX4", "Mid-term", "Final"])
        self.assertEqual([cell.value for cell in sheet[12]],
                         ["STT", "MAHOCSINH", "HOVATEN", "TX1", "TX2", "TX3", "TX4", "GK", "CK"])
        self.assertFalse(sheet.row_dimensions[11].hidden)
        self.assertTrue(sheet.protection.sheet, "code and name are locked")
        self.assertTrue(sheet["B13"].protection.locked)
        self.assertFalse(sheet["D13"].protection.locked, "the scores are open")
        self.assertEqual(sheet["A13"].value, 1, "numbers are numbers, not text")
        self.assertNotEqual(sheet["D13"].number_format, "@", "a typed score stays a number")
        rows = {sheet.cell(row, 2).value: row for row in (13, 14)}
        self.assertEqual(set(rows), {"HS0001", "HS0002"})
        for column, value in zip("DEFGHI", (8, "7,5", 9, 6, 7, 8.5)):
            sheet[f"{column}{rows['HS0001']}"] = value
        sheet[f"H{rows['HS0002']}"] = 6
        action = self.upload(entry, workbook_bytes(book))
        self.assertEqual(action["params"]["message"], "2 students imported, 0 rows rejected.")
        self.assertEqual(self.line_an.s1_regular, "8.0 7.5 9.0 6.0")
        self.assertEqual((self.line_an.s1_midterm, self.line_an.s1_final), ("7.0", "8.5"))
        self.assertEqual(self.line_binh.s1_midterm, "6.0")
        self.assertFalse(entry.rejected_file)
        self.assertEqual(entry.template_filename, "scores_6A1_TOAN_HK1.xlsx")
        # the scores written come back as numbers in the next template
        sheet = self.template(entry)["NHAPDIEM"]
        self.assertEqual(sheet.cell(rows["HS0001"], 5).value, 7.5)
        # the template of an older release, keys in brackets beside the labels, still imports
        old = self.template(entry)
        sheet = old["NHAPDIEM"]
        sheet.delete_rows(11)  # the titles; the key row takes their place
        for row in range(6, 10):
            sheet.cell(row, 1).value = "Label [%s]" % sheet.cell(row, 1).value
        sheet["H12"] = 5
        self.upload(entry, workbook_bytes(old))
        self.assertEqual(entry.import_message, "1 student imported, 0 rows rejected.")
        self.assertEqual(self.line_an.s1_midterm, "5.0")

    def test_import_summary_says_one_and_many(self):
        entry = self.entry()
        self.assertEqual(entry._import_summary(1, 2), "1 student imported, 2 rows rejected.")
        self.assertEqual(entry._import_summary(3, 1), "3 students imported, 1 row rejected.")
        self.assertEqual(entry.with_context(lang="en_US")._import_summary(0, 0),
                         "0 students imported, 0 rows rejected.")

    def test_rejected_rows_come_back_with_their_reason(self):
        self.line_binh.write({"s1_midterm": "5"})
        entry = self.entry()
        book = self.template(entry)
        sheet = book["NHAPDIEM"]
        rows = {sheet.cell(row, 2).value: row for row in (13, 14)}
        sheet[f"D{rows['HS0001']}"] = 9
        sheet[f"H{rows['HS0002']}"] = 11  # score > 10
        sheet[f"I{rows['HS0002']}"] = 8  # the rest of the row is lost with it, not half-written
        sheet.append([3, "HS9999", "Người Lạ", 7])  # not in the class
        sheet.append([4, "HS0001", "Nguyễn Văn An", "bảy"])  # text, and a second time
        action = self.upload(entry, workbook_bytes(book))
        self.assertIn("1 student imported, 3 rows rejected", action["params"]["message"])
        self.assertEqual(self.line_an.s1_regular, "9.0")
        self.assertEqual((self.line_binh.s1_midterm, self.line_binh.s1_final), ("5.0", False))
        rejected = openpyxl.load_workbook(io.BytesIO(base64.b64decode(entry.rejected_file)))
        sheet = rejected["NHAPDIEM"]
        self.assertEqual(sheet.cell(11, 10).value, "Reason")
        self.assertEqual(sheet.cell(12, 10).value, "LYDO")
        reasons = {sheet.cell(row, 2).value + str(row): sheet.cell(row, 10).value
                   for row in range(13, 16)}
        self.assertEqual(len(reasons), 3)
        texts = " | ".join(reasons.values())
        self.assertIn("Score 11 is outside 0–10", texts)
        self.assertIn("HS9999 is not a student of 6A1", texts)
        self.assertIn("appears twice", texts)
        self.assertEqual(sheet.cell(13, 8).value, 11, "the rejected row as it was typed")
        self.assertTrue(entry.rejected_filename.endswith(".xlsx"))
        # the rejected rows, corrected, go back in as they are
        sheet.cell(13, 8).value = "9,5"
        sheet.delete_rows(14, 2)
        self.upload(entry, workbook_bytes(rejected))
        self.assertIn("1 student imported, 0 rows rejected", entry.import_message)
        self.assertEqual((self.line_binh.s1_midterm, self.line_binh.s1_final), ("9.5", "8.0"))
        self.assertFalse(entry.rejected_file)

    def test_text_in_a_number_cell_is_refused(self):
        entry = self.entry()
        book = self.template(entry)
        book["NHAPDIEM"]["D13"] = "tám"
        self.upload(entry, workbook_bytes(book))
        self.assertIn("0 students imported, 1 row rejected", entry.import_message)
        rejected = openpyxl.load_workbook(io.BytesIO(base64.b64decode(entry.rejected_file)))
        self.assertIn("TX1", rejected["NHAPDIEM"].cell(13, 10).value)
        self.assertIn("tám", rejected["NHAPDIEM"].cell(13, 10).value)

    def test_untrusted_files_are_refused_whole(self):
        entry = self.entry()
        book = self.template(entry)
        # another subject's template
        lit = self.entry(user=self.gvbm_lit, subject=self.subj_lit)
        with self.assertRaisesRegex(UserError, "another subject"):
            self.upload(lit, workbook_bytes(book))
        # another term
        with self.assertRaisesRegex(UserError, "another term"):
            self.upload(self.entry(term="s2"), workbook_bytes(book))
        # wrong sheet
        book["NHAPDIEM"].title = "Sheet1"
        with self.assertRaisesRegex(UserError, "no sheet NHAPDIEM"):
            self.upload(entry, workbook_bytes(book))
        # not a workbook, and too large
        with self.assertRaises(UserError):
            self.upload(entry, b"STT,MAHOCSINH\n1,HS0001\n", "diem.csv")
        with self.assertRaisesRegex(UserError, "larger than"):
            self.upload(entry, b"PK\x03\x04" + b"0" * (3 * 1024 * 1024))
        self.assertFalse(self.line_an.s1_regular or self.line_binh.s1_regular)


@tagged("post_install", "-at_install")
class TestPrimaryScoreEntry(HocbasoCase):
    """TT27: the rating and the periodic test at the end of the year."""

    def test_primary_class_enters_rating_and_test(self):
        env = self.env
        grade = env.ref("hocbaso_odoo.grade_04")
        klass = env["hocbaso.class"].create({
            "name": "4A", "company_id": self.school.id, "school_year_id": self.year.id,
            "grade_id": grade.id, "homeroom_teacher_id": self.gvcn.id})
        math = env["hocbaso.subject"].search([("code", "=", "TOAN"),
                                              ("level_id", "=", self.level_primary.id)])
        env["hocbaso.teaching.assignment"].create(
            {"class_id": klass.id, "subject_id": math.id, "teacher_id": self.gvbm_math.id})
        env["hocbaso.student"].create({
            "name": "Đỗ Thu Hà", "personal_id": "001315000009", "sex": "2", "birth_date": "2015",
            "company_id": self.school.id, "class_id": klass.id, "student_code": "HS0409"})
        records = klass._generate_records()
        self.assertEqual(len(records.line_ids), 1)
        Entry = env["hocbaso.score.entry"].with_user(self.gvbm_math)
        with self.assertRaises(UserError):
            Entry.create({"school_year_id": self.year.id, "class_id": klass.id,
                          "subject_id": math.id, "term": "s1"})
        entry = Entry.create({"school_year_id": self.year.id, "class_id": klass.id,
                              "subject_id": math.id})
        self.assertEqual(entry.term, "year")
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(
            entry.action_download_template() and entry.template_file)))
        sheet = book["NHAPDIEM"]
        self.assertEqual([cell.value for cell in sheet[11]][3:],
                         ["Rating (T, H, C)", "Periodic test (0–10)"])
        self.assertEqual([cell.value for cell in sheet[12]][3:], ["MUCDAT", "KTDK"])
        sheet["D13"], sheet["E13"] = "t", 9
        entry.write({"import_file": base64.b64encode(workbook_bytes(book)),
                     "import_filename": "4A.xlsx"})
        entry.action_import()
        line = entry.line_ids
        self.assertEqual(len(line), 1)
        self.assertEqual((line.level, line.test_score), ("T", "9"), entry.import_message)
        sheet["E13"] = "9.5"  # primary tests are whole numbers
        entry.write({"import_file": base64.b64encode(workbook_bytes(book)),
                     "import_filename": "4A.xlsx"})
        entry.action_import()
        self.assertIn("1 row rejected", entry.import_message)
        self.assertEqual(line.test_score, "9")
        action = entry.action_compute_results()
        self.assertIn("1 of 1", action["params"]["message"])


@tagged("post_install", "-at_install")
class TestPeriodsMigration(HocbasoCase):
    """18.0.1.3.0: subjects of an existing database get their periods a year."""

    def test_migration_fills_only_missing_periods(self):
        import importlib.util
        import os

        from odoo.modules.module import get_module_path

        path = os.path.join(get_module_path("hocbaso_odoo"), "migrations", "18.0.1.3.0",
                            "post-migrate.py")
        spec = importlib.util.spec_from_file_location("hocbaso_migration_18_0_1_3_0", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        math, civic = self.subj_math, self.env.ref("hocbaso_odoo.subject_03_gdcd")
        math.periods_per_year = 0
        civic.periods_per_year = 52  # the school's own figure stays
        self.env.flush_all()
        migration.migrate(self.env.cr, "18.0.1.2.0")
        self.env.invalidate_all()
        self.assertEqual((math.periods_per_year, civic.periods_per_year), (140, 52))
