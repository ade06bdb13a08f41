"""Corrupted and hostile files at every upload point of the addons.

Each upload point gets the files a careless or hostile user could give it: random bytes, a
file cut short, the wrong kind of file, XML with a DTD, external entities or XInclude, UTF-16,
zip bombs and path traversal. Each must be refused with a clear message in Vietnamese, and
nothing may be stored or replaced. The public verification page is attacked in
hocbaso_odoo/tests/test_portal.py (it shares its rate limit with those tests).
"""

import base64
import datetime as dt
import io
import random
import re
import zipfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from odoo.addons.hocbaso_odoo.wizards.hocbaso_transfer_import import MAX_ENTRIES

from .common import SignCase, pem

MB = 1024 * 1024
NOISE = random.Random(2024).randbytes(4096)
BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                  b"<HOC_BA>&lol2;</HOC_BA>")
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   b"<HOC_BA>&x;</HOC_BA>")
XINCLUDE = (b'<HOC_BA xmlns:xi="http://www.w3.org/2001/XInclude">'
            b'<xi:include href="file:///etc/passwd" parse="text"/></HOC_BA>')
UTF16 = '<?xml version="1.0" encoding="UTF-16"?><HOC_BA/>'.encode("utf-16")
SCRIPT_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'
HTML = b"<html><body><script>fetch('/web/session/destroy')</script></body></html>"
JUNK_PEM = b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"

# a Vietnamese letter, and none of the English words the untranslated messages use
VIETNAMESE = re.compile("[ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]",
                        re.IGNORECASE)
ENGLISH = re.compile(r"\b(the|is not|cannot|must|was issued|holds|refused|file)\b")


def _zip(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _crl(issuer_name, key):
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateRevocationListBuilder().issuer_name(issuer_name)
            .last_update(now - dt.timedelta(days=1)).next_update(now + dt.timedelta(days=7))
            .sign(key, hashes.SHA256()))


