"""The record as documents: PDF helpers (signers, QR code, verification code) and the record
package (signed XML + PDF + signers' certificates + manifest.json, zipped)."""

import base64
import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import re
import secrets
import zipfile
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import qrcode
from cryptography import x509
from cryptography.x509.oid import NameOID

from odoo import _, fields, models
from odoo.exceptions import UserError

from hocbaso import subjects as hb_subjects
from hocbaso.errors import HocbasoError
from hocbaso.safexml import parse_untrusted

_logger = logging.getLogger(__name__)

PACKAGE_FORMAT = "hocbaso-package-1.0"
REPORT_NAME = "hocbaso_odoo.report_hocbaso_record_template"
STANDALONE_TEMPLATE = "hocbaso_odoo.report_hocbaso_record_standalone"
SECRET_PARAM = "hocbaso.verification_secret"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Roles of the signature slots (same strings as hocbaso.signing.xmldsig, read tolerantly).
ROLE_GVBM, ROLE_GVCN, ROLE_CBQL, ROLE_ISSUER = "gvbm", "gvcn", "cbql", "phathanh"
ROLE_ORDER = {ROLE_GVBM: 0, ROLE_GVCN: 1, ROLE_CBQL: 2, ROLE_ISSUER: 3}

# What is printed on the record: the document is Vietnamese by law.
VI_SUBJECT_LEVEL = {"T": "Hoàn thành tốt", "H": "Hoàn thành", "C": "Chưa hoàn thành", "M": "Miễn"}
VI_RATING = {"T": "Tốt", "Đ": "Đạt", "C": "Cần cố gắng"}
VI_YEAR_LEVEL = {"HTXS": "Hoàn thành xuất sắc", "HTT": "Hoàn thành tốt", "HT": "Hoàn thành",
                 "CHT": "Chưa hoàn thành"}
VI_RESULT = {"T": "Tốt", "K": "Khá", "Đ": "Đạt", "CĐ": "Chưa đạt"}
VI_GENERAL_COMPETENCIES = [("nangluctuhoc", "Tự chủ và tự học"),
                           ("nanglucgiaotiep", "Giao tiếp và hợp tác"),
                           ("nanglucgiaiquyet", "Giải quyết vấn đề và sáng tạo")]
VI_SPECIFIC_COMPETENCIES = [("nanglucngonngu", "Ngôn ngữ"), ("nangluctinhtoan", "Tính toán"),
                            ("nangluckhoahoc", "Khoa học"), ("nangluccongnghe", "Công nghệ"),
                            ("nangluctinhoc", "Tin học"), ("nanglucthammi", "Thẩm mĩ"),
                            ("nanglucthechat", "Thể chất")]
VI_QUALITIES = [("phamchatyeunuoc", "Yêu nước"), ("phamchatnhanai", "Nhân ái"),
                ("phamchatchamchi", "Chăm chỉ"), ("phamchattrungthuc", "Trung thực"),
                ("phamchattrachnhiem", "Trách nhiệm")]
VI_LEVEL_TITLE = {"02": "TIỂU HỌC", "03": "TRUNG HỌC CƠ SỞ", "04": "TRUNG HỌC PHỔ THÔNG",
                  "05": "GIÁO DỤC THƯỜNG XUYÊN"}
VI_SEX = {"1": "Nam", "2": "Nữ"}
VI_ID_DOCUMENT = {"HO_CHIEU": "Hộ chiếu", "GIAY_KHAI_SINH": "Giấy khai sinh",
                  "KHAC": "Giấy tờ tùy thân"}


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text or "").strip("_") or "file"


def _role_of_signature_id(sig_id):
    """(role, subject code) from a ds:Signature Id: sig-gvbm-<code>, sig-gvcn, sig-cbql, ..."""
    sig_id = sig_id or ""
    if sig_id.startswith("sig-gvbm-"):
        return ROLE_GVBM, sig_id[len("sig-gvbm-"):]
    for role in (ROLE_GVCN, ROLE_CBQL, ROLE_ISSUER):
        if sig_id == f"sig-{role}":
            return role, ""
    return "", ""


def _common_name(certificate):
    try:
        names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return names[0].value if names else certificate.subject.rfc4514_string()
    except (ValueError, AttributeError):
        return ""


def _parse_time(text):
    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment


