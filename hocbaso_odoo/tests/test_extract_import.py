"""Paper records of past years in bulk (trích lục): the template of a class, the checks made on
every row before anything is created, hostile files, and the homeroom teacher's import in the
browser."""

import base64
import csv
import io
import zipfile
from unittest.mock import patch

import openpyxl
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from ..models.hocbaso_record import COMPETENCY_FIELDS, QUALITY_FIELDS
from ..tools import extract_sheet
from .common import HocbasoCase

PDF = b"%PDF-1.4 scanned paper record"
JPEG = b"\xff\xd8\xff\xe0 scanned paper record"
PNG = b"\x89PNG\r\n\x1a\n scanned paper record"
REPORT = "hocbaso_odoo.report_hocbaso_record"
HEADER = ["STT", "Số định danh [SODINHDANH]", "[LOAIGIAYTO]", "[SOGIAYTO]", "Họ và tên [HOVATEN]",
          "[SOSODANGBO]", "[TEPBANQUET]", "Toán [TOAN]", "Ngữ văn [NGUVAN]", "[GDTC]", "[CANAM]",
          "[RENLUYENCANAM]", "[SOBUOINGHI]", "[NXETGVCN]"]


def make_xlsx(rows):
    """An .xlsx as Excel writes it: numbers typed in number cells stay numbers."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def make_csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def make_zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data, compresslevel=1)
    return buffer.getvalue()


def read_xlsx(data):
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    return [["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]


@tagged("post_install", "-at_install")
class TestExtractImport(HocbasoCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env, ref = cls.env, cls.env.ref
        cls.past_year = env["hocbaso.school.year"].create({"name": "2023-2024"})
        Class = env["hocbaso.class"]
        # the homeroom teacher follows her class from 6B (last year) to 7B (this year)
        cls.class_7b = Class.create({
            "name": "7B", "company_id": cls.school.id, "school_year_id": cls.year.id,
            "grade_id": ref("hocbaso_odoo.grade_07").id, "homeroom_teacher_id": cls.gvcn.id})
        cls.class_6b = Class.create({
            "name": "6B", "company_id": cls.school.id, "school_year_id": cls.past_year.id,
            "grade_id": ref("hocbaso_odoo.grade_06").id, "homeroom_teacher_id": cls.gvcn.id})
        env["hocbaso.teaching.assignment"].create([
            {"class_id": cls.class_6b.id, "subject_id": subject.id, "teacher_id": teacher.id}
            for subject, teacher in ((cls.subj_math, cls.gvbm_math), (cls.subj_lit, cls.gvbm_lit),
                                     (cls.subj_pe, cls.gvbm_lit))])
        Student = env["hocbaso.student"]
        common = {"company_id": cls.school.id, "class_id": cls.class_7b.id}
        cls.duc = Student.create(dict(common, name="Phạm Minh Đức", personal_id="001212000021",
                                      sex="1", student_code="HS0021"))
        cls.mai = Student.create(dict(common, name="Hoàng Thị Mai", personal_id="001312000022",
                                      sex="2", student_code="HS0022", register_no="35/2023"))
        cls.emily = Student.create(dict(common, name="Emily Carter", sex="2",
                                        student_code="HS0023", id_document_type="HO_CHIEU",
                                        id_document_number="C1234567", nationality_code="US"))

    # --- helpers -----------------------------------------------------------------------------
    def good_rows(self):
        return [
            HEADER,
            # 7.5 in a number cell; Mai's ID in a number cell too, so Excel dropped its zeros
            [1, "001212000021", "", "", "Phạm Minh Đức", "12/2023", "duc.pdf", 7.5, "8",
             "đ", "K", "T", 3, "Chăm học, tiến bộ."],
            [2, 1312000022, "", "", "Hoàng  Thị Mai", "35/2023", "mai.jpg", "9", "8,5", "Đ",
             "T", "T", "", "Học tốt."],
            [3, "", "HO_CHIEU", "C1234567", "Emily Carter", "", "EMILY.png", "6.5", "7", "Đ",
             "K", "K", "", "Hòa đồng."],
        ]

    def good_scans(self):
        return make_zip({"duc.pdf": PDF, "mai.jpg": JPEG, "scans/emily.png": PNG})

    def wizard(self, sheet, scans, user=None, klass=None, name="trich_luc_6B.xlsx"):
        Wizard = self.env["hocbaso.extract.import"].with_user(user or self.gvcn)
        return Wizard.with_context(active_model="hocbaso.class",
                                   active_id=(klass or self.class_6b).id).create({
            "sheet_file": base64.b64encode(sheet) if sheet else False,
            "sheet_filename": name,
            "scans_file": base64.b64encode(scans) if scans else False,
            "scans_filename": "ban_quet.zip",
        })

    def imported(self, klass=None):
        return self.env["hocbaso.record"].search([("class_id", "=", (klass or self.class_6b).id)])

    def rejected(self, wizard):
        """{row number: reason} of the rejected-rows file."""
        self.assertEqual(wizard.state, "rejected")
        rows = read_xlsx(base64.b64decode(wizard.rejected_file))
        self.assertEqual(rows[0][-2:], ["Row [DONG]", "Reason [LYDO]"])
        return {int(row[-2]): row[-1] for row in rows[1:]}

    # --- the template ------------------------------------------------------------------------
    def test_template_lists_the_subjects_and_students_of_the_class(self):
        wizard = self.wizard(None, None, klass=self.klass)
        action = wizard.action_download_template()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertIn(f"model=hocbaso.extract.import&id={wizard.id}&field=template_file",
                      action["url"])
        self.assertEqual(wizard.template_filename, "trich_luc_6A1_2024-2025.xlsx")
        rows = read_xlsx(base64.b64decode(wizard.template_file))
        keys = [extract_sheet.column_key(title) for title in rows[0]]
        self.assertEqual(keys[:7], ["STT", "SODINHDANH", "LOAIGIAYTO", "SOGIAYTO", "HOVATEN",
                                    "SOSODANGBO", "TEPBANQUET"])
        self.assertEqual(set(keys[7:10]), {"TOAN", "NGUVAN", "GDTC"})
        self.assertEqual(keys[10:], ["CANAM", "RENLUYENCANAM", "SOBUOINGHI", "NXETGVCN"])
        # the students the class lists, their IDs as text: the leading zeros stay
        self.assertEqual([row[1] for row in rows[1:]], ["001213000001", "001313000002"])

    def test_template_of_a_primary_class_asks_for_the_periodic_tests(self):
        klass = self.primary_class()
        wizard = self.wizard(None, None, klass=klass)
        wizard.action_download_template()
        keys = [extract_sheet.column_key(title)
                for title in read_xlsx(base64.b64decode(wizard.template_file))[0]]
        self.assertEqual(keys[7:12], ["TV", "TV:KTDK", "TOAN", "TOAN:KTDK", "DAODUC"])
        # the competencies, qualities and comments the document needs, then the year
        self.assertEqual(keys[12], "NANGLUCTUHOC")
        self.assertEqual(keys[-5:], ["NXETNANGLUCCHUNG", "NXETNANGLUCDACTHU", "NXETPHAMCHAT",
                                     "XEPLOAI", "NXETGVCN"])
        self.assertEqual(len(keys), 12 + 15 + 5)

    def primary_class(self):
        env, ref = self.env, self.env.ref
        klass = env["hocbaso.class"].create({
            "name": "5A", "company_id": self.school.id, "school_year_id": self.past_year.id,
            "grade_id": ref("hocbaso_odoo.grade_05").id, "homeroom_teacher_id": self.gvcn.id})
        env["hocbaso.teaching.assignment"].create([
            {"class_id": klass.id, "subject_id": ref(xmlid).id, "teacher_id": self.gvbm_math.id}
            for xmlid in ("hocbaso_odoo.subject_02_tv", "hocbaso_odoo.subject_02_toan",
                          "hocbaso_odoo.subject_02_daoduc")])
        return klass

    # --- all good ------------------------------------------------------------------------------
    def test_all_good_creates_extracts_that_lock_with_trich_luc(self):
        wizard = self.wizard(make_xlsx(self.good_rows()), self.good_scans())
        action = wizard.action_import()
        records = self.imported()
        self.assertEqual(action["res_model"], "hocbaso.record")
        self.assertEqual(sorted(action["domain"][0][2]), sorted(records.ids))
        self.assertEqual(records.student_id, self.duc | self.mai | self.emily)
        self.assertEqual(set(records.mapped("state")), {"draft"})
        self.assertTrue(all(records.mapped("is_extract")))
        self.assertEqual(records.school_year_id, self.past_year)
        by_student = {record.student_id: record for record in records}
        duc = by_student[self.duc]
        results = {line.subject_code: line.year_result for line in duc.line_ids}
        self.assertEqual(results, {"TOAN": "7.5", "NGUVAN": "8.0", "GDTC": "Đ"})
        self.assertEqual(duc.line_ids.filtered(lambda line: line.subject_code == "TOAN").teacher_id,
                         self.gvbm_math)
        self.assertEqual((duc.learning_year, duc.conduct_year, duc.absences),
                         ("K", "T", 3))
        self.assertEqual(duc.homeroom_comment, "Chăm học, tiến bộ.")
        self.assertEqual(duc.homeroom_teacher_id, self.gvcn)
        self.assertEqual(base64.b64decode(duc.paper_scan), PDF)
        self.assertEqual(duc.paper_scan_filename, "duc.pdf")
        self.assertEqual(base64.b64decode(by_student[self.mai].paper_scan), JPEG)
        self.assertEqual(by_student[self.emily].paper_scan_filename, "emily.png")
        # the register number where the student had none; Mai's was there already
        self.assertEqual(self.duc.register_no, "12/2023")
        self.assertEqual(self.mai.register_no, "35/2023")
        self.assertFalse(self.emily.register_no)
        self.assertTrue(duc.message_ids.filtered(
            lambda m: "trich_luc_6B.xlsx" in (m.body or "")))
        # then the normal flow: the homeroom teacher locks them
        records.with_user(self.gvcn).action_lock()
        self.assertEqual(set(records.mapped("state")), {"locked"})
        for record in records:
            self.assertIn(b"<TRICH_LUC>1</TRICH_LUC>", record._get_xml())
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(REPORT, duc.ids)
        self.assertIn("TRÍCH LỤC", html.decode() if isinstance(html, bytes) else str(html))

    def test_a_primary_class_of_a_past_year(self):
        klass = self.primary_class()
        ratings = [name.upper() for name in COMPETENCY_FIELDS + QUALITY_FIELDS]
        rows = [["[SODINHDANH]", "[TEPBANQUET]", "[TV]", "[TV:KTDK]", "[TOAN]", "[TOAN:KTDK]",
                 "[DAODUC]", "[XEPLOAI]", "[NXETNANGLUCCHUNG]", "[NXETNANGLUCDACTHU]",
                 "[NXETGVCN]"] + ratings,
                ["001213000001", "an.pdf", "T", 9, "H", 7, "T", "HTT", "Tự học tốt.",
                 "Đọc lưu loát.", "Chăm ngoan."] + ["T"] * 15,
                ["001313000002", "binh.pdf", "t", 10, "t", 9.0, "h", "htt", "Mạnh dạn.",
                 "Tính toán nhanh.", "Tiến bộ."] + ["đ"] * 15]
        scans = make_zip({"an.pdf": PDF, "binh.pdf": PDF + b" 2"})
        self.wizard(make_xlsx(rows), scans, klass=klass).action_import()
        records = self.imported(klass)
        self.assertEqual(records.student_id, self.student | self.student2)
        binh = records.filtered(lambda r: r.student_id == self.student2)
        self.assertEqual({line.subject_code: (line.level, line.test_score or "")
                          for line in binh.line_ids},
                         {"TV": ("T", "10"), "TOAN": ("T", "9"), "DAODUC": ("H", "")})
        self.assertEqual(binh.year_level, "HTT")
        self.assertEqual((binh.nangluctuhoc, binh.phamchattrachnhiem), ("Đ", "Đ"))
        self.assertEqual(binh.specific_competency_comment, "Tính toán nhanh.")
        records.with_user(self.gvcn).action_lock()
        self.assertIn(b"<TRICH_LUC>1</TRICH_LUC>", binh._get_xml())

    def test_the_school_admin_may_import(self):
        self.wizard(make_csv(self.good_rows()), self.good_scans(), user=self.school_admin,
                    name="trich_luc.csv").action_import()
        self.assertEqual(len(self.imported()), 3)

    def test_the_files_of_an_import_are_its_creators_alone(self):
        """The sheet and the scans hold a class's results: another homeroom teacher or the
        school admin cannot read them by the screen's id."""
        wizard = self.wizard(make_xlsx(self.good_rows()), self.good_scans())
        self.assertTrue(wizard.with_context(bin_size=False).sheet_file)
        for other in (self.gvcn_other_class, self.school_admin):
            Wizard = self.env["hocbaso.extract.import"].with_user(other)
            self.assertFalse(Wizard.search([("id", "=", wizard.id)]))
            with self.assertRaises(AccessError):
                Wizard.browse(wizard.id).read(["sheet_file", "scans_file"])

    def test_only_the_homeroom_teacher_of_the_class_or_the_leadership(self):
        wizard = self.wizard(make_xlsx(self.good_rows()), self.good_scans(),
                             user=self.gvcn_other_class)
        with self.assertRaisesRegex(UserError, "Only the homeroom teacher of 6B"):
            wizard.action_import()
        with self.assertRaisesRegex(UserError, "Only the homeroom teacher of 6B"):
            wizard.action_download_template()
        self.assertFalse(self.imported())

    # --- rejected rows: nothing is created -----------------------------------------------------
    def test_one_bad_score_creates_nothing_and_names_the_row(self):
        rows = self.good_rows()
        rows[1][7] = "11"
        wizard = self.wizard(make_csv(rows), self.good_scans(), name="trich_luc.csv")
        action = wizard.action_import()
        self.assertEqual((action["res_model"], action["res_id"]), (wizard._name, wizard.id))
        self.assertFalse(self.imported())
        self.assertFalse(self.duc.register_no, "nothing written, not even the register number")
        self.assertIn("1 of 3 rows are rejected", wizard.message)
        self.assertEqual(wizard.rejected_filename, "trich_luc_bi_tu_choi.xlsx")
        reasons = self.rejected(wizard)
        self.assertEqual(list(reasons), [2])
        self.assertIn("Score 11 is outside 0–10", reasons[2])
        # the rejected row as it came, to be corrected
        rejected = read_xlsx(base64.b64decode(wizard.rejected_file))
        self.assertEqual(rejected[0][:-2], HEADER)
        self.assertEqual(rejected[1][1:8], ["001212000021", "", "", "Phạm Minh Đức", "12/2023",
                                            "duc.pdf", "11"])
        # corrected, the same wizard imports everything
        rows[1][7] = "7.5"
        wizard.sheet_file = base64.b64encode(make_csv(rows))
        wizard.action_import()
        self.assertEqual(len(self.imported()), 3)

    def test_unknown_student_missing_scan_and_other_reasons(self):
        header = HEADER[:8] + ["[NGUVAN]", "[GDTC]", "[CANAM]", "[RENLUYENCANAM]"]
        marks = ["7", "7", "Đ", "K", "T"]
        rows = [
            header,
            ["1", "001213009999", "", "", "", "", "duc.pdf"] + marks,  # unknown
            ["2", "001212000021", "", "", "", "", "khong_co.pdf"] + marks,  # no such scan
            ["3", "001312000022", "", "", "", "", ""] + marks,  # no scan named
            ["4", "", "CCCD", "C1234567", "", "", "emily.png"] + marks,  # unknown type
        ]
        scans = make_zip({"duc.pdf": PDF, "emily.png": PNG})
        wizard = self.wizard(make_csv(rows), scans, name="x.csv")
        wizard.action_import()
        reasons = self.rejected(wizard)
        self.assertEqual(sorted(reasons), [2, 3, 4, 5])
        self.assertIn("has the personal ID 001213009999", reasons[2])
        self.assertIn("has no file named khong_co.pdf", reasons[3])
        self.assertIn("Scan file name [TEPBANQUET] is empty", reasons[4])
        self.assertIn("CCCD is not a type of identity document", reasons[5])
        self.assertFalse(self.imported())

    def test_other_class_that_year_wrong_name_repeats_and_existing_record(self):
        class_6c = self.env["hocbaso.class"].create({
            "name": "6C", "company_id": self.school.id, "school_year_id": self.past_year.id,
            "grade_id": self.env.ref("hocbaso_odoo.grade_06").id,
            "homeroom_teacher_id": self.gvcn.id})
        self.env["hocbaso.student"].create({
            "name": "Lý Văn Nam", "personal_id": "001212000031", "sex": "1",
            "company_id": self.school.id, "class_id": class_6c.id})
        rows = self.good_rows()
        rows[3][4] = "Emily Nguyen"
        rows.append([4, "001212000031", "", "", "", "", "nam.pdf", "7", "7", "Đ", "K", "T", "",
                     ""])
        rows.append([5, "001212000021", "", "", "", "", "mai.jpg", "7", "7", "Đ", "K", "T", "",
                     ""])
        scans = make_zip({"duc.pdf": PDF, "mai.jpg": JPEG, "emily.png": PNG, "nam.pdf": PDF})
        wizard = self.wizard(make_xlsx(rows), scans)
        wizard.action_import()
        reasons = self.rejected(wizard)
        self.assertEqual(sorted(reasons), [2, 3, 4, 5, 6])
        self.assertIn("The same student is on rows 2, 6", reasons[2])
        self.assertIn("The same scan mai.jpg is given on rows 3, 6", reasons[3])
        self.assertIn("The name Emily Nguyen is not that of the student", reasons[4])
        self.assertIn("Lý Văn Nam is in class 6C in 2023-2024, not in 6B", reasons[5])
        self.assertFalse(self.imported())
        # imported once, the rows come back as already having a record
        self.wizard(make_xlsx(self.good_rows()), self.good_scans()).action_import()
        wizard = self.wizard(make_xlsx(self.good_rows()), self.good_scans())
        wizard.action_import()
        reasons = self.rejected(wizard)
        self.assertEqual(len(reasons), 3)
        self.assertIn("already has a record for 2023-2024", reasons[2])
        self.assertEqual(len(self.imported()), 3)

    # --- hostile files -----------------------------------------------------------------------
    def assert_refused(self, sheet, scans, pattern, name="trich_luc.xlsx"):
        wizard = self.wizard(sheet, scans, name=name)
        with self.assertRaisesRegex(UserError, pattern):
            wizard.action_import()
        self.assertFalse(self.imported())

    def test_hostile_spreadsheets(self):
        scans = self.good_scans()
        good = make_xlsx(self.good_rows())
        self.assert_refused(PNG * 100, scans, "cannot be read as an Excel workbook")
        self.assert_refused(bytes(range(256)) * 8, scans, "is not a spreadsheet", "a.csv")
        self.assert_refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), scans,
                            r"old Excel format \(.xls\)")
        self.assert_refused(scans, scans, "cannot be read as an Excel workbook")
        self.assert_refused(good[:len(good) // 2], scans, "cannot be read as an Excel workbook")
        # a DTD with entities in a part of the workbook
        with zipfile.ZipFile(io.BytesIO(good)) as source:
            parts = {info.filename: source.read(info) for info in source.infolist()}
        dtd = b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        declaration, end, body = parts["xl/workbook.xml"].partition(b"?>")
        parts["xl/workbook.xml"] = declaration + end + dtd + body
        self.assert_refused(make_zip(parts), scans, "XML declarations")
        self.assert_refused(make_zip({"xl/workbook.xml": bytes(30 * 2**20)}), scans,
                            "expands to more than 20 MB")
        self.assert_refused(b"x" * (6 * 2**20), scans, "larger than 5 MB")
        self.assert_refused(b"SODINHDANH\n" + b"001212000021\n" * 201, scans,
                            "more than 200 rows", "a.csv")
        self.assert_refused(make_csv([["[SODINHDANH]", "[TEPBANQUET]"], ["1", "a.pdf"]]), scans,
                            "These columns are missing", "a.csv")
        self.assert_refused(make_csv([HEADER + ["[HACK]"], ["1"]]), scans,
                            "HACK.*is not a column of the template", "a.csv")

    def test_a_formula_is_not_computed(self):
        rows = self.good_rows()
        rows[1][7] = "=1+6.5"
        wizard = self.wizard(make_xlsx(rows), self.good_scans())
        wizard.action_import()
        reasons = self.rejected(wizard)
        self.assertIn("Column H holds a formula", reasons[2])
        self.assertFalse(self.imported())
        # written back as text, not as a formula the clerk's Excel would run
        rejected = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.rejected_file)))
        self.assertEqual(rejected.worksheets[0]["H2"].data_type, "s")

    def test_hostile_scans(self):
        sheet = make_xlsx(self.good_rows())
        self.assert_refused(sheet, PDF, "Upload the scans as one .zip file")
        self.assert_refused(sheet, b"PK\x03\x04" + bytes(100), "Upload the scans as one .zip")
        # a scan that is no scan, and one that expands past the 20 MB kept (a small zip)
        big = b"%PDF-1.4 " + bytes(21 * 2**20)
        scans = make_zip({"duc.pdf": b"<html><script>alert(1)</script></html>",
                          "mai.jpg": big, "emily.png": PNG})
        self.assertLess(len(scans), 2**20)
        wizard = self.wizard(sheet, scans)
        wizard.action_import()
        reasons = self.rejected(wizard)
        self.assertIn("must be a PDF, JPEG, PNG or TIFF file; duc.pdf is not one", reasons[2])
        self.assertIn("The scan mai.jpg is larger than 20 MB", reasons[3])
        self.assertEqual(sorted(reasons), [2, 3])
        # a zip of scans expanding past the limit is refused before any scan is read
        with patch.object(extract_sheet, "MAX_SCANS_EXPANDED", 30 * 2**20):
            bomb = make_zip({f"scan{n}.pdf": big[:19 * 2**20] for n in range(2)})
            self.assert_refused(sheet, bomb, "expands to more than 30 MB")
        self.assertFalse(self.imported())

    # --- in the browser ----------------------------------------------------------------------
    def test_homeroom_teacher_imports_in_the_browser(self):
        self.env["res.lang"]._activate_lang("vi_VN")
        self.env["ir.module.module"]._load_module_terms(["web", "hocbaso_odoo"], ["vi_VN"],
                                                         overwrite=True)
        for lang in ("vi_VN", "en_US"):
            self.gvcn.lang = lang
            self.start_tour(f"/odoo/action-hocbaso_odoo.hocbaso_class_action/{self.class_6b.id}",
                            "hocbaso_extract_import", login="gvcn", timeout=120)
            records = self.imported()
            self.assertEqual(records.student_id, self.duc | self.mai, lang)
            self.assertTrue(all(records.mapped("is_extract")), lang)
            duc = records.filtered(lambda r: r.student_id == self.duc)
            self.assertEqual(
                duc.line_ids.filtered(lambda line: line.subject_code == "TOAN").year_result,
                "7.5",
                lang,
            )
            self.assertTrue(base64.b64decode(duc.paper_scan).startswith(b"%PDF-"), lang)
            records.unlink()  # the next language imports the same rows again
