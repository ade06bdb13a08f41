"""The record as documents: PDF helpers (signers, QR code, verification code) and the record
package (signed XML + PDF + signers' certificates + manifest.json, zipped)."""

import base64
import datetime as dt
import functools
import hashlib
import hmac
import io
import json
import logging
import re
import zipfile
from urllib.parse import urlencode

from cryptography import x509
from cryptography.x509.oid import NameOID

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import hmac as odoo_hmac
from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter

from hocbaso import pdfsign
from hocbaso import subjects as hb_subjects
from hocbaso import timeutil, validation
from hocbaso.errors import HocbasoError
from hocbaso.roles import BY_CODE, ROLE_CBQL, ROLE_GVBM, ROLE_GVCN, ROLE_ISSUER, parse_signature_id
from hocbaso.safexml import DEFAULT_MAX_BYTES, parse_untrusted
from hocbaso.signing.dsig_primitives import DS_NS, XADES_NS

from ..tools.qr import qr_png
from .hocbaso_record import (COMPETENCY_FIELDS, GENERAL_COMPETENCY_FIELDS, QUALITY_FIELDS,
                             SPECIFIC_COMPETENCY_FIELDS)
from .hocbaso_record_transfer import PUBLISHED_STATES, reader_time, vn_time

_logger = logging.getLogger(__name__)

PACKAGE_FORMAT = "hocbaso-package-1.0"
REPORT_NAME = "hocbaso_odoo.report_hocbaso_record_template"
STANDALONE_TEMPLATE = "hocbaso_odoo.report_hocbaso_record_standalone"
# the scope of the printed code's keyed hash (tools.misc.hmac, keyed by database.secret)
CODE_SCOPE = "hocbaso-verification-code"
CODE_LENGTH = 10
CODE_RE = re.compile(r"[0-9a-f]{%d}" % CODE_LENGTH)
RECORD_XML_SUBTYPE = "application/xml"


# What is printed on the record: the document is Vietnamese by law.
VI_LEVEL_TITLE = {"02": "TIỂU HỌC", "03": "TRUNG HỌC CƠ SỞ", "04": "TRUNG HỌC PHỔ THÔNG",
                  "05": "GIÁO DỤC THƯỜNG XUYÊN"}


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text or "").strip("_") or "file"


def _typed_code(code):
    """A code as a person typed it, in the form it is printed: spaces, dashes and case
    ignored."""
    return re.sub(r"[\s-]+", "", code or "").lower()


def _code(env, record_uuid, version):
    """The short code printed with the QR code: a keyed hash of the record's id and version,
    stable per version and secret per database."""
    return odoo_hmac(env(su=True), CODE_SCOPE, f"{record_uuid}:{version}")[:CODE_LENGTH]


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
    # a printed record asks three times (issuance block, date line, signers) and its package
    # once more: the document is parsed once (the values are immutable, the dicts copied)
    return [dict(found) for found in _xml_signatures(bytes(xml_bytes))]


@functools.lru_cache(maxsize=8)
def _xml_signatures(xml_bytes):
    try:
        root = parse_untrusted(xml_bytes)
    except (HocbasoError, ValueError) as err:
        _logger.warning("Record XML unreadable for its signatures: %s", err)
        return []
    found = []
    for signature in root.iter(f"{{{DS_NS}}}Signature"):
        role, subject_code = parse_signature_id(signature.get("Id"))
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


def record_documents(records):
    """[(file name, signed XML)] of these records, the files a printed record carries."""
    documents = [(record.sudo().xml_filename or "hocba.xml", record.sudo()._get_xml())
                 for record in records]
    return [(name, xml) for name, xml in documents if xml]


