"""The public verification page answers the short code printed on the PDF and the school's own
PDF truthfully; the issued record names who signed it and when (issue 23, items 5 and 6)."""

import io
import re
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from lxml import etree

from odoo.tests import tagged
from odoo.tools.pdf import DecodedStreamObject, NameObject, OdooPdfFileWriter

from ..models.hocbaso_record_package import STANDALONE_TEMPLATE, pdf_record_xml, xml_signatures
from ..tools import lib_text
from .test_portal import PortalCase

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# codes a reader must not see (the fixture's signers are named after their logins, e.g. "gvcn")
CODES = ("GVBM", "CBQL", "KY_PHAT_HANH", "TOAN", "NGUVAN", "UTC")


def signature_times(record):
    """{role: aware signing time} of the record's XML."""
    return {found["role"]: found["signing_time"] for found in xml_signatures(record._get_xml())
            if found["role"] != "gvbm"}


@tagged("post_install", "-at_install")
class TestVerifyByCode(PortalCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()
        cls.times = signature_times(cls.record)

    def test_short_code_finds_the_record_and_sums_it_up(self):
        # as a reader types it: upper case, a space in the middle
        typed = self.code.upper()[:5] + " " + self.code.upper()[5:]
        self.assertEqual(self.env["hocbaso.record"]._hocbaso_find_by_code(typed), self.record)
        response = self.url_open("/hocbaso/verify?" + urlencode({"code": typed}))
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn("Xác thực học bạ số", page)
        self.assertIn("Nguyễn Văn An", page)  # who holds the printed code sees the full name
        self.assertIn(self.school.name, page)
        self.assertIn("2024-2025", page)
        self.assertIn("Đã phát hành", page)  # the record's state, as its state list says it
        # signers: role labels in words, times on the school's clock
        self.assertIn("Giáo viên chủ nhiệm", page)
        self.assertIn("Giáo viên bộ môn – Toán", page)
        self.assertIn("Nhà trường phát hành", page)
        for code in CODES:
            self.assertNotRegex(page, rf"\b{code}\b")
        gvcn_time = self.times["gvcn"].astimezone(VN).strftime("%d/%m/%Y %H:%M")
        self.assertIn(gvcn_time, page)
        # issuance: the day of the issuance signature, and who signed for the school
        issued = self.times["phathanh"].astimezone(VN).strftime("%d/%m/%Y")
        self.assertRegex(page, rf'o_hocbaso_issue_date">{issued}<')
        self.assertIn(self.record._report_issuance()["signer_name"], page)
        log = self.env["hocbaso.access.log"].search([("record_id", "=", self.record.id),
                                                     ("action", "=", "verify")])
        self.assertTrue(log)

    def test_wrong_code_says_so_and_tells_nothing(self):
        for code in ("0123456789", self.code[:-1] + ("0" if self.code[-1] != "0" else "1"),
                     "not-a-code", "' OR 1=1 --"):
            response = self.url_open("/hocbaso/verify?" + urlencode({"code": code}))
            self.assertEqual(response.status_code, 404, code)
            self.assertIn("o_hocbaso_code_not_found", response.text)
            self.assertIn("Không có học bạ đã phát hành nào có mã xác thực này", response.text)
            for leak in ("Nguyễn Văn An", "N. V. A.", self.record.record_uuid, "2024-2025",
                         "o_sig_valid"):
                self.assertNotIn(leak, response.text, code)

    def test_record_id_in_the_same_field(self):
        response = self.url_open("/hocbaso/verify?" + urlencode({"code": self.record.record_uuid}))
        self.assertEqual(response.status_code, 200)
        self.assertIn("N. V. A.", response.text)  # the ID alone shows the minimum
        self.assertNotIn("Nguyễn Văn An", response.text)

    def _upload(self, data, name):
        return self.url_open("/hocbaso/verify/upload", files={"file": (name, data)})

    def test_schools_own_pdf_is_valid(self):
        pdf = self.record._render_pdf()
        self.assertEqual(pdf[:5], b"%PDF-")
        self.assertEqual(pdf_record_xml(pdf), self.record._get_xml(), "the PDF carries its XML")
        response = self._upload(pdf, "hocba.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_hocbaso_upload_valid", response.text)
        self.assertNotIn("o_hocbaso_upload_invalid", response.text)
        self.assertIn("tệp học bạ bên trong PDF toàn vẹn", response.text)
        # what the file is: as the signed file says, with the record's state here
        self.assertIn("o_hocbaso_file_summary", response.text)
        self.assertIn("Nguyễn Văn An", response.text)
        self.assertRegex(response.text, r'o_hocbaso_file_state[^"]*">\s*Đã phát hành')

    def test_revoked_records_file_says_revoked(self):
        xml = self.record._get_xml()
        self.record.sudo()._write({"state": "revoked"})
        response = self._upload(xml, "hocba.xml")
        self.assertIn("o_hocbaso_upload_valid", response.text)  # the signatures are still good
        self.assertRegex(response.text, r'o_hocbaso_file_state text-danger">\s*Đã thu hồi')

    def test_modified_xml_is_invalid_with_its_reason(self):
        xml = self.record._get_xml()
        tampered = re.sub(rb">7\.5<", b">9.5<", xml, count=1)
        self.assertNotEqual(tampered, xml)
        response = self._upload(tampered, "hocba.xml")
        self.assertIn("o_hocbaso_upload_invalid", response.text)
        self.assertNotIn("o_hocbaso_upload_valid", response.text)
        report, _trusted = self.env["hocbaso.record.transfer"]._hocbaso_verify(tampered)
        vi = self.env(context={"lang": "vi_VN"})
        reasons = [lib_text(vi, err) for sig in report.signatures for err in sig.errors]
        reasons += [lib_text(vi, err) for err in report.errors]
        self.assertTrue(reasons)
        self.assertTrue(any(reason in response.text for reason in reasons),
                        "the page says why, in Vietnamese")
        self.assertIn("Nội dung đã bị thay đổi sau khi ký.", response.text)
        self.assertNotIn("hoặc không có chữ ký", response.text)  # it is signed: no hedge
        # which part changed, in words: never the XML's Ids
        self.assertIn("Kết quả của môn học do giáo viên này ký đã bị thay đổi", response.text)
        self.assertIn("Nội dung học bạ đã bị thay đổi sau khi ký.", response.text)
        self.assertNotIn("#mon-", response.text)
        self.assertNotIn("#data", response.text)

    def test_pdf_without_the_xml_says_what_to_upload(self):
        writer = OdooPdfFileWriter()
        writer.addBlankPage(200, 200)
        buffer = io.BytesIO()
        writer.write(buffer)
        response = self._upload(buffer.getvalue(), "scan.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_hocbaso_upload_pdf_without_xml", response.text)
        self.assertNotIn("o_hocbaso_upload_invalid", response.text)  # not "tampered"
        self.assertIn("không phải là học bạ số", response.text)
        self.assertIn("gói học bạ (.zip)", response.text)
        self.assertIn("mã xác thực", response.text)

    def test_pdf_with_an_inflating_attachment_is_not_inflated(self):
        writer = OdooPdfFileWriter()
        writer.addBlankPage(200, 200)
        writer.addAttachment("hocba.xml", b"<HOC_BA/>", subtype="application/xml")
        bomb = DecodedStreamObject()
        bomb.setData(b"\0" * (64 * 1024 * 1024))
        spec = writer._root_object["/Names"]["/EmbeddedFiles"]["/Names"][1].getObject()
        spec["/EF"][NameObject("/F")] = writer._addObject(bomb.flateEncode())
        buffer = io.BytesIO()
        writer.write(buffer)
        self.assertLess(len(buffer.getvalue()), 1024 * 1024)
        self.assertIsNone(pdf_record_xml(buffer.getvalue()))
        response = self._upload(buffer.getvalue(), "bomb.pdf")
        self.assertIn("o_hocbaso_upload_pdf_without_xml", response.text)

    def test_english_page(self):
        self.opener.cookies.set("frontend_lang", "en_US")
        response = self.url_open("/hocbaso/verify")
        self.assertEqual(response.status_code, 200)
        self.assertIn("<title>Record Verification</title>", response.text)
        self.assertIn("Record Verification</h2>", response.text)
        self.assertNotIn("Xác thực học bạ số", response.text)

    def test_pages_name_their_language(self):
        """Screen readers and browsers' translation offers read <html lang>: the verify page
        and the parent's pages say the language they are written in."""
        response = self.url_open("/hocbaso/verify")  # scanned QR code: the record's language
        self.assertRegex(response.text, r'<html[^>]* lang="vi-VN"')
        self.assertIn("<title>Xác thực học bạ số</title>", response.text)
        response = self.url_open("/en/hocbaso/verify")
        self.assertRegex(response.text, r'<html[^>]* lang="en-US"')
        self.authenticate("parent", "parentxx")
        for lang, attribute in (("en_US", "en-US"), ("vi_VN", "vi-VN")):
            self.parent.lang = lang
            for url in ("/my/hocba", f"/my/hocba/{self.record.id}"):
                page = self.url_open(url).text
                self.assertRegex(page, rf'<html[^>]* lang="{attribute}"', url)

    def test_a_browser_asking_for_english_reads_english(self):
        """An English phone scanning the QR code reads the page in English (Odoo's routing
        sends it to /en/ first); a Vietnamese one in Vietnamese."""
        self.env["ir.default"].set("res.partner", "lang", "vi_VN")
        response = self.url_open(f"/hocbaso/verify?code={self.code}",
                                 headers={"Accept-Language": "en-US,en;q=0.9"})
        self.assertIn("o_hocbaso_verify_title\">Record Verification</h2>", response.text)
        self.opener.cookies.clear()
        response = self.url_open(f"/hocbaso/verify?code={self.code}",
                                 headers={"Accept-Language": "vi-VN,vi;q=0.9"})
        self.assertIn("Xác thực học bạ số", response.text)
        self.assertNotIn("Record Verification</h2>", response.text)

    def test_english_address_stays_english(self):
        # a school whose site speaks Vietnamese by default; a fresh browser, no cookie
        self.env["ir.default"].set("res.partner", "lang", "vi_VN")
        response = self.url_open("/en/hocbaso/verify")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.history, [], "the English address is the visitor's choice")
        self.assertIn("Record Verification</h2>", response.text)
        self.assertNotIn("Xác thực học bạ số", response.text)
        response = self.url_open(f"/en/hocbaso/verify?code={self.code}")
        self.assertEqual(response.history, [])
        self.assertIn("o_hocbaso_verify_title\">Record Verification</h2>", response.text)
        self.assertIn("Issued", response.text)


