"""Parent / student portal: the child's records, their signatures, PDF and signed package."""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import content_disposition, request

from odoo.addons.portal.controllers.portal import CustomerPortal, pager as portal_pager

from ..models.hocbaso_record_line import RESULT_CODES
from ..models.hocbaso_record_transfer import PUBLISHED_STATES, signature_rows
from .frontend_lang import user_lang_redirect

PAGE_SIZE = 20


def _own_records_domain(user):
    """Records of the user's children (guardian) or of the user as student, once published.

    The core record rules already restrict portal users to this; the domain also keeps staff
    (who can read the whole school) to their own children here.
    """
    return [("state", "in", PUBLISHED_STATES),
            "|", ("student_id.guardian_user_ids", "in", [user.id]),
            ("student_id.user_id", "=", user.id)]


def record_signature_rows(record):
    """(rows, report, trusted) of the record's stored XML, rows from the shared builder."""
    report, trusted = record._hocbaso_signature_report()
    if report is None:
        return [], None, trusted
    env = request.env
    subject_names = {line.subject_id.code: line.subject_id.with_context(lang=env.lang).name
                     for line in record.sudo().line_ids}
    return signature_rows(report, trusted, env, subject_names), report, trusted


def selection_word(record, fname):
    """A selection value as a reader says it: its label in the reader's language without the
    code some labels start with ("K – Khá" -> "Khá")."""
    value = record[fname]
    if not value:
        return ""
    field = record._fields[fname]
    label = dict(field._description_selection(request.env)).get(value, value)
    code, sep, word = label.partition(" – ")
    return word if sep and code == value else label


def shown_result(line, fname):
    """A subject result as the parent reads it: a code in words in her language ("Đ" ->
    "Đạt", "Passed"), scores with her language's decimal separator ("8,5" in Vietnamese)."""
    value = line[fname] or ""
    env = request.env
    if value in RESULT_CODES:
        model, choice = RESULT_CODES[value]
        return plain_label(dict(env[model]._fields[choice]._description_selection(env))[value])
    return line.with_env(env)._local_scores(value)


def plain_label(label):
    """A rating label without its leading code ("T – Tốt" -> "Tốt")."""
    code, sep, word = (label or "").partition(" – ")
    return word if sep and len(code) <= 3 and " " not in code else label


class HocbasoPortal(CustomerPortal):

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "hocba_count" in counters:
            Record = request.env["hocbaso.record"]
            values["hocba_count"] = (Record.search_count(_own_records_domain(request.env.user))
                                     if Record.has_access("read") else 0)
        return values

    def _hocba_get_record(self, record_id):
        """The record, checked with the user's own rights; 404 for anything not theirs."""
        record = request.env["hocbaso.record"].browse(record_id)
        try:
            if not record.exists():
                raise NotFound()
            record.with_user(request.env.user).check_access("read")
            if record.state not in PUBLISHED_STATES or not record.search_count(
                    [("id", "=", record.id)] + _own_records_domain(request.env.user)):
                raise NotFound()
        except (AccessError, MissingError):
            raise NotFound() from None
        return record

    @http.route(["/my/hocba", "/my/hocba/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_hocba(self, page=1, **kw):
        redirect = user_lang_redirect()
        if redirect:
            return redirect
        Record = request.env["hocbaso.record"]
        domain = _own_records_domain(request.env.user)
        total = Record.search_count(domain) if Record.has_access("read") else 0
        pager = portal_pager(url="/my/hocba", total=total, page=page, step=PAGE_SIZE)
        records = (
            Record.search(domain, limit=PAGE_SIZE, offset=pager["offset"]) if total else Record
        )
        values = self._prepare_portal_layout_values()
        values.update({
            # found with the user's rights above; read for display (class names) as superuser
            "records": records.sudo(), "pager": pager, "page_name": "hocba",
            "default_url": "/my/hocba",
        })
        return request.render("hocbaso_odoo.portal_my_hocba", values)

    @http.route("/my/hocba/<int:record_id>", type="http", auth="user", website=True)
    def portal_hocba_page(self, record_id, **kw):
        redirect = user_lang_redirect()
        if redirect:
            return redirect
        record = self._hocba_get_record(record_id)
        rows, report, trusted = record_signature_rows(record)
        record._log_access("view")
        values = self._prepare_portal_layout_values()
        values.update({
            "record": record.sudo(), "signatures": rows, "report": report, "trusted": trusted,
            "issuance": record.sudo()._report_issuance(), "word": selection_word,
            "plain": plain_label, "result": shown_result,
            "has_pdf": bool(record._hocbaso_pdf_report()), "page_name": "hocba_record",
        })
        return request.render("hocbaso_odoo.portal_hocba_page", values)

    @http.route("/my/hocba/<int:record_id>/pdf", type="http", auth="user", website=True)
    def portal_hocba_pdf(self, record_id, **kw):
        record = self._hocba_get_record(record_id)
        report = record._hocbaso_pdf_report()
        if not report:
            raise NotFound()
        record._log_access("download_pdf")
        # access checked above with the user's rights; the report reads related data
        return self._show_report(model=record.sudo(), report_type="pdf",
                                 report_ref="hocbaso_odoo.report_hocbaso_record", download=True)

    def _get_http_headers(self, model, report_type, report, download):
        headers = super()._get_http_headers(model, report_type, report, download)
        if model._name == "hocbaso.record" and report_type == "pdf" and download:
            # the name the XML and the package carry (the portal's own would turn 2024-2025
            # into 2024_2025)
            headers["Content-Disposition"] = content_disposition(
                model._report_filename() + ".pdf")
        return headers

    @http.route("/my/hocba/<int:record_id>/package", type="http", auth="user", website=True)
    def portal_hocba_package(self, record_id, **kw):
        record = self._hocba_get_record(record_id)
        data = record.sudo()._hocbaso_package_bytes()
        record._log_access("download_package")
        return request.make_response(data, headers=[
            ("Content-Type", "application/zip"), ("Content-Length", len(data)),
            ("Content-Disposition", content_disposition(record._hocbaso_package_filename())),
        ])

    @http.route("/my/hocba/<int:record_id>/xml", type="http", auth="user", website=True)
    def portal_hocba_xml(self, record_id, **kw):
        record = self._hocba_get_record(record_id)
        data = record.sudo()._get_xml()
        if not data:
            raise NotFound()
        record._log_access("download_xml")
        return request.make_response(data, headers=[
            ("Content-Type", "application/xml"), ("Content-Length", len(data)),
            ("Content-Disposition", content_disposition(record.sudo().xml_filename)),
        ])
