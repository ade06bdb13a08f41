"""Portal for parents, public verification page, rate limit (real HTTP requests)."""

import io
import re
import time
import zipfile
from datetime import datetime

from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from .common import HocbasoCase
from .test_transfer import TestPki, make_issued, patch_trust


class PortalCase(HocbasoCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = TestPki()
        make_issued(cls, cls.record, cls.pki)
        cls.code = cls.record._verification_code()

    def setUp(self):
        super().setUp()
        patcher = patch_trust(self.env, self.pki)
        patcher.start()
        self.addCleanup(patcher.stop)


@tagged("post_install", "-at_install")
class TestPortal(PortalCase):

    def test_parent_lists_and_opens_the_childs_record(self):
        self.authenticate("parent", "parentxx")
        response = self.url_open("/my/hocba")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/my/hocba/{self.record.id}", response.text)
        self.assertIn("Nguyễn Văn An", response.text)
        # a draft record of the same child is not listed; another child's record neither
        other = self.records.filtered(lambda r: r.student_id == self.student2)
        self.assertNotIn(f"/my/hocba/{other.id}\"", response.text)

        response = self.url_open(f"/my/hocba/{self.record.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Mathematics", response.text)  # subjects
        self.assertIn("o_sig_valid", response.text)  # signatures checked against the trust list
        self.assertNotIn("o_sig_invalid", response.text)
        # dates as the reader's language writes them (this parent reads Odoo's English,
        # month first, as its own date fields do), times on the school's clock
        issued = self.record._report_issuance()["issue_date"]
        self.assertIn(issued.strftime("%m/%d/%Y"), response.text)
        self.assertNotIn(issued.isoformat(), response.text)
        self.assertNotIn("UTC", response.text)
        self.assertIn("<td>Good</td>", response.text, "results in words, not codes")
        self.assertNotIn("T – Good", response.text)
        self.assertIn(f"/my/hocba/{self.record.id}/package", response.text)
        # a whole date of birth as the page's language writes dates, like the issuance beside
        # it; a partial one as printed
        student = self.record.student_id
        student.birth_date = "2013-10-12"
        self.assertEqual(self.record.with_context(lang="en_US")._screen_birth_date(), "10/12/2013")
        self.assertIn("<strong>Date of birth:</strong> 10/12/2013",
                      self.url_open(f"/my/hocba/{self.record.id}").text)
        if self.env["res.lang"]._lang_get("vi_VN"):
            self.assertEqual(self.record.with_context(lang="vi_VN")._screen_birth_date(),
                             "12/10/2013")
        student.birth_date = "2013-09"
        self.assertEqual(self.record.with_context(lang="en_US")._screen_birth_date(), "09/2013")
        # the short code printed under the PDF's QR code first, the long ID beside it
        code = self.record._verification_code()
        self.assertEqual(len(code), 10)
        self.assertRegex(response.text, rf"o_hocbaso_portal_code.*<code>{code}</code>")
        self.assertLess(response.text.index(code), response.text.index(self.record.record_uuid))
        log = self.env["hocbaso.access.log"].search(
            [("record_id", "=", self.record.id), ("action", "=", "view")]
        )
        self.assertEqual(log.user_id, self.parent)

        package = self.url_open(f"/my/hocba/{self.record.id}/package")
        self.assertEqual(package.status_code, 200)
        self.assertEqual(package.content[:2], b"PK")
        xml = self.url_open(f"/my/hocba/{self.record.id}/xml")
        self.assertEqual(xml.content, self.record._get_xml())
        # one name for the files of a record, the school year written 2024-2025 in each
        stem = f"hocba_{self.student.personal_id}_{self.record.school_year_id.name}_v1"
        self.assertIn("-", self.record.school_year_id.name)
        self.assertIn(f"{stem}.zip", package.headers["Content-Disposition"])
        self.assertIn(f"{stem}.xml", xml.headers["Content-Disposition"])
        if self.record._hocbaso_pdf_report():
            pdf = self.url_open(f"/my/hocba/{self.record.id}/pdf")
            self.assertEqual(pdf.status_code, 200)
            self.assertEqual(pdf.content[:4], b"%PDF")
            self.assertIn(f"{stem}.pdf", pdf.headers["Content-Disposition"])
            report = self.env.ref("hocbaso_odoo.report_hocbaso_record")
            self.assertEqual(safe_eval(report.print_report_name, {"object": self.record}),
                             stem)
        else:
            self.assertNotIn("/pdf\"", response.text)
            self.assertEqual(self.url_open(f"/my/hocba/{self.record.id}/pdf").status_code, 404)

    def test_parent_reads_the_portal_in_own_language(self):
        # a school whose site speaks Vietnamese; the login page left its language in the cookie
        self.load_vietnamese()
        self.env["ir.default"].set("res.partner", "lang", "vi_VN")
        self.authenticate("parent", "parentxx")
        self.opener.cookies.set("frontend_lang", "vi_VN")
        self.parent.lang = "vi_VN"
        self.assertIn("<th>Năm học</th>", self.url_open("/my/hocba").text)
        self.parent.lang = "en_US"
        response = self.url_open("/my/hocba")
        self.assertEqual(response.status_code, 200)
        self.assertIn("<th>School Year</th>", response.text)
        self.assertNotIn("Năm học", response.text)
        self.opener.cookies.set("frontend_lang", "vi_VN")
        response = self.url_open(f"/my/hocba/{self.record.id}")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.url.endswith(f"/en/my/hocba/{self.record.id}"), response.url)
        self.assertIn("Mathematics", response.text)
        self.assertNotIn("Năm học", response.text)
        # results as she reads them: her decimal separator, a code in words
        self.assertIn('<td class="text-end">7.5</td>', response.text)
        self.assertIn('<td class="text-end">Passed</td>', response.text)
        self.assertNotIn('<td class="text-end">Đ</td>', response.text)
        self.parent.lang = "vi_VN"
        response = self.url_open(f"/my/hocba/{self.record.id}")
        self.assertIn('<td class="text-end">7,5</td>', response.text)
        self.assertIn('<td class="text-end">Đạt</td>', response.text)
        self.assertNotIn('<td class="text-end">Đ</td>', response.text)

    def test_portal_home_counter(self):
        self.authenticate("parent", "parentxx")
        response = self.make_jsonrpc_request("/my/counters", {"counters": ["hocba_count"]})
        self.assertEqual(response["hocba_count"], 1)
        self.assertIn("/my/hocba", self.url_open("/my/home").text)

    def test_other_parent_cannot_open_it(self):
        self.authenticate("other_parent", "other_parent")
        listing = self.url_open("/my/hocba")
        self.assertNotIn(f"/my/hocba/{self.record.id}", listing.text)
        for suffix in ("", "/pdf", "/package", "/xml"):
            response = self.url_open(f"/my/hocba/{self.record.id}{suffix}")
            self.assertIn(response.status_code, (403, 404), suffix)
        self.assertEqual(self.url_open("/my/hocba/999999").status_code, 404)

    def test_draft_record_of_own_child_hidden(self):
        draft = self.records.filtered(lambda r: r.student_id == self.student2)
        self.student2.guardian_user_ids = [(4, self.parent.id)]
        self.authenticate("parent", "parentxx")
        self.assertEqual(self.url_open(f"/my/hocba/{draft.id}").status_code, 404)

    def test_anonymous_redirected_to_login(self):
        response = self.url_open(f"/my/hocba/{self.record.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])


@tagged("post_install", "-at_install")
class TestPublicVerify(PortalCase):

    def _verify(self, code=None, version=None):
        url = f"/hocbaso/verify/{self.record.record_uuid}?v={version or self.record.version}"
        if code is not None:
            url += f"&c={code}"
        return self.url_open(url)

    def test_right_code_shows_full_name(self):
        response = self._verify(self.code)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Nguyễn Văn An", response.text)
        self.assertIn("6A1", response.text)
        self.assertIn("Đã phát hành", response.text)
        self.assertIn(self.school.name, response.text)
        self.assertIn("2024-2025", response.text)
        self.assertIn("Hợp lệ", response.text)
        self.assertIn(self.gvcn.name, response.text)  # who signed
        log = self.env["hocbaso.access.log"].search(
            [("record_id", "=", self.record.id), ("action", "=", "verify")]
        )
        self.assertTrue(log.is_public)
        self.assertTrue(log.ip_hash)

    def test_wrong_or_missing_code_minimal_info(self):
        for code in ("WRONG123", None):
            response = self._verify(code)
            self.assertEqual(response.status_code, 200)
            self.assertNotIn("Nguyễn Văn An", response.text)
            self.assertIn("N. V. A.", response.text)
            self.assertIn("2013", response.text)  # birth year only
            self.assertNotIn("6A1", response.text)
            self.assertNotIn("001213000001", response.text)

    def test_lookup_form_and_states(self):
        form = self.url_open("/hocbaso/verify")
        self.assertEqual(form.status_code, 200)
        self.assertIn("Xác thực học bạ số", form.text)
        response = self.url_open(
            f"/hocbaso/verify?record_id={self.record.record_uuid}&code={self.code}"
        )
        self.assertIn("Nguyễn Văn An", response.text)
        self.record.sudo()._write({"state": "revoked"})
        self.assertIn("Đã thu hồi", self._verify().text)
        self.assertEqual(
            self.url_open("/hocbaso/verify/00000000-0000-0000-0000-000000000000").status_code, 404
        )
        draft = self.records.filtered(lambda r: r.student_id == self.student2)
        self.assertEqual(self.url_open(f"/hocbaso/verify/{draft.record_uuid}").status_code, 404)

    def _upload(self, data, name="hocba.xml"):
        return self.url_open("/hocbaso/verify/upload", files={"file": (name, data)})

    def test_upload_valid_and_tampered(self):
        xml = self.record._get_xml()
        response = self._upload(xml)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_hocbaso_upload_valid", response.text)
        tampered = re.sub(rb">7\.5<", b">9.5<", xml, count=1)
        self.assertNotEqual(tampered, xml)
        response = self._upload(tampered)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_hocbaso_upload_invalid", response.text)
        self.assertNotIn("o_hocbaso_upload_valid", response.text)

    def test_upload_of_what_is_no_record_says_what_to_upload(self):
        """A spreadsheet, another XML, a photo: "not a học bạ" and what to upload instead,
        never "changed after signing" nor the XML's namespaces."""
        sheet = io.BytesIO()
        with zipfile.ZipFile(sheet, "w") as archive:  # what an .xlsx holds
            archive.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats'
                             '.org/package/2006/content-types"/>')
            archive.writestr("xl/workbook.xml", "<workbook/>")
        for name, data in (("diem.xlsx", sheet.getvalue()),
                           ("khac.xml", b'<?xml version="1.0"?><HoaDon xmlns="urn:x"/>'),
                           ("anh.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64),
                           ("ghichu.txt", "Học bạ của em".encode())):
            with self.subTest(name=name):
                response = self._upload(data, name)
                self.assertEqual(response.status_code, 200)
                self.assertIn("o_hocbaso_upload_not_record", response.text)
                self.assertIn(f"{name}: ", response.text)
                self.assertIn("(.zip)", response.text, "what to upload instead")
                self.assertNotIn("o_hocbaso_upload_invalid", response.text)
                self.assertNotIn("bị thay đổi", response.text)
                self.assertNotIn("schemas.openxmlformats", response.text)
                self.assertNotIn("urn:x", response.text)
        # a record's package still goes to the verifier
        response = self._upload(self.record._build_package(), "hocba.zip")
        self.assertIn("o_hocbaso_upload_valid", response.text)

    def test_upload_hostile_and_oversized(self):
        bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
                b"<HOC_BA>&lol;</HOC_BA>")
        response = self._upload(bomb)
        self.assertIn("o_hocbaso_upload_invalid", response.text)
        # the reason, in the page's Vietnamese (vi.po), not the library's English
        self.assertIn("Tệp XML có khai báo DOCTYPE", response.text)
        self.assertNotIn("The XML file contains a DOCTYPE", response.text)
        response = self._upload(b"x" * (5 * 1024 * 1024 + 10))
        self.assertEqual(response.status_code, 400)
        self.assertIn("5 MB", response.text)

    def test_rate_limit_429(self):
        # the limit counts per calendar minute: a burst that crosses into the next minute
        # starts a new count, so begin it with time to spare in the current one
        left = 60 - datetime.now().second
        if left < 15:
            time.sleep(left + 0.5)
        statuses = [self._verify().status_code for _i in range(20)]
        self.assertEqual(set(statuses), {200})
        response = self._verify()
        self.assertEqual(response.status_code, 429)
        self.assertIn("quá nhiều lần", response.text)
        self.assertEqual(self._upload(b"<x/>").status_code, 429)