@tagged("post_install", "-at_install")
class TestIssuanceFromSignatures(PortalCase):

    def test_signer_title_and_date_come_from_the_signatures(self):
        record = self.record.sudo()
        # a planned date at the school year's end must not be what the issued record says
        record._write({"issue_date": "2025-05-31"})
        record.invalidate_recordset()
        times = signature_times(record)
        issuance = record._report_issuance()
        issued_on = times["phathanh"].astimezone(VN).date()
        self.assertEqual(issuance["issue_date"], issued_on)
        self.assertTrue(issuance["issued"] and issuance["leader_signed"])
        cbql = next(found for found in xml_signatures(record._get_xml()) if found["role"] == "cbql")
        self.assertEqual(issuance["signer_name"], cbql["signer_name"])
        self.assertEqual(issuance["title_lines"], ["HIỆU TRƯỞNG"])
        # on screens, as the reader's language writes dates (Odoo's English: month first)
        self.assertEqual(issuance["leader_time"],
                         times["cbql"].astimezone(VN).strftime("%m/%d/%Y %H:%M"))
        if self.env["res.lang"]._lang_get("vi_VN"):
            self.assertEqual(record.with_context(lang="vi_VN")._report_issuance()["leader_time"],
                             times["cbql"].astimezone(VN).strftime("%d/%m/%Y %H:%M"))
        self.assertEqual(
            record._report_date_line(),
            f"{record.issue_place or record.company_id.hocbaso_province_name}, "
            f"ngày {issued_on.day:02d} tháng {issued_on.month:02d} năm {issued_on.year}",
        )
        # the printed record: the same signer, title and date
        html = str(self.env["ir.qweb"]._render(STANDALONE_TEMPLATE, {"docs": record}))
        self.assertIn(
            f"ngày {issued_on.day:02d} tháng {issued_on.month:02d} năm {issued_on.year}", html
        )
        self.assertNotIn("ngày 31 tháng 05 năm 2025", html)
        self.assertIn(cbql["signer_name"], html)
        # a vice-principal signs for the principal: KT. Hiệu trưởng above her own title
        record._write({"leader_title": "Phó hiệu trưởng"})
        record.invalidate_recordset()
        issuance = record._report_issuance()
        self.assertEqual(issuance["title_lines"], ["KT. HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG"])
        html = str(self.env["ir.qweb"]._render(STANDALONE_TEMPLATE, {"docs": record}))
        self.assertIn("KT. HIỆU TRƯỞNG", html)
        # and the parent's page says the same
        self.authenticate("parent", "parentxx")
        page = self.url_open(f"/my/hocba/{record.id}").text
        self.assertIn(issued_on.strftime("%m/%d/%Y"), page)  # the parent reads English
        self.assertNotIn("05/31/2025", page)
        self.assertNotIn("31/05/2025", page)
        self.assertIn("KT. Hiệu trưởng – Phó hiệu trưởng", page)

    def test_unissued_record_claims_no_issue_date(self):
        """A record not issued says no day of issue, even with a date typed in (P2.14)."""
        draft = self.records.filtered(lambda r: r.student_id == self.student2).sudo()
        self.assertFalse(draft.issue_date, "nothing planned at creation")
        draft._write({"issue_date": "2025-05-31"})
        draft.invalidate_recordset()
        issuance = draft._report_issuance()
        self.assertFalse(issuance["issued"])
        self.assertFalse(issuance["issue_date"])
        self.assertFalse(issuance["issue_date_text"])
        self.assertIn("ngày ... tháng ... năm", draft._report_date_line())
        html = str(self.env["ir.qweb"]._render(STANDALONE_TEMPLATE, {"docs": draft}))
        self.assertNotIn("31/05/2025", html)
        self.assertNotIn("ngày 31 tháng 05 năm 2025", html)