@tagged("post_install", "-at_install")
class TestHostileUploads(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("vi_VN")
        # a certificate not registered yet, so that only its files can be the reason to refuse
        cls.leaf = cls.pki.leaf("wrong_purpose")
        cls.gvcn_other_class.hocbaso_personal_id = cls.leaf.user_ref

    # --- helpers -----------------------------------------------------------------------------
    def as_clerk(self, model, user=None):
        """``model`` for the school admin (or ``user``), reading Vietnamese."""
        user = user or self.school_admin
        return self.env[model].with_user(user).with_company(user.company_id).with_context(
            lang="vi_VN")

    def assert_vietnamese(self, message):
        self.assertRegex(message, VIETNAMESE, "the clerk reads Vietnamese: " + message)
        self.assertNotRegex(message, ENGLISH, "an untranslated part: " + message)

    def refusal(self, action):
        """The message of the ValidationError or UserError ``action()`` raises, after checking
        it is Vietnamese; what ``action`` wrote is rolled back."""
        # ValidationError is a UserError; Odoo's assertRaises takes one class
        with self.assertRaises(UserError) as caught, self.env.cr.savepoint():
            action()
            self.env.flush_all()
        self.assertNotIsInstance(caught.exception, AccessError, "refused for its content")
        message = caught.exception.args[0]
        self.assert_vietnamese(message)
        return message

    # --- trusted certificate authorities ---------------------------------------------------------
    def test_trusted_ca_certificate(self):
        Ca = self.as_clerk("hocbaso.trusted.ca")
        count = Ca.search_count([])
        key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        hostile = {
            "random bytes": NOISE.hex(),
            "PEM armour around junk": JUNK_PEM.decode(),
            "PEM cut short": pem(self.pki.intermediate).decode()[:300],
            "a private key": key.decode(),
            "a revocation list": self.pki.crl.public_bytes(serialization.Encoding.PEM).decode(),
            "XML with entities": BILLION_LAUGHS.decode(),
        }
        for case, text in hostile.items():
            with self.subTest(case):
                message = self.refusal(lambda text=text: Ca.create(
                    {"name": "CA tai len", "pem": text, "company_id": self.school.id}))
                self.assertIn("CA tai len", message)
        with self.subTest("a signer's certificate, not an authority"):
            message = self.refusal(
                lambda: Ca.create(
                    {
                        "name": "CA tai len",
                        "company_id": self.school.id,
                        "pem": self.leaf.cert_pem.decode(),
                    }
                )
            )
            self.assertIn("CA tai len", message)
        self.assertEqual(Ca.search_count([]), count, "nothing stored")
        self.assertTrue(Ca.create({"name": "CA tai len", "company_id": self.school.id,
                                   "pem": pem(self.pki.other_root).decode()}))

    def test_revocation_list(self):
        ca = self.intermediate_ca.with_user(self.school_admin).with_context(lang="vi_VN")
        kept = ca.sudo().crl_file
        crl_der = self.pki.crl.public_bytes(serialization.Encoding.DER)
        hostile = {
            "random bytes": NOISE,
            "cut short": crl_der[: len(crl_der) // 2],
            "a certificate instead": pem(self.pki.intermediate),
            "PEM armour around junk": JUNK_PEM.replace(b"CERTIFICATE", b"X509 CRL"),
            "another authority's list": _crl(self.pki.other_root.subject,
                                             self.pki.other_root_key).public_bytes(
                serialization.Encoding.DER),
            "this authority's name, another's signature": _crl(
                self.pki.intermediate.subject, self.pki.other_root_key).public_bytes(
                serialization.Encoding.DER),
            "XML with entities": EXTERNAL_ENTITY,
        }
        for case, data in hostile.items():
            with self.subTest(case):
                message = self.refusal(lambda data=data: ca.write(
                    {"crl_file": base64.b64encode(data), "crl_filename": "ca.crl"}))
                self.assertIn("CRL", message)
        self.assertEqual(ca.sudo().crl_file, kept, "the list in use is kept")
        ca.write({"crl_file": base64.b64encode(crl_der)})  # its own list, as DER, is taken
        self.assertEqual(self.certs[self.gvcn].status, "valid")

    # --- signing certificates --------------------------------------------------------------------
    def _register(self, certificate_file, p12_file):
        return self.as_clerk("hocbaso.signing.certificate").create({
            "company_id": self.school.id, "user_id": self.gvcn_other_class.id, "kind": "personal",
            "certificate_file": base64.b64encode(certificate_file), "certificate_filename": "c.cer",
            "backend": "pkcs12", "p12_file": base64.b64encode(p12_file), "p12_filename": "c.p12"})

    def test_signing_certificate_file(self):
        Certificate = self.env["hocbaso.signing.certificate"]
        count = Certificate.search_count([])
        hostile = {
            "random bytes": NOISE,
            "PEM cut short": self.leaf.cert_pem[:300],
            "PEM armour around junk": JUNK_PEM,
            "the .p12 file instead": self.leaf.p12,
            "XML with entities": BILLION_LAUGHS,
            "an SVG with a script": SCRIPT_SVG,
        }
        for case, data in hostile.items():
            with self.subTest(case):
                self.refusal(lambda data=data: self._register(data, self.leaf.p12))
        self.assertEqual(Certificate.search_count([]), count, "nothing stored")

    def test_pkcs12_file(self):
        Certificate = self.env["hocbaso.signing.certificate"]
        count = Certificate.search_count([])
        p12 = self.leaf.p12
        hostile = {
            "random bytes": NOISE,
            "cut short": p12[: len(p12) // 2],
            "one byte missing": p12[:-1],
            "the certificate instead (PEM)": self.leaf.cert_pem,
            "the certificate instead (DER)": self.leaf.certificate.public_bytes(
                serialization.Encoding.DER),
            "a zip": _zip([("c.p12", p12)]),
            "an SVG with a script": SCRIPT_SVG,
        }
        messages = {}
        for case, data in hostile.items():
            with self.subTest(case):
                messages[case] = self.refusal(lambda data=data: self._register(
                    self.leaf.cert_pem, data))
        self.assertIn(str(len(p12)), messages["cut short"], "says how large it should be")
        self.assertEqual(Certificate.search_count([]), count, "nothing stored")
        self.assertTrue(self._register(self.leaf.cert_pem, p12), "the right files are taken")
        # the certificate in use keeps its file, and still signs
        registered = self.certs[self.gvcn].with_user(self.school_admin).with_context(lang="vi_VN")
        kept = registered.sudo().p12_file
        in_use = self.pki.leaf("gvcn").p12
        self.refusal(lambda: registered.write({"p12_file": base64.b64encode(in_use[:-1])}))
        self.assertEqual(registered.sudo().p12_file, kept)
        self.lock(self.record)
        self.sign_to(self.record, "gvcn")
        self.assertEqual(self.record.state, "gvcn_signed")

    # --- records received from another school ----------------------------------------------------
    def _import(self, data, filename):
        wizard = self.as_clerk("hocbaso.transfer.import").create(
            {"upload": base64.b64encode(data), "upload_filename": filename})
        wizard.action_import()
        return wizard

    def test_transfer_import(self):
        self.lock(self.record)
        record_xml = self.record._get_xml()
        self.sign_to(self.record, "gvbm")
        signed = self.record._get_xml()
        tampered = signed.replace(b">7.5<", b">9.5<", 1)  # one mathematics score
        self.assertNotEqual(tampered, signed)
        spaces = b"<HOC_BA>" + b" " * (30 * MB) + b"</HOC_BA>"
        hostile = {
            "XML with a billion laughs": (BILLION_LAUGHS, "hocba.xml"),
            "XML with an external entity": (EXTERNAL_ENTITY, "hocba.xml"),
            "XML with XInclude": (XINCLUDE, "hocba.xml"),
            "XML in UTF-16": (UTF16, "hocba.xml"),
            "random bytes": (NOISE, "hocba.xml"),
            "a record cut short": (record_xml[: len(record_xml) // 2], "hocba.xml"),
            "a record without signatures": (record_xml, "hocba.xml"),
            "a signed record with a changed score": (tampered, "hocba.xml"),
            "a zip header then junk": (b"PK\x03\x04" + NOISE, "goi.zip"),
            "XML over 5 MB": (b"<HOC_BA>" + b" " * (6 * MB) + b"</HOC_BA>", "hocba.xml"),
            "a zip bomb (30 MB in 30 KB)": (_zip([("hocba.xml", spaces)]), "goi.zip"),
            "path traversal": (_zip([("../../../../tmp/hocba.xml", record_xml)]), "goi.zip"),
            "an empty zip": (_zip([]), "goi.zip"),
            "too many files": (_zip([("f%d.txt" % i, b"") for i in range(MAX_ENTRIES + 1)],
                                    zipfile.ZIP_STORED), "goi.zip"),
            "a bundle of hostile packages": (_zip([
                ("p%d.zip" % i, _zip([("hocba.xml", EXTERNAL_ENTITY)])) for i in range(20)]),
                "chuyen_truong.zip"),
        }
        Transfer, Student = self.env["hocbaso.record.transfer"], self.env["hocbaso.student"]
        students = Student.search_count([])
        messages = {}
        for case, (data, filename) in hostile.items():
            with self.subTest(case):
                wizard = self._import(data, filename)
                self.assertTrue(wizard.result_ids)
                self.assertEqual(set(wizard.result_ids.mapped("status")), {"refused"})
                self.assertEqual(wizard.imported_count, 0)
                for message in wizard.result_ids.mapped("message"):
                    self.assertTrue(message)
                    self.assert_vietnamese(message)
                messages[case] = wizard.result_ids[0].message
        # the verifier's own reasons, with the roles' labels, in Vietnamese too
        self.assertIn("Kết quả của môn học do giáo viên này ký đã bị thay đổi sau khi ký",
                      messages["a signed record with a changed score"])
        self.assertIn("Giáo viên bộ môn – Toán",  # the role in words (the shared row labels)
                      messages["a signed record with a changed score"])
        self.assertIn("Học bạ không có chữ ký số nào", messages["a record without signatures"])
        with self.subTest("a bundle expanding beyond 200 MB"):
            # packages stored uncompressed inside, the bundle compressed: 240 MB in ~250 KB
            stored = _zip([("hocba.xml", b" " * (15 * MB))], zipfile.ZIP_STORED)
            bundle = _zip([("p%02d.zip" % i, stored) for i in range(16)])
            self.assertLess(len(bundle), MB)
            wizard = self._import(bundle, "chuyen_truong.zip")
            self.assertEqual(len(wizard.result_ids), 16)
            self.assertEqual(set(wizard.result_ids.mapped("status")), {"refused"})
            unread = wizard.result_ids.filtered(lambda r: "200 MB" in r.message)
            self.assertEqual(unread.mapped("filename"), ["p14.zip", "p15.zip"])
            for message in wizard.result_ids.mapped("message"):
                self.assert_vietnamese(message)
        self.assertFalse(Transfer.search([]), "nothing stored")
        self.assertFalse(self.env["ir.attachment"].search_count(
            [("res_model", "=", "hocbaso.record.transfer")]))
        self.assertEqual(Student.search_count([]), students)

    # --- the scan kept with a paper extract ------------------------------------------------------
    def test_paper_scan(self):
        record = self.record.with_user(self.school_admin).with_context(lang="vi_VN")
        scan = b"%PDF-1.4 scanned paper record"
        record.write({"is_extract": True, "paper_scan": base64.b64encode(scan),
                      "paper_scan_filename": "hocba_giay.pdf"})
        for image in (b"\xff\xd8\xff\xe0 jpeg", b"\x89PNG\r\n\x1a\n png", b"II*\x00 tiff"):
            record.write({"paper_scan": base64.b64encode(image)})
        record.write({"paper_scan": base64.b64encode(scan)})
        hostile = {
            "an SVG with a script": SCRIPT_SVG,
            "an HTML page": HTML,
            "a program": b"MZ\x90\x00\x03\x00\x00\x00" + NOISE,
            "random bytes": NOISE,
            "a PDF over 20 MB": b"%PDF-1.4" + b"\x00" * (20 * MB),
        }
        for case, data in hostile.items():
            with self.subTest(case):
                self.refusal(lambda data=data: record.write(
                    {"paper_scan": base64.b64encode(data), "paper_scan_filename": "quet.pdf"}))
        self.assertEqual(base64.b64decode(record.paper_scan), scan, "the scan is kept")
        self.assertEqual(record.paper_scan_filename, "hocba_giay.pdf")
