"""Public verification of a record (what the QR code on the PDF opens), and offline checks of a
record XML or package uploaded by anyone. Rate-limited per client."""

import logging
import re

from odoo import http
from odoo.http import request

from ..models.hocbaso_record_transfer import PUBLISHED_STATES
from ..tools import lib_text

_logger = logging.getLogger(__name__)

MAX_UPLOAD = 5 * 1024 * 1024
RATE_LIMIT_PER_MINUTE = 20
UUID_RE = re.compile(r"^[0-9a-fA-F-]{8,64}$")
STATUS_LABELS = {
    "issued": "Còn hiệu lực",
    "revoked": "Đã bị thu hồi",
    "superseded": "Đã được thay thế bằng phiên bản mới hơn",
}


def initials(name):
    return " ".join(part[0].upper() + "." for part in (name or "").split() if part)


def _client_ip():
    return request.httprequest.remote_addr or "unknown"


def _in_vietnamese(problems):
    """The page is in Vietnamese: the report's problems and labels (Problems) are shown in
    Vietnamese (vi.po)."""
    env = request.env(context=dict(request.env.context, lang="vi_VN"))
    return [lib_text(env, problem) for problem in problems]


def _signature_rows(report, trusted):
    rows = []
    for sig in report.signatures:
        role, *errors = _in_vietnamese([sig.role_label, *sig.errors])
        rows.append({
            "role": role, "signer": sig.signer_name,
            # the reader's clock (Asia/Ho_Chi_Minh), as the printed record shows it
            "time": request.env["hocbaso.record"]._format_vn_time(sig.signing_time),
            "status": ("valid" if sig.valid else "invalid") if trusted else "not_checked",
            "errors": errors,
        })
    return rows


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
        record_id = (record_id or "").strip()
        if record_id:
            return self._render_result(record_id, None, code)
        return request.render("hocbaso_odoo.verify_form", {})

    @http.route("/hocbaso/verify/<string:record_uuid>", type="http", auth="public", methods=["GET"],
                website=True, sitemap=False)
    def verify_record(self, record_uuid, v=None, c=None, **kw):
        return self._render_result(record_uuid, v, c)

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
        code_ok = record._hocbaso_check_code(code)
        student = record.student_id
        report, trusted = record._hocbaso_signature_report()
        return {
            "found": True,
            "record": record,
            "state": record.state,
            "status_label": STATUS_LABELS.get(record.state, record.state),
            "version": record.version,
            "newest_version": max(versions.mapped("version")),
            "school": record.company_id.name,
            "school_year": record.school_year_id.name,
            "code_ok": code_ok,
            "code_given": bool(code),
            "student_name": student.name if code_ok else initials(student.name),
            "birth_year": (student.birth_date or "")[:4],
            "class_name": record.class_id.name if code_ok else "",
            "signatures": _signature_rows(report, trusted) if report else [],
            "intact": bool(report and report.intact),
            "trusted": trusted,
        }

    @http.route("/hocbaso/verify/upload", type="http", auth="public", methods=["POST"],
                website=True, sitemap=False, csrf=False)
    def verify_upload(self, **kw):
        # csrf=False: a public, anonymous check of a file; it changes nothing for the visitor.
        limited = self._throttled()
        if limited:
            return limited
        length = request.httprequest.content_length or 0
        upload = request.httprequest.files.get("file")
        error = None
        data = b""
        if length > MAX_UPLOAD + 64 * 1024:
            error = "Tệp quá lớn: tối đa 5 MB."
        elif not upload:
            error = "Hãy chọn tệp học bạ (XML) hoặc gói học bạ (ZIP)."
        else:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                error = "Tệp quá lớn: tối đa 5 MB."
            elif not data:
                error = "Tệp rỗng."
        if error:
            return request.render("hocbaso_odoo.verify_upload_result", {"error": error}, status=400)
        is_package = data[:4] == b"PK\x03\x04"
        report, trusted = request.env["hocbaso.record.transfer"].sudo()._hocbaso_verify(
            data, is_package=is_package)
        return request.render("hocbaso_odoo.verify_upload_result", {
            "error": None, "report": report, "trusted": trusted,
            "valid": report.valid and trusted,
            "filename": upload.filename, "signatures": _signature_rows(report, trusted),
            "reasons": _in_vietnamese(report.errors), "missing": _in_vietnamese(report.missing),
        })