def xml_signatures(xml_bytes):
    """The signatures of a record XML, read tolerantly: a list of dicts with role, subject_code,
    signature_id, certificate (DER bytes or None), signer_name and signing_time (aware datetime
    or None). An unreadable document gives an empty list (the PDF still prints)."""
    if not xml_bytes:
        return []
    try:
        root = parse_untrusted(xml_bytes)
    except (HocbasoError, ValueError) as err:
        _logger.warning("Record XML unreadable for its signatures: %s", err)
        return []
    found = []
    for signature in root.iter(f"{{{DS_NS}}}Signature"):
        role, subject_code = _role_of_signature_id(signature.get("Id"))
        der, name = None, ""
        cert_el = next(signature.iter(f"{{{DS_NS}}}X509Certificate"), None)
        if cert_el is not None and (cert_el.text or "").strip():
            try:
                der = base64.b64decode("".join(cert_el.text.split()))
                name = _common_name(x509.load_der_x509_certificate(der))
            except (ValueError, TypeError):
                der = der or None
        time_el = next(signature.iter(f"{{{XADES_NS}}}SigningTime"), None)
        found.append({
            "role": role, "subject_code": subject_code, "signature_id": signature.get("Id") or "",
            "certificate": der, "signer_name": name,
            "signing_time": _parse_time(time_el.text if time_el is not None else ""),
        })
    return found


