"""Public verification of a record: by the short code printed under the PDF's QR code, by the
record ID (what the QR code opens), or by an uploaded XML, package or the school's PDF (which
carries the signed XML). Rate- and size-limited per client."""

import logging
import re

from odoo import http
from odoo.http import request

from hocbaso.errors import HocbasoError
from hocbaso.pdfsign import verify_pdf
from hocbaso.verify import find_record_in_zip, is_record_file
from hocbaso.xmlprofile import detect_profile

from ..models.hocbaso_record_package import pdf_record_xml
from ..models.hocbaso_record_transfer import (PUBLISHED_STATES, missing_labels, reader_time,
                                               signature_rows)
from ..tools import lib_text
from .frontend_lang import url_lang_chosen

_logger = logging.getLogger(__name__)

MAX_UPLOAD = 5 * 1024 * 1024
RATE_LIMIT_PER_MINUTE = 20
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
DOCUMENT_LANG = "vi_VN"


def initials(name):
    return " ".join(part[0].upper() + "." for part in (name or "").split() if part)


def _client_ip():
    return request.httprequest.remote_addr or "unknown"


def _lang_chosen():
    """Did the visitor choose a language (a /en/ URL, or the cookie Odoo sets once chosen)?"""
    return bool(request.cookies.get("frontend_lang")) or url_lang_chosen()


def _document_lang_redirect():
    """A visitor who chose no language (who scanned the QR code) reads the page in the
    record's own language: sent to its /vi/ address (Odoo then remembers the choice). A
    browser asking for a language the school's site has (an English phone, say) was already
    sent to that language's address by Odoo's routing, before this runs: its reader gets it."""
    Lang = request.env["res.lang"]
    if _lang_chosen() or request.lang.code == DOCUMENT_LANG or not Lang._lang_get(DOCUMENT_LANG):
        return None
    url_code = Lang._get_data(code=DOCUMENT_LANG).url_code
    query = request.httprequest.query_string.decode()
    return request.redirect(
        f"/{url_code}{request.httprequest.path}" + (f"?{query}" if query else ""),
        code=303,
        local=True,
    )


def _set_page_lang():
    """For a POST (no redirect): render in the record's language unless one was chosen."""
    Lang = request.env["res.lang"]
    if not _lang_chosen() and request.lang.code != DOCUMENT_LANG and Lang._lang_get(DOCUMENT_LANG):
        request.lang = Lang._get_data(code=DOCUMENT_LANG)
        request.update_context(lang=DOCUMENT_LANG)
        # Odoo remembered the language it routed with; the next upload reads as this one
        request.future_response.set_cookie("frontend_lang", DOCUMENT_LANG)


def _subject_names(record):
    return {line.subject_id.code: line.subject_id.with_context(lang=request.env.lang).name
            for line in record.line_ids}