def embed_record_xml(pdf, records):
    """The PDF with each record's signed XML embedded as a file (as Factur-X does): whoever
    holds the school's PDF holds the document its signatures cover, and the verification page
    checks that. A PDF that cannot be rewritten is returned as it is."""
    documents = record_documents(records)
    if not documents:
        return pdf
    try:
        reader = OdooPdfFileReader(io.BytesIO(pdf), strict=False)
        writer = OdooPdfFileWriter()
        writer.cloneReaderDocumentRoot(reader)
        for name, xml in documents:
            writer.addAttachment(name, xml, subtype=RECORD_XML_SUBTYPE)
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()
    except Exception as err:  # noqa: BLE001 - the printed record must still come out
        _logger.warning("Could not embed the record XML in its PDF: %s", err)
        return pdf


def pdf_record_xml(data, limit=DEFAULT_MAX_BYTES):
    """The record XML embedded in a PDF (the first embedded .xml file), or None: an uploaded
    PDF is untrusted, so anything unreadable or oversized is simply 'no XML inside'. Read by
    the library (pyHanko's reader), which also reads a PDF the school certified: its
    signature is an incremental update."""
    return pdfsign.record_xml(data, limit)


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    # --- verification code and URL ---------------------------------------------------------
    def _verification_code(self):
        """Short code printed with the QR code: who has it may see the record's full identity
        on the public verification page. Stable per (record, version), secret per database."""
        self.ensure_one()
        return _code(self.env, self.record_uuid, self.version)

    def _hocbaso_check_code(self, code):
        """Whether ``code`` is this record's printed code (as typed, see _typed_code)."""
        self.ensure_one()
        given = _typed_code(code)
        return bool(given) and hmac.compare_digest(self._verification_code(), given)

    @api.model
    def _hocbaso_find_by_code(self, code):
        """The published record whose printed verification code is ``code`` (spaces, dashes
        and case ignored), or an empty recordset. The code is a keyed hash, so each published
        record is hashed once: no column to probe, nothing told about near misses."""
        code = _typed_code(code)
        if not CODE_RE.fullmatch(code):
            return self.browse()
        records = self.sudo().with_context(active_test=False).search_fetch(
            [("state", "in", PUBLISHED_STATES)], ["record_uuid", "version"])
        for record in records:
            if hmac.compare_digest(_code(self.env, record.record_uuid, record.version), code):
                return self.browse(record.id)
        return self.browse()

    def _verification_url(self):
        self.ensure_one()
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "").rstrip("/")
        query = urlencode({"v": self.version, "c": self._verification_code()})
        return f"{base}/hocbaso/verify/{self.record_uuid}?{query}"

    def _report_qr_src(self):
        """The verification URL's QR code as a data: URI (wkhtmltopdf fetches nothing)."""
        self.ensure_one()
        png = qr_png(self._verification_url())
        return "data:image/png;base64," + base64.b64encode(png).decode()

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

    def _report_score(self, value):
        """A result as the Vietnamese form writes it: 8.5 -> 8,5 (Đ, CĐ, M as they are). The
        record file keeps the format's decimal point."""
        return validation.show_scores(value, ",")

    def _report_birth_date(self):
        """2013-09-01 -> 01/09/2013; partial dates (2013-09, 2013) keep what is known."""
        self.ensure_one()
        return validation.show_partial_date(self.student_id.birth_date)

    def _screen_birth_date(self):
        """The date of birth on a screen beside other dates: a whole date as the reader's
        language writes dates (:func:`reader_time`), so an English page does not write one day
        first and the next month first; a partial one (09/2013, 2013) as printed."""
        self.ensure_one()
        text = self.student_id.birth_date or ""
        try:
            day = dt.date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            day = None
        return reader_time(self.env, day) if day else self._report_birth_date()

    def _report_labels(self):
        """The words the printed record uses: the fields' own labels and choices read in
        Vietnamese (the legal form's language, whatever the reader's; vi_VN is loaded when the
        addon is installed), without the code the screens show beside a choice ("T – Tốt"
        prints "Tốt")."""
        env = self.with_context(lang="vi_VN").env

        def words(model, name, skip=()):
            field = env[model]._fields[name]
            return {value: label.split(" – ", 1)[-1]
                    for value, label in field._description_selection(env) if value not in skip}

        def named(names):
            fields_ = env["hocbaso.record"]._fields
            return [(name, fields_[name]._description_string(env)) for name in names]

        return {"rating": words("hocbaso.record", COMPETENCY_FIELDS[0]),
                "year_level": words("hocbaso.record", "year_level"),
                "result": words("hocbaso.record", "learning_year"),
                "general": named(GENERAL_COMPETENCY_FIELDS),
                "specific": named(SPECIFIC_COMPETENCY_FIELDS),
                "qualities": named(QUALITY_FIELDS),
                "sex": words("hocbaso.student", "sex", skip=("0",)),
                "id_document": words("hocbaso.student", "id_document_type")}

    def _issuance_signatures(self):
        """What really happened at issuance: {role: {'name', 'user', 'time'}} for the school
        leadership's and the issuance signatures placed on this version, as the signed XML
        states them (the certificate holder's name, the signing time). The sign addon adds
        who signed from its signature log."""
        self.ensure_one()
        found = {}
        for sig in xml_signatures(self.sudo()._get_xml()):
            if sig["role"] in (ROLE_CBQL, ROLE_ISSUER):
                found[sig["role"]] = {"name": sig["signer_name"], "user": None,
                                      "time": sig["signing_time"]}
        return found

    def _report_issuance(self):
        """The signer/date block of the issued record, filled from the signatures themselves:
        the leadership signer's name and title (Hiệu trưởng, or KT. Hiệu trưởng above Phó hiệu
        trưởng when a vice-principal signs), the place, and the date of the issuance signature
        on the school's clock (the record's planned date of issue until it is signed)."""
        self.ensure_one()
        found = self._issuance_signatures()
        leader = found.get(ROLE_CBQL) or {}
        user = leader.get("user")
        if user and user != self.leader_id:  # another leader than planned signed
            title = user.hocbaso_title or ""
        else:  # the record's leader: the title the signed XML states
            title = self.leader_title or self.leader_id.hocbaso_title or ""
            user = user or self.leader_id
        title = (title or BY_CODE[ROLE_CBQL].printed_title).strip()
        lines, display = [title.upper()], title
        if title.lower().startswith("phó"):  # a vice-principal signs for the principal
            lines, display = ["KT. HIỆU TRƯỞNG", title.upper()], f"KT. Hiệu trưởng – {title}"
        issuer = found.get(ROLE_ISSUER) or {}
        issue_moment = issuer.get("time")
        # the day it really was issued: the issuer's signature, else (issued without the
        # signing addon) the date the record states; nothing before issuance
        issue_date = timeutil.to_vn(issue_moment).date() if issue_moment else (
            self.issue_date if self.state in PUBLISHED_STATES else False)
        place = self.issue_place or ""
        return {
            "signer_name": leader.get("name") or (user.name if user else ""),
            "title": title, "title_lines": lines, "title_display": display,
            "leader_signed": bool(leader),
            "leader_time": reader_time(self.env, leader.get("time")),
            "issued": bool(issuer), "issued_time": reader_time(self.env, issue_moment),
            "place": place, "issue_date": issue_date,
            "issue_date_text": reader_time(self.env, issue_date),
        }

    def _report_date_line(self):
        """'Hà Nội, ngày 20 tháng 05 năm 2025' as written above the signatures: the day the
        record was issued (signed for issuance), on the school's clock."""
        self.ensure_one()
        issuance = self._report_issuance()
        place, day = issuance["place"], issuance["issue_date"]
        if not day:
            return f"{place}, ngày ... tháng ... năm ......" if place else ""
        text = f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"
        return f"{place}, {text}" if place else text.capitalize()

    def _signature_log_entries(self):
        """The signatures standing on this version as a signing log states them:
        [{'role', 'subject_code', 'signer_name', 'title', 'signing_time'}] in signing order.
        The core keeps no log (the report then reads the signed XML); the signing addon
        returns its own."""
        self.ensure_one()
        return []

    def _report_signers(self):
        """Who signed (or is to sign) in each slot, with name, title and signing time:
        {'gvcn': {...}, 'cbql': {...}, 'phathanh': {...}, 'gvbm': {subject_code: {...}}}.
        The signing log first, then the signatures in the stored XML, then the record's fields."""
        self.ensure_one()
        signers = {
            ROLE_GVCN: {
                "name": self.homeroom_teacher_id.name or "",
                "title": BY_CODE[ROLE_GVCN].printed_title,
                "time": "",
                "signed": False,
            },
            ROLE_CBQL: {
                "name": self.leader_id.name or "",
                "title": self.leader_title
                or self.leader_id.hocbaso_title
                or BY_CODE[ROLE_CBQL].printed_title,
                "time": "",
                "signed": False,
            },
            ROLE_ISSUER: {
                "name": self.company_id.name,
                "title": BY_CODE[ROLE_ISSUER].printed_title,
                "time": "",
                "signed": False,
            },
            ROLE_GVBM: {},
        }
        issuance = self._report_issuance()
        signers[ROLE_CBQL].update(name=issuance["signer_name"], title=issuance["title"])
        for line in self.line_ids:
            signers[ROLE_GVBM][line.subject_id.code] = {
                "name": line.teacher_id.name or "", "title": "Giáo viên bộ môn",
                "time": vn_time(line.gvbm_signed_date) if line.gvbm_signed else "",
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
            if found.get("title") and role not in (ROLE_ISSUER, ROLE_CBQL):
                slot["title"] = found["title"]
            if found.get("signing_time"):
                slot["time"] = vn_time(found["signing_time"])
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
    def _hocbaso_kept_pdf(self):
        """The PDF kept for this record as issued, served instead of a new print, or None.

        The core keeps none; the signing addon keeps the PDF the school certified with its
        organisation certificate at issuance (a new print would not carry that signature)."""
        self.ensure_one()
        return None

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
        files = [
            (f"{base}.xml", xml, "record-xml", {}),
            (f"{base}.pdf", pdf or self._render_pdf(), "pdf", {}),
        ]
        signer_ders = []
        for name, der, found in record._package_certificates(xml):
            signer_ders.append(der)
            files.append(
                (
                    name,
                    der,
                    "certificate",
                    {
                        "role": found["role"],
                        "subject_code": found["subject_code"],
                        "signer": found["signer_name"],
                        "signing_time": found["signing_time"].isoformat()
                        if found["signing_time"]
                        else None,
                    },
                )
            )
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
        # level 1: a PDF's streams are compressed already (level 6 takes three times as long
        # for 3% less), the XML still shrinks to a fifth
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, data, _kind, _extra in files:
                archive.writestr(name, data)
            archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        return buffer.getvalue()

    def _package_record_info(self):
        self.ensure_one()
        return {
            "id": self.id,
            "record_uuid": self.record_uuid,
            "version": self.version,
            "state": self.state,
            "circular": self.circular,
            "is_extract": self.is_extract,
            "student": {"name": self.student_id.name, "personal_id": self.student_id.personal_id},
            "school": {
                "name": self.company_id.name,
                "code": self.company_id.hocbaso_school_code or "",
            },
            "school_year": self.school_year_id.name,
            "class": self.class_id.name,
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
        kept = records._hocbaso_kept_pdf() if len(records) == 1 else None
        if kept:
            return kept, "pdf"
        # one HTML document for every record, each starting on a new page: Debian's
        # wkhtmltopdf (unpatched Qt) gives an empty PDF when handed several input documents
        body = self.env["ir.qweb"]._render(STANDALONE_TEMPLATE, {"docs": records})
        pdf = self._run_wkhtmltopdf([str(body)], report_ref=report)
        return embed_record_xml(pdf, records), "pdf"
