"""The subject teacher enters scores in the grid with the keyboard, and by Excel: she downloads
the template of her class and subject, fills it in, imports it and reads what was refused; in
Vietnamese and in English."""

import base64
import io

import openpyxl
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import HocbasoCase

ENTRY_URL = "/odoo/action-hocbaso_odoo.hocbaso_score_entry_action"


@tagged("post_install", "-at_install")
class TestScoreEntryTour(HocbasoCase, HttpCase):

    def math_line(self, record=None):
        return (record or self.record).line_ids.filtered(lambda item: item.subject_code == "TOAN")

    def assert_typed_scores(self, lang):
        line = self.math_line()
        self.assertEqual(line.s1_regular, "7.0 8.5 9.0 6.0", lang)
        self.assertEqual((line.s1_midterm, line.s1_final, line.semester1), ("7.0", "8.0", "7.6"),
                         lang)

    def test_subject_teacher_types_scores_in_the_grid(self):
        self.load_vietnamese()
        self.gvbm_math.lang = "vi_VN"
        self.start_tour(ENTRY_URL, "hocbaso_score_entry", login="gvbm_math", timeout=180)
        self.assert_typed_scores("vi_VN")

    def test_subject_teacher_types_scores_in_english(self):
        self.load_vietnamese()  # installed, as at a Vietnamese school; she reads English
        self.gvbm_math.lang = "en_US"
        self.start_tour(ENTRY_URL, "hocbaso_score_entry_en", login="gvbm_math", timeout=180)
        self.assert_typed_scores("en_US")

    def read_results(self, lang, tour):
        self.load_vietnamese()
        self.gvcn.lang = lang
        self.fill_secondary(self.record)  # Literature 6.0, Physical Education Đ
        self.start_tour(f"/odoo/action-hocbaso_odoo.hocbaso_record_action/{self.record.id}",
                        tour, login="gvcn", timeout=180)
        pe = self.record.line_ids.filtered(lambda item: item.subject_code == "GDTC")
        self.assertEqual(pe.semester1, "Đ", "the format's code is what is stored")

    def test_homeroom_teacher_reads_results_in_vietnamese(self):
        self.read_results("vi_VN", "hocbaso_results_shown")

    def test_homeroom_teacher_reads_results_in_english(self):
        self.read_results("en_US", "hocbaso_results_shown_en")

    def test_subject_teacher_imports_scores_from_excel(self):
        self.load_vietnamese()
        self.gvbm_math.lang = "vi_VN"
        self.start_tour(ENTRY_URL, "hocbaso_score_excel_template", login="gvbm_math",
                        timeout=180)
        entry = self.env["hocbaso.score.entry"].search(
            [("create_uid", "=", self.gvbm_math.id)], order="id desc", limit=1)
        self.assertEqual((entry.class_id, entry.subject_id), (self.klass, self.subj_math))
        self.assertEqual(entry.template_filename, "nhap_diem_6A1_TOAN_HK1.xlsx")
        # what she does in Excel with the file she downloaded: An's row in full, and a
        # mid-term of 11 for Bình, which the import refuses
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(entry.template_file)))
        sheet = book["NHAPDIEM"]
        # her language, no codes in what she reads (the keys the import needs are hidden)
        self.assertEqual([sheet.cell(row, 1).value for row in (1, 2, 3, 4, 5)],
                         ["Trường", "Năm học", "Lớp", "Môn học", "Học kì"])
        self.assertEqual((sheet["B4"].value, sheet["B5"].value), ("Toán", "Học kì I"))
        self.assertEqual(sheet.cell(11, 2).value, "Mã học sinh")
        rows = {sheet.cell(row, 2).value: row for row in (13, 14)}
        for column, value in zip("DEFGHI", (8, "7,5", 9, 6, 7, "8,5")):
            sheet[f"{column}{rows['HS0001']}"] = value
        sheet[f"H{rows['HS0002']}"] = 11
        buffer = io.BytesIO()
        book.save(buffer)
        self.env["ir.attachment"].create({
            "name": entry.template_filename, "raw": buffer.getvalue(),
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "res_model": entry._name, "res_id": entry.id})
        self.start_tour(f"{ENTRY_URL}/{entry.id}", "hocbaso_score_excel_import",
                        login="gvbm_math", timeout=180)
        an, binh = self.math_line(), self.math_line(self.records - self.record)
        self.assertEqual(an.s1_regular, "8.0 7.5 9.0 6.0")
        self.assertEqual((an.s1_midterm, an.s1_final), ("7.0", "8.5"))
        self.assertFalse(binh.s1_midterm, "the refused row is not written")
        self.assertEqual(entry.import_message, "Đã nhập 1 học sinh, 1 dòng bị từ chối.")
        rejected = openpyxl.load_workbook(io.BytesIO(base64.b64decode(entry.rejected_file)))
        sheet = rejected["NHAPDIEM"]
        self.assertEqual(sheet.cell(13, 2).value, "HS0002")
        self.assertIn("Điểm 11 nằm ngoài khoảng 0–10", sheet.cell(13, 10).value)

    def test_errors_speak_vietnamese(self):
        self.load_vietnamese()
        line = self.math_line()
        with self.assertRaises(ValidationError) as caught:
            line.with_user(self.gvbm_math).with_context(lang="vi_VN").write({"s1_tx2": "11"})
        message = str(caught.exception)
        self.assertIn("Nguyễn Văn An", message)
        self.assertIn("nằm ngoài khoảng 0–10", message)