def qr_data_uri(value):
    """A PNG QR code as a data: URI (wkhtmltopdf needs no network access to show it)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    code.add_data(value)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    # --- verification code and URL ---------------------------------------------------------
    def _verification_secret(self):
        params = self.env["ir.config_parameter"].sudo()
        secret = params.get_param(SECRET_PARAM)
        if not secret:
            secret = secrets.token_hex(32)
            params.set_param(SECRET_PARAM, secret)
        return secret

    def _verification_code(self):
        """Short code printed with the QR code: who has it may see the record's full identity
        on the public verification page. Stable per (record, version), secret per database."""
        self.ensure_one()
        message = f"{self.record_uuid}:{self.version}".encode()
        digest = hmac.new(self._verification_secret().encode(), message, hashlib.sha256)
        return digest.hexdigest()[:10]

    def _verification_url(self):
        self.ensure_one()
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        query = urlencode({"v": self.version, "c": self._verification_code()})
        return f"{base}/hocbaso/verify/{self.record_uuid}?{query}"

    def _report_qr_data_uri(self):
        self.ensure_one()
        return qr_data_uri(self._verification_url())

    # --- what the PDF prints -----------------------------------------------------------------
    def _report_level_title(self):
        self.ensure_one()
        return VI_LEVEL_TITLE.get(self.level_id.code or "", "TRUNG HỌC CƠ SỞ")

    def _report_subject_name(self, line):
        """The Vietnamese subject name: the vi_VN translation when installed, else the
        catalogue's Vietnamese name, else the stored name."""
        if self.env["res.lang"]._lang_get("vi_VN"):
            return line.subject_id.with_context(lang="vi_VN").name
        found = hb_subjects.subject(self.level_id.code or "", self.grade_id.number or 0,
                                    line.subject_id.code or "")
        return found.name_vi if found else line.subject_id.name

    def _report_birth_date(self):
        """2013-09-01 -> 01/09/2013; partial dates (2013-09, 2013) keep what is known."""
        self.ensure_one()
        return "/".join(reversed((self.student_id.birth_date or "").split("-")))

    def _report_labels(self):
        return {"subject_level": VI_SUBJECT_LEVEL, "rating": VI_RATING, "year_level": VI_YEAR_LEVEL,
                "result": VI_RESULT, "general": VI_GENERAL_COMPETENCIES,
                "specific": VI_SPECIFIC_COMPETENCIES, "qualities": VI_QUALITIES, "sex": VI_SEX,
                "id_document": VI_ID_DOCUMENT}

    @staticmethod
    def _format_vn_time(moment):
        if not moment:
            return ""
        if isinstance(moment, dt.datetime):
            if moment.tzinfo is None:  # Odoo datetimes are naive UTC
                moment = moment.replace(tzinfo=dt.timezone.utc)
            return moment.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")
        return moment.strftime("%d/%m/%Y")

    def _report_date_line(self):
        """'Hà Nội, ngày 20 tháng 5 năm 2025' as written above the signatures."""
        self.ensure_one()
        place = self.issue_place or self.company_id.hocbaso_province_name or ""
        if not self.issue_date:
            return f"{place}, ngày ... tháng ... năm ......" if place else ""
        day = self.issue_date
        text = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
        return f"{place}, {text}" if place else text.capitalize()

    def _signature_log_entries(self):
        """Entries of the signing addon's log (hocbaso.record.signature) when it is installed,
        read tolerantly: its field names are not a contract of the core."""
        self.ensure_one()
        if "hocbaso.record.signature" not in self.env:
            return []
        Signature = self.env["hocbaso.record.signature"].sudo()
        fields_ = Signature._fields
        if "record_id" not in fields_:
            return []

        def first(entry, names):
            for name in names:
                if name in fields_ and entry[name]:
                    value = entry[name]
                    return value.name if isinstance(value, models.BaseModel) else value
            return False

        entries = []
        for entry in Signature.search([("record_id", "=", self.id)]):
            line = first(entry, ("line_id", "record_line_id"))
            subject = first(entry, ("subject_code",)) or ""
            if not subject and "line_id" in fields_ and entry.line_id:
                subject = entry.line_id.subject_id.code
            entries.append({
                "role": first(entry, ("role",)) or "",
                "subject_code": subject or (line if isinstance(line, str) else ""),
                "signer_name": first(entry, ("signer_name", "user_id", "signer_id")) or "",
                "title": first(entry, ("signer_title", "title")) or "",
                "signing_time": first(entry, ("signing_time", "signed_on", "signed_at",
                                              "date", "create_date")),
            })
        return entries

    def _report_signers(self):
        """Who signed (or is to sign) in each slot, with name, title and signing time:
        {'gvcn': {...}, 'cbql': {...}, 'phathanh': {...}, 'gvbm': {subject_code: {...}}}.
        The signing log first, then the signatures in the stored XML, then the record's fields."""
        self.ensure_one()
        signers = {
            ROLE_GVCN: {"name": self.homeroom_teacher_id.name or "", "title": "Giáo viên chủ nhiệm",
                        "time": "", "signed": False},
            ROLE_CBQL: {"name": self.leader_id.name or "",
                        "title": self.leader_title or self.leader_id.hocbaso_title or "Hiệu trưởng",
                        "time": "", "signed": False},
            ROLE_ISSUER: {"name": self.company_id.name, "title": "Đơn vị phát hành", "time": "",
                          "signed": False},
            ROLE_GVBM: {},
        }
        for line in self.line_ids:
            signers[ROLE_GVBM][line.subject_id.code] = {
                "name": line.teacher_id.name or "", "title": "Giáo viên bộ môn",
                "time": self._format_vn_time(line.gvbm_signed_date) if line.gvbm_signed else "",
                "signed": bool(line.gvbm_signed)}
        sources = self._signature_log_entries() or xml_signatures(self.sudo()._get_xml())
        for found in sources:
            role = found.get("role")
            if role == ROLE_GVBM:
                slot = signers[ROLE_GVBM].get(found.get("subject_code"))
            else:
                slot = signers.get(role)
            if slot is None:
                continue
            slot["signed"] = True
            if found.get("signer_name") and not slot["name"]:
                slot["name"] = found["signer_name"]
            if found.get("title") and role != ROLE_ISSUER:
                slot["title"] = found["title"]
            if found.get("signing_time"):
                slot["time"] = self._format_vn_time(found["signing_time"])
        return signers

    def _report_watermark(self):
        self.ensure_one()
        return {"revoked": ("ĐÃ THU HỒI", "REVOKED"),
                "superseded": ("ĐÃ THAY THẾ", "SUPERSEDED")}.get(self.state, ())

    def _report_filename(self):
        self.ensure_one()
        return self.sudo().xml_filename.rsplit(".", 1)[0]

    def _get_report_base_filename(self):
        """File name of the printed record (used by the portal's report download)."""
        self.ensure_one()
        return self._report_filename()

    # --- PDF and package ----------------------------------------------------------------------
    def _render_pdf(self):
        """The printed record as PDF bytes."""
        self.ensure_one()
        report = self.env.ref("hocbaso_odoo.report_hocbaso_record")
        pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(report, self.ids)
        return pdf

    def _package_certificates(self, xml_bytes):
        """(filename, DER bytes, signature) per distinct signer certificate in the XML."""
        result, seen = [], set()
        for index, found in enumerate(xml_signatures(xml_bytes), start=1):
            der = found["certificate"]
            if not der or der in seen:
                continue
            seen.add(der)
            label = found["role"] or "signature"
            if found["subject_code"]:
                label += "-" + found["subject_code"]
            result.append((f"certificates/{index:02d}-{_safe_name(label)}.cer", der, found))
        return result

    def _package_chain_certificates(self, signer_ders):
        """(filename, DER, subject) of the CA certificates between the signers and a root, so a
        receiver can build the chains offline; the signing addon knows the CAs."""
        return []

    def _build_package(self, pdf=None):
        """The record package (zip bytes): the signed XML at the top level (where any
        verifier looks for it), the PDF, the signers' certificates and manifest.json.
        `pdf`: the printed record already rendered (a batch print), else it is printed here."""
        self.ensure_one()
        record = self.sudo()
        xml = record._get_xml()
        if not xml:
            raise UserError(_("The record of %(student)s has no document yet: lock its results "
                              "first.", student=record.student_id.name))
        base = record._report_filename()
        files = [(f"{base}.xml", xml, "record-xml", {}),
                 (f"{base}.pdf", pdf or self._render_pdf(), "pdf", {})]
        signer_ders = []
        for name, der, found in record._package_certificates(xml):
            signer_ders.append(der)
            files.append((name, der, "certificate", {
                "role": found["role"], "subject_code": found["subject_code"],
                "signer": found["signer_name"],
                "signing_time": found["signing_time"].isoformat() if found["signing_time"] else None,
            }))
        for name, der, subject in record._package_chain_certificates(signer_ders):
            files.append((name, der, "ca-certificate", {"subject": subject}))
        manifest = {
            "format": PACKAGE_FORMAT,
            "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "record": record._package_record_info(),
            "files": [dict({"name": name, "type": kind, "size": len(data), "sha256": _sha256(data)},
                           **extra) for name, data, kind, extra in files],
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data, _kind, _extra in files:
                archive.writestr(name, data)
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        return buffer.getvalue()

    def _package_record_info(self):
        self.ensure_one()
        return {
            "id": self.id, "record_uuid": self.record_uuid, "version": self.version,
            "state": self.state, "circular": self.circular, "is_extract": self.is_extract,
            "student": {"name": self.student_id.name, "personal_id": self.student_id.personal_id},
            "school": {"name": self.company_id.name, "code": self.company_id.hocbaso_school_code or ""},
            "school_year": self.school_year_id.name, "class": self.class_id.name,
            "issue_date": fields.Date.to_string(self.issue_date) if self.issue_date else None,
            "xml_sha256": self.xml_sha256 or _sha256(self._get_xml()),
        }

    def _package_filename(self):
        self.ensure_one()
        return self._report_filename() + ".zip"

    # --- actions ----------------------------------------------------------------------------
    def action_print_hocba(self):
        self.check_access("read")
        self._log_access("download_pdf")
        return self.env.ref("hocbaso_odoo.report_hocbaso_record").report_action(self)

    def action_download_package(self):
        self.ensure_one()
        self.check_access("read")
        package = self._build_package()
        attachment = self.env["ir.attachment"].create({
            "name": self._package_filename(), "raw": package, "mimetype": "application/zip",
            "res_model": self._name, "res_id": self.id})
        self._log_access("download_package")
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/web/content/{attachment.id}?download=true"}

    def action_open_export(self):
        return {
            "type": "ir.actions.act_window", "name": _("Export Records"),
            "res_model": "hocbaso.record.export", "view_mode": "form", "target": "new",
            "context": {"default_scope": "selected", "default_record_ids": [(6, 0, self.ids)]},
        }



class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """The học bạ PDF is rendered from a self-contained page (inline style, QR code as a
        data URI): wkhtmltopdf fetches nothing from the server, so printing works the same
        behind a proxy, without workers and while tests run (no HTML fallback there)."""
        report = self._get_report(report_ref)
        if report.report_name != REPORT_NAME:
            return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)
        if isinstance(res_ids, int):
            res_ids = [res_ids]
        records = self.env[report.model].browse(res_ids or [])
        if not records:
            raise UserError(_("Choose the records to print."))
        records.check_access("read")
        # one HTML document for every record, each starting on a new page: Debian's
        # wkhtmltopdf (unpatched Qt) gives an empty PDF when handed several input documents
        body = self.env["ir.qweb"]._render(STANDALONE_TEMPLATE, {"docs": records})
        return self._run_wkhtmltopdf([str(body)], report_ref=report), "pdf"
