"""The record as documents: the PDF học bạ (real wkhtmltopdf), the record package, the batch
export of a class and the verification code printed with the QR code."""

import base64
import hashlib
import io
import json
import re
import zipfile

from cryptography import x509

from odoo.exceptions import UserError
from odoo.tests import tagged

from hocbaso import verify as hb_verify

from .common import HocbasoCase
from .test_transfer import issue_two

REPORT = "hocbaso_odoo.report_hocbaso_record"


@tagged("post_install", "-at_install")
class TestDocuments(HocbasoCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        issue_two(cls)
        # a primary (TT27) class and record, left as a draft
        env, ref = cls.env, cls.env.ref
        cls.primary_class = env["hocbaso.class"].create({
            "name": "3A", "company_id": cls.school.id, "school_year_id": cls.year.id,
            "grade_id": ref("hocbaso_odoo.grade_03").id, "homeroom_teacher_id": cls.gvcn.id,
        })
        env["hocbaso.teaching.assignment"].create([
            {"class_id": cls.primary_class.id, "subject_id": ref("hocbaso_odoo.subject_02_tv").id,
             "teacher_id": cls.gvbm_lit.id},
            {"class_id": cls.primary_class.id, "subject_id": ref("hocbaso_odoo.subject_02_toan").id,
             "teacher_id": cls.gvbm_math.id},
        ])
        cls.pupil = env["hocbaso.student"].create(
            {
                "name": "Phạm Thu Hà",
                "personal_id": "001316000004",
                "sex": "2",
                "birth_date": "2016-03-15",
                "company_id": cls.school.id,
                "class_id": cls.primary_class.id,
                "student_code": "HS0004",
                "birth_place": "Hà Nội",
                "father_name": "Phạm Văn Long",
                "mother_name": "Đỗ Thị Lan",
            }
        )
        cls.primary = cls.primary_class._generate_records()
        for line in cls.primary.line_ids:
            line.write({"level": "T", "test_score": "9", "comment": "Tiến bộ rõ rệt"})
        cls.primary.write({
            "leader_id": cls.principal.id, "leader_title": "Hiệu trưởng", "year_level": "HTT",
            "award": "Học sinh xuất sắc", "completion_text": "Hoàn thành chương trình lớp học",
            "completed_class": True, "promoted": True, "absent_excused": 2, "absent_unexcused": 1,
            "height_cm": "132", "weight_kg": "29", "quality_comment": "Ngoan, lễ phép",
            "general_competency_comment": "Tự giác học tập",
            "homeroom_comment": "Em chăm học, hòa đồng với bạn bè.",
            **{name: "T" for name in ("nangluctuhoc", "nanglucgiaotiep", "nanglucgiaiquyet",
                                      "nanglucngonngu", "nangluctinhtoan", "nangluckhoahoc",
                                      "nangluccongnghe", "nangluctinhoc", "nanglucthammi",
                                      "nanglucthechat", "phamchatyeunuoc", "phamchatnhanai",
                                      "phamchatchamchi", "phamchattrungthuc",
                                      "phamchattrachnhiem")},
        })

    def _html(self, record):
        html, kind = self.env["ir.actions.report"]._render_qweb_html(REPORT, record.ids)
        self.assertEqual(kind, "html")
        return html.decode() if isinstance(html, bytes) else str(html)

    def _pdf(self, record):
        # no force_report_rendering: the học bạ is a real PDF even while tests run
        pdf, kind = self.env["ir.actions.report"]._render_qweb_pdf(REPORT, record.ids)
        self.assertEqual(kind, "pdf")
        return pdf

    # --- PDF ------------------------------------------------------------------------------
    def test_secondary_pdf(self):
        self.assertTrue(self._pdf(self.record).startswith(b"%PDF"))
        html = self._html(self.record)
        for label in ("HỌC BẠ – TRUNG HỌC CƠ SỞ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                      "Học kì I", "HK II", "Kết quả rèn luyện", "Kết quả học tập",
                      "Tổng số buổi nghỉ học", "Nhận xét của giáo viên chủ nhiệm",
                      "Sở Giáo dục và Đào tạo Hà Nội".upper(), "Chăm ngoan, học tốt.", "Toán"):
            self.assertIn(label, html)
        self.assertIn("NGUYỄN VĂN AN", html)
        # scores as the Vietnamese form writes them (the record file keeps 8.5)
        self.assertIn(">8,5<", html)
        self.assertNotIn(">8.5<", html)
        # signers: names and signing times read from the signatures in the stored XML
        self.assertIn("Đã ký số", html)
        self.assertIn("principal", html)
        self.assertRegex(html, r"Thời gian ký: \d\d/\d\d/\d{4} \d\d:\d\d")
        self.assertIn("đã ký số phát hành", html)
        self.assertNotIn("(Chưa ký)", html)
        # the QR code (a PNG data URI) and the verification link with version and code
        self.assertRegex(html, r'<img alt="QR" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"')
        code = self.record._verification_code()
        self.assertIn(f"/hocbaso/verify/{self.record.record_uuid}?v=1&amp;c={code}", html)
        self.assertNotIn('class="hb-watermark"', html)

    def test_qr_code_is_the_standard_one(self):
        """The printed QR code holds the verification URL as the QR standard encodes it:
        module for module one of the eight masked symbols reportlab's encoder (an independent
        implementation, Odoo's barcode widget) makes for it at the same level.

        The standard lets an encoder switch modes inside a text: the qrcode library writes a
        run such as "5220-0036-4601-9277-" of a random record ID in alphanumeric mode, where
        reportlab writes bytes only (about 1 URL in 300 then gives two valid, different
        symbols). reportlab is given the same segments, and builds the symbol itself."""
        import qrcode
        from PIL import Image
        from reportlab.graphics.barcode import qrencoder
        from reportlab.graphics.barcode.qr import QrCodeWidget

        url = self.record._verification_url()
        src = self.record._report_qr_src()
        png = base64.b64decode(src.removeprefix("data:image/png;base64,"))
        image = Image.open(io.BytesIO(png)).convert("L")
        segments = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L)
        segments.add_data(url)
        modes = {qrcode.util.MODE_NUMBER: qrencoder.QRNumber,
                 qrcode.util.MODE_ALPHA_NUM: qrencoder.QRAlphaNum,
                 qrcode.util.MODE_8BIT_BYTE: qrencoder.QR8bitByte}
        reference = QrCodeWidget(url, barLevel="L").qr
        reference.dataList = [modes[chunk.mode](chunk.data.decode("ascii"))
                              for chunk in segments.data_list]
        reference.dataCache, reference.version = None, None
        reference.make()
        modules = reference.getModuleCount()
        scale, rest = divmod(image.width, modules)
        self.assertEqual((rest, image.height, image.width >= 216), (0, image.width, True))
        printed = [[image.getpixel((col * scale + scale // 2, row * scale + scale // 2)) < 128
                    for col in range(modules)] for row in range(modules)]
        symbols = []
        for mask in range(8):
            reference.makeImpl(False, mask)
            symbols.append([[bool(reference.isDark(row, col)) for col in range(modules)]
                            for row in range(modules)])
        self.assertIn(printed, symbols)

    def test_several_records_print_into_one_pdf(self):
        """Printing a selection gives one PDF with every record, each from a new page."""
        from odoo.tools.pdf import PdfFileReader

        alone = [len(PdfFileReader(io.BytesIO(self._pdf(r))).pages)
                 for r in (self.record, self.primary)]
        both = self._pdf(self.record | self.primary)
        self.assertTrue(both.startswith(b"%PDF"))
        self.assertEqual(len(PdfFileReader(io.BytesIO(both)).pages), sum(alone))

    def test_primary_pdf(self):
        self.assertEqual(self.primary.circular, "TT27")
        self.assertTrue(self._pdf(self.primary).startswith(b"%PDF"))
        html = self._html(self.primary)
        for label in (
            "HỌC BẠ – TIỂU HỌC",
            "Mức đạt được",
            "Điểm KTĐK",
            "Nhận xét",
            "Những phẩm chất chủ yếu",
            "Năng lực chung",
            "Năng lực đặc thù",
            "Yêu nước",
            "Trách nhiệm",
            "Tự chủ và tự học",
            "Hoàn thành tốt",
            "Học sinh xuất sắc",
            "Hoàn thành chương trình lớp học",
            "Chiều cao",
            "Tiếng Việt",
            "Ngoan, lễ phép",
            "Giáo viên chủ nhiệm",
        ):
            self.assertIn(label, html)
        self.assertIn("PHẠM THU HÀ", html)
        self.assertIn("15/03/2016", html)
        self.assertIn("data:image/png;base64,", html)
        self.assertIn("(Chưa ký)", html)  # a draft: nobody has signed
        self.assertNotIn("TRÍCH LỤC", html)

    def test_extract_and_revoked_marks(self):
        self.primary.is_extract = True
        self.assertIn("TRÍCH LỤC", self._html(self.primary))
        self.record2.with_user(self.issuer)._revoke("Sai điểm môn Toán")
        html = self._html(self.record2)
        self.assertIn('class="hb-watermark"', html)
        self.assertIn("REVOKED", html)
        self.assertIn("ĐÃ THU HỒI", html)

    def test_print_action(self):
        action = self.record.with_user(self.gvcn).action_print_hocba()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "hocbaso_odoo.report_hocbaso_record_template")
        arch = self.env["hocbaso.record"].get_view(view_type="form")["arch"]
        for button in ("action_print_hocba", "action_download_xml", "action_download_package"):
            self.assertIn(button, arch)
        self.assertIn("hocbaso.record.export", str(
            self.env["hocbaso.class"].get_view(view_type="form")["arch"]) + str(
            self.env.ref("hocbaso_odoo.hocbaso_record_export_action").res_model))

    # --- package --------------------------------------------------------------------------
    def _check_package(self, data, record):
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        self.assertEqual(manifest["format"], "hocbaso-package-1.0")
        self.assertEqual(manifest["record"]["record_uuid"], record.record_uuid)
        self.assertEqual(manifest["record"]["version"], record.version)
        self.assertEqual(manifest["record"]["id"], record.id)
        self.assertEqual(manifest["record"]["student"]["name"], record.student_id.name)
        self.assertEqual(manifest["record"]["school"]["name"], record.company_id.name)
        self.assertEqual(manifest["record"]["school_year"], "2024-2025")
        listed = {entry["name"]: entry for entry in manifest["files"]}
        self.assertEqual(set(listed) | {"manifest.json"}, set(names))
        for name, entry in listed.items():
            content = archive.read(name)
            self.assertEqual(entry["sha256"], hashlib.sha256(content).hexdigest(), name)
            self.assertEqual(entry["size"], len(content), name)
        xml_name = next(n for n in names if n.endswith(".xml"))
        self.assertNotIn("/", xml_name)
        self.assertEqual(archive.read(xml_name), record._get_xml())
        pdf_name = next(n for n in names if n.endswith(".pdf"))
        self.assertTrue(archive.read(pdf_name).startswith(b"%PDF"))
        return archive, manifest

    def test_package_contents(self):
        data = self.record._build_package()
        archive, manifest = self._check_package(data, self.record)
        certs = [n for n in archive.namelist() if n.endswith(".cer")]
        # GVBM math, GVBM literature (two subjects, one certificate), GVCN, leader, school
        self.assertEqual(len(certs), 5)
        subjects = set()
        for name in certs:
            cert = x509.load_der_x509_certificate(archive.read(name))
            subjects.add(cert.subject.rfc4514_string())
        self.assertEqual(len(subjects), 5)
        roles = {entry.get("role") for entry in manifest["files"] if entry["type"] == "certificate"}
        self.assertEqual(roles, {"gvbm", "gvcn", "cbql", "phathanh"})
        # any verifier finds the signed XML in the package and checks it against the trust list
        report = hb_verify.verify_package(data, [self.pki.root], [self.pki.intermediate])
        self.assertTrue(report.valid, report.to_dict())

    def test_download_package_action(self):
        action = self.record.with_user(self.gvcn).action_download_package()
        self.assertEqual(action["type"], "ir.actions.act_url")
        attachment_id = int(re.search(r"/web/content/(\d+)", action["url"]).group(1))
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self._check_package(attachment.raw, self.record)
        log = self.env["hocbaso.access.log"].search([("record_id", "=", self.record.id),
                                                     ("action", "=", "download_package")])
        self.assertEqual(log.user_id, self.gvcn)
        with self.assertRaisesRegex(UserError, "no document yet"):
            self.primary._build_package()

    # --- batch export: test_export_job.py (the export runs in the background) ------------

    # --- verification code ----------------------------------------------------------------
    def test_verification_code(self):
        code = self.record._verification_code()
        self.assertRegex(code, r"^[0-9a-f]{10}$")
        self.assertEqual(code, self.record._verification_code())
        self.assertTrue(self.record._hocbaso_check_code(code.upper()))
        self.assertFalse(self.record._hocbaso_check_code("0000000000"))
        self.assertNotEqual(code, self.record2._verification_code())
        correction = self.env["hocbaso.record"].browse(
            self.record.with_user(self.gvcn).action_create_correction()["res_id"])
        self.assertEqual(correction.record_uuid, self.record.record_uuid)
        self.assertEqual(correction.version, 2)
        self.assertNotEqual(correction._verification_code(), code)
        self.assertIn("?v=2&c=" + correction._verification_code(), correction._verification_url())
        # the database's secret is what makes codes unguessable: another secret, other codes
        self.env["ir.config_parameter"].sudo().set_param("database.secret", "x" * 64)
        self.assertNotEqual(self.record._verification_code(), code)
