"""A readable report of every signature of a record, from hocbaso.verify."""

from markupsafe import Markup, escape

from odoo import fields, models, _

from odoo.addons.hocbaso_odoo.tools import lib_text

from ..tools import verify_statement


class HocbasoVerifyWizard(models.TransientModel):
    _name = "hocbaso.verify.wizard"
    _description = "Verify Record Signatures"

    record_id = fields.Many2one("hocbaso.record", required=True, readonly=True)
    valid = fields.Boolean(readonly=True)
    intact = fields.Boolean(string="Document Intact", readonly=True)
    complete = fields.Boolean(string="All Signatures Present", readonly=True)
    report_html = fields.Html(readonly=True, sanitize=True)

    def _run(self):
        self.ensure_one()
        record = self.record_id
        report = record._verify_report()
        yes, no = _("yes"), _("no")
        rows = []
        for sig in report.signatures:
            who = sig.signer_name or sig.certificate_subject
            ident = sig.personal_id or (sig.tax_code and "MST " + sig.tax_code) or ""
            problems = Markup("<br/>").join(escape(lib_text(self.env, e)) for e in sig.errors)
            rows.append(Markup(
                "<tr><td>%s</td><td>%s<br/><small>%s</small></td><td>%s</td><td>%s</td>"
                "<td>%s</td><td>%s</td></tr>") % (
                record._role_label(sig.role) + (f" – {sig.subject_code}" if sig.subject_code else ""),
                who, ident,
                sig.signing_time.strftime("%Y-%m-%d %H:%M:%S UTC") if sig.signing_time else "",
                lib_text(self.env, sig.chain_result),
                yes if sig.valid else no,
                problems))
        head = Markup(
            "<p><b>%s</b> %s<br/><b>%s</b> %s<br/><b>%s</b> %s<br/><b>%s</b> %s</p>") % (
            _("Valid:"), yes if report.valid else no,
            _("Document intact (not changed since signing):"), yes if report.intact else no,
            _("Signed in the right order:"), yes if report.order_ok else no,
            _("Signatures still missing:"),
            ", ".join(lib_text(self.env, label) for label in report.missing) or _("none"))
        table = Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>%s</tbody></table>") % (
            _("Role"), _("Signer"), _("Signing time"), _("Certificate chain"), _("Valid"),
            _("Problems"), Markup("").join(rows))
        notes = Markup("").join(Markup("<p class='text-danger'>%s</p>") % lib_text(self.env, e)
                                for e in report.errors)
        notes += Markup("").join(Markup("<p class='text-warning'>%s</p>") % lib_text(self.env, w)
                                 for w in report.warnings)
        if record.revocation_statement:
            ok, errors, cert = verify_statement(record._get_revocation_statement())
            notes += Markup("<p><b>%s</b> %s %s</p>") % (
                _("Revocation statement signature valid:"), yes if ok else no,
                cert.subject.rfc4514_string() if cert is not None else "")
        self.write({"valid": report.valid, "intact": report.intact, "complete": report.complete,
                    "report_html": head + table + notes})
        return report