@tagged("post_install", "-at_install")
class TestPortalTours(PortalCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.load_vietnamese()

    def test_parent_reads_record_in_vietnamese(self):
        self.parent.lang = "vi_VN"
        self.start_tour("/my/hocba", "hocbaso_parent_reads_record", login="parent", timeout=120)

    def test_parent_reads_record_in_english(self):
        self.parent.lang = "en_US"
        self.start_tour("/my/hocba", "hocbaso_parent_reads_record_en", login="parent",
                        timeout=120)

    def test_visitor_verifies_by_short_code(self):
        self.start_tour(f"/hocbaso/verify#code={self.code}", "hocbaso_verify_by_code", timeout=120)


@tagged("post_install", "-at_install")
class TestPrimaryPortalTable(PortalCase):
    """A TT27 record (the screenshot's case): a subject without a periodic test keeps its comment
    in the comment column, and ratings are words."""

    def test_primary_rows_line_up(self):
        env, ref = self.env, self.env.ref
        klass = env["hocbaso.class"].create({
            "name": "1A", "company_id": self.school.id, "school_year_id": self.year.id,
            "grade_id": ref("hocbaso_odoo.grade_01").id, "homeroom_teacher_id": self.gvcn.id,
        })
        env["hocbaso.teaching.assignment"].create([
            {"class_id": klass.id, "subject_id": ref("hocbaso_odoo.subject_02_tv").id,
             "teacher_id": self.gvbm_lit.id},
            {"class_id": klass.id, "subject_id": ref("hocbaso_odoo.subject_02_toan").id,
             "teacher_id": self.gvbm_math.id},
        ])
        pupil = env["hocbaso.student"].create({
            "name": "Dương Gia Tuấn", "personal_id": "001218000008", "sex": "1",
            "birth_date": "2018-04-03", "company_id": self.school.id, "class_id": klass.id,
            "guardian_user_ids": [(6, 0, self.parent.ids)],
        })
        record = klass._generate_records().filtered(lambda r: r.student_id == pupil)
        first, second = record.line_ids[:2]
        first.write({"level": "T", "test_score": "8", "comment": "Hoàn thành tốt nội dung."})
        second.write({"level": "H", "test_score": False, "comment": "Hoàn thành."})
        record.write({"year_level": "HT", "phamchatyeunuoc": "T", "nangluctuhoc": "Đ"})
        record.sudo()._write({"state": "issued"})
        self.authenticate("parent", "parentxx")
        response = self.url_open(f"/my/hocba/{record.id}")
        self.assertEqual(response.status_code, 200)
        table = etree.HTML(response.text).xpath("//table[contains(@class, 'o_hocba_subjects')]")[0]
        width = len(table.xpath("./thead/tr/th"))
        rows = table.xpath("./tbody/tr")
        self.assertEqual(len(rows), 2)
        for row in rows:
            self.assertEqual(len(row.xpath("./td")), width)
        comment = rows[1].xpath("./td[contains(@class, 'o_hocba_comment')]")[0]
        self.assertEqual(comment.text.strip(), "Hoàn thành.")
        self.assertEqual(rows[1].xpath("./td")[-1], comment, "the comment in the last column")
        page = response.text
        self.assertIn("<strong>Completed</strong>", page)  # year result in words, not HT
        self.assertNotRegex(page, r">\s*HT\s*<")
        self.assertNotIn("T – ", page)