class HocbasoVerify(http.Controller):

    def _throttled(self):
        """Count this verification; a 429 page when the client is over the limit."""
        if request.env["hocbaso.verify.throttle"].sudo()._hit(_client_ip(), RATE_LIMIT_PER_MINUTE):
            return None
        return request.render("hocbaso_odoo.verify_too_many", {}, status=429,
                              headers=[("Retry-After", "60")])

    @http.route("/hocbaso/verify", type="http", auth="public", methods=["GET"], website=True,
                sitemap=False)
    def verify_form(self, record_id=None, code=None, **kw):
        """The lookup form; one field takes the short code printed on the PDF or the record ID
        (``record_id`` and ``code`` together still work, as printed records' links use them)."""
        redirect = _document_lang_redirect()
        if redirect:
            return redirect
        query = (code or "").strip() if not (record_id or "").strip() else ""
        record_id = (record_id or "").strip()
        if record_id:
            return self._render_result(record_id, None, code)
        if query:
            if UUID_RE.match(query):
                return self._render_result(query, None, None)
            return self._render_code(query)
        return request.render("hocbaso_odoo.verify_form", {})

    @http.route("/hocbaso/verify/<string:record_uuid>", type="http", auth="public", methods=["GET"],
                website=True, sitemap=False)
    def verify_record(self, record_uuid, v=None, c=None, **kw):
        return _document_lang_redirect() or self._render_result(record_uuid, v, c)

    def _render_code(self, code):
        limited = self._throttled()
        if limited:
            return limited
        record = request.env["hocbaso.record"].sudo()._hocbaso_find_by_code(code)
        if not record:
            # the same answer for a mistyped code and an unknown one: nothing is told
            return request.render("hocbaso_odoo.verify_result",
                                  {"found": False, "code_not_found": True}, status=404)
        versions = record.search([("record_uuid", "=", record.record_uuid),
                                  ("state", "in", PUBLISHED_STATES)])
        values = self._record_values(record, versions, record._verification_code())
        record._log_access("verify", ip=_client_ip(), public=request.env.user._is_public(),
                           detail="short code")
        return request.render("hocbaso_odoo.verify_result", values)

    def _render_result(self, record_uuid, version, code):
        limited = self._throttled()
        if limited:
            return limited
        values = {"record_uuid": record_uuid, "found": False}
        Record = request.env["hocbaso.record"].sudo()
        records = Record.browse()
        if UUID_RE.match(record_uuid or ""):
            records = Record.with_context(active_test=False).search(
                [("record_uuid", "=", record_uuid), ("state", "in", PUBLISHED_STATES)],
                order="version desc")
        try:
            version = int(version) if version else None
        except ValueError:
            version = None
        record = records.filtered(lambda r: r.version == version)[:1] if version else records[:1]
        if record:
            values.update(self._record_values(record, records, code))
            record._log_access("verify", ip=_client_ip(), public=request.env.user._is_public(),
                               detail="code ok" if values["code_ok"] else "")
        return request.render("hocbaso_odoo.verify_result", values,
                              status=200 if record else 404)

    def _record_values(self, record, versions, code):
        """The minimal summary of what was verified: school, year, state, the student (in full
        only for who holds the printed code), signers and issuance."""
        code_ok = record._hocbaso_check_code(code)
        student = record.student_id
        report, trusted = record._hocbaso_signature_report()
        states = dict(record._fields["state"]._description_selection(request.env))
        issuance = record._report_issuance()
        return {
            "found": True,
            "record": record,
            "res_company": record.company_id,  # the page header names the record's school
            "record_uuid": record.record_uuid,
            "state": record.state,
            "status_label": states.get(record.state, record.state),
            "version": record.version,
            "newest_version": max(versions.mapped("version")),
            "school": record.company_id.name,
            "school_year": record.school_year_id.name,
            "code_ok": code_ok,
            "code_given": bool(code),
            "student_name": student.name if code_ok else initials(student.name),
            "birth_year": (student.birth_date or "")[:4],
            "class_name": record.class_id.name if code_ok else "",
            "issuance": issuance,
            "signatures": signature_rows(report, trusted, request.env,
                                         _subject_names(record)) if report else [],
            "intact": bool(report and report.intact),
            "trusted": trusted,
        }

    def _file_summary(self, data, is_package):
        """What a verified file is: its student, school, year and version as the signed file
        says, and the record's state here when this database issued it (a revoked record's
        file still carries valid signatures)."""
        try:
            xml = find_record_in_zip(data)[1] if is_package else data
            document = detect_profile(xml).parse(xml)
        except (HocbasoError, ValueError):
            return None
        records = request.env["hocbaso.record"].sudo().with_context(active_test=False).search(
            [("record_uuid", "=", document.record_uuid), ("state", "in", PUBLISHED_STATES)])
        record = records.filtered(lambda r: r.version == document.version)[:1]
        states = dict(records._fields["state"]._description_selection(request.env))
        return {
            "student_name": document.student.full_name, "school": document.school.name,
            "school_year": document.school_year, "version": document.version,
            "state": record.state if record else "",
            "status_label": states.get(record.state, "") if record else "",
            "newest_version": max(records.mapped("version")) if records else 0,
        }

    @http.route("/hocbaso/verify/upload", type="http", auth="public", methods=["POST"],
                website=True, sitemap=False, csrf=False)
    def verify_upload(self, **kw):
        # csrf=False: a public, anonymous check of a file; it changes nothing for the visitor.
        _set_page_lang()
        limited = self._throttled()
        if limited:
            return limited
        env = request.env
        length = request.httprequest.content_length or 0
        upload = request.httprequest.files.get("file")
        error = None
        data = b""
        if length > MAX_UPLOAD + 64 * 1024:
            error = env._("The file is too large: 5 MB at most.")
        elif not upload:
            error = env._("Choose the record file (XML), the record package (ZIP) or the "
                          "school's PDF.")
        else:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                error = env._("The file is too large: 5 MB at most.")
            elif not data:
                error = env._("The file is empty.")
        if error:
            return request.render("hocbaso_odoo.verify_upload_result", {"error": error}, status=400)
        from_pdf = data[:5] == b"%PDF-"
        pdf_check = None
        if from_pdf:
            pdf_check = self._pdf_check(data)  # the school's signature on the PDF itself
            # None for a PDF printed elsewhere, scanned or re-saved: no record to verify
            data = pdf_record_xml(data) or b""
        is_package = data[:4] == b"PK\x03\x04"
        if not is_record_file(data, is_package):
            # a spreadsheet, a photo, another XML: say what to upload, not "tampered"
            return request.render("hocbaso_odoo.verify_upload_result", {
                "error": None, "not_record": True, "from_pdf": from_pdf,
                "filename": upload.filename, "pdf_check": pdf_check})
        report, trusted = env["hocbaso.record.transfer"].sudo()._hocbaso_verify(
            data, is_package=is_package)
        return request.render("hocbaso_odoo.verify_upload_result", {
            "summary": self._file_summary(data, is_package) if report.valid and trusted else None,
            "error": None, "not_record": False, "from_pdf": from_pdf,
            "report": report, "trusted": trusted, "valid": report.valid and trusted,
            "filename": upload.filename, "signatures": signature_rows(report, trusted, env),
            "reasons": [lib_text(env, problem) for problem in report.errors],
            "missing": missing_labels(report, env), "pdf_check": pdf_check,
        })

    def _pdf_check(self, pdf):
        """The PDF's own signatures (the school certifies the printed record at issuance),
        checked against the trusted CAs, as the page shows them."""
        env = request.env
        anchors = env["hocbaso.record.transfer"].sudo()._hocbaso_trust_anchors()
        roots, intermediates, crls = anchors if anchors is not None else ([], [], [])
        report = verify_pdf(pdf, list(roots), list(intermediates), list(crls))
        rows = []
        for signature in report.signatures:  # a loop: env._ in a comprehension finds no lang
            if signature.ok:
                headline = env._("The PDF is signed by %(signer)s and has not been changed "
                                 "since.", signer=signature.signer_name)
            else:
                headline = env._("The signature of %(signer)s on the PDF is NOT valid.",
                                 signer=signature.signer_name)
            if signature.timestamp_time:
                when = env._("Signed on %(time)s; the time is proven by a timestamp "
                             "(%(proven)s).", time=reader_time(env, signature.signing_time),
                             proven=reader_time(env, signature.timestamp_time))
            else:
                when = env._("Signed on %(time)s (the time stated by the signer).",
                             time=reader_time(env, signature.signing_time))
            if signature.ok and signature.long_term:
                when += " " + env._("The PDF keeps the certificate chains and revocation "
                                    "status: it can still be checked after the school's "
                                    "certificate expires.")
            rows.append({
                "ok": signature.ok, "headline": headline, "when": when,
                "reasons": [lib_text(env, problem) for problem in signature.problems],
            })
        return {"signed": report.signed, "signatures": rows,
                "problems": [lib_text(env, problem) for problem in report.problems]}
