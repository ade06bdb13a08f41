"""A readable report of every signature of a record, from hocbaso.verify: the rows come from the
shared builder (hocbaso_odoo's signature_rows) and are shown by a QWeb template."""

from odoo import fields, models

from odoo.addons.hocbaso_odoo.models.hocbaso_record_transfer import missing_labels, signature_rows
from odoo.addons.hocbaso_odoo.tools import lib_text

from ..tools import verify_statement

REPORT_TEMPLATE = "hocbaso_odoo_sign.verify_wizard_report"


class HocbasoVerifyWizard(models.TransientModel):
    _name = "hocbaso.verify.wizard"
    _description = "Verify Record Signatures"

    record_id = fields.Many2one("hocbaso.record", required=True, readonly=True)
    valid = fields.Boolean(readonly=True)
    intact = fields.Boolean(string="Document Intact", readonly=True,
                            help="Not changed since it was signed.")
    complete = fields.Boolean(string="All Signatures Present", readonly=True)
    order_ok = fields.Boolean(string="Signed in the Right Order", readonly=True)
    missing = fields.Char(string="Signatures Still Missing", readonly=True)
    report_html = fields.Html(readonly=True, sanitize=True)

    def _run(self):
        self.ensure_one()
        record = self.record_id
        report = record._verify_report()
        subject_names = {line.subject_id.code: line.subject_id.name for line in record.line_ids}
        statement = None
        if record.revocation_statement:
            ok, _errors, cert = verify_statement(record._get_revocation_statement())
            statement = {"ok": ok,
                         "subject": cert.subject.rfc4514_string() if cert is not None else ""}
        html = self.env["ir.qweb"]._render(REPORT_TEMPLATE, {
            "signatures": signature_rows(report, True, self.env, subject_names),
            "show_certificate": True,
            "errors": [lib_text(self.env, error) for error in report.errors],
            "warnings": [lib_text(self.env, warning) for warning in report.warnings],
            "statement": statement,
        })
        self.write({"valid": report.valid, "intact": report.intact, "complete": report.complete,
                    "order_ok": report.order_ok,
                    "missing": ", ".join(missing_labels(report, self.env, subject_names)),
                    "report_html": html})
        return report
