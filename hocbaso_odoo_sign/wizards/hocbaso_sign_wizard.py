"""Sign one record or a whole class in one go: one PIN / password entry, one signer session."""

import logging
from collections import Counter

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import split_every

from hocbaso import roles
from hocbaso.errors import HocbasoError
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo.tools import lib_message, notify_progress

from ..models.hocbaso_record import STATE_ROLE
from ..tools import open_signer

_logger = logging.getLogger(__name__)

ROLE_SELECTION = roles.SELECTION
ROLE_GROUPS = {role.code: role.group for role in roles.ROLES}
PROGRESS_EVERY = 50


class HocbasoSignWizard(models.TransientModel):
    _name = "hocbaso.sign.wizard"
    _description = "Sign Records"

    record_ids = fields.Many2many("hocbaso.record", string="Records")
    record_count = fields.Integer(compute="_compute_record_count")
    role = fields.Selection(ROLE_SELECTION, string="Sign As", required=True,
                            default=lambda self: self._default_role())
    certificate_id = fields.Many2one("hocbaso.signing.certificate",
                                     domain="[('id', 'in', allowed_certificate_ids)]")
    allowed_certificate_ids = fields.Many2many("hocbaso.signing.certificate",
                                               compute="_compute_allowed_certificates")
    backend = fields.Selection(related="certificate_id.backend")
    # the issuer's step is the issuance (roles table): the button says "Issue", not "Sign"
    is_issuance = fields.Boolean(compute="_compute_is_issuance")
    secret = fields.Char(
        string="PIN / Password", compute="_compute_secret", inverse="_inverse_secret",
        help="The token PIN or the password of the certificate file. Used for this signing "
             "only; never stored.")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    result_ids = fields.One2many("hocbaso.sign.wizard.result", "wizard_id", string="Results")
    summary = fields.Char(readonly=True)

    # --- defaults --------------------------------------------------------------------------
    def _active_records(self):
        ctx = self.env.context
        if ctx.get("active_model") == "hocbaso.record" and ctx.get("active_ids"):
            return self.env["hocbaso.record"].browse(ctx["active_ids"]).exists()
        return self.env["hocbaso.record"]

    @api.model
    def default_get(self, fields_list):
        vals = super().default_get(fields_list)
        records = self._active_records()
        if "record_ids" in fields_list and records and not vals.get("record_ids"):
            vals["record_ids"] = [(6, 0, records.ids)]
        return vals

    @api.model
    def _default_role(self):
        records = self._active_records()
        return self._guess_role(records) or X.ROLE_GVBM

    @api.model
    def _guess_role(self, records):
        user = self.env.user
        counts = Counter()
        for record in records:
            role = STATE_ROLE.get(record.state)
            homeroom = record.homeroom_teacher_id or record.class_id.homeroom_teacher_id
            if role == X.ROLE_GVBM and homeroom == user and \
                    record._only_own_subjects_unsigned(user):
                role = X.ROLE_GVCN  # only her own subjects are left: she signs them and as GVCN
            if not role or not user.has_group(ROLE_GROUPS[role]):
                continue
            if role == X.ROLE_GVBM and not record.line_ids.filtered(
                    lambda line: line.teacher_id == user and not line.gvbm_signed):
                continue
            if role == X.ROLE_GVCN and homeroom != user:
                continue
            counts[role] += 1
        return counts.most_common(1)[0][0] if counts else False

    @api.depends("role")
    def _compute_is_issuance(self):
        for wizard in self:
            wizard.is_issuance = wizard.role == X.ROLE_ISSUER

    @api.depends("record_ids")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = len(wizard.record_ids)

    @api.depends("role", "record_ids")
    def _compute_allowed_certificates(self):
        Cert = self.env["hocbaso.signing.certificate"]
        for wizard in self:
            companies = wizard.record_ids.company_id or self.env.company
            if wizard.role == X.ROLE_ISSUER:
                domain = [("kind", "=", "organisation"), ("company_id", "in", companies.ids)]
            else:
                domain = [("kind", "=", "personal"), ("user_id", "=", self.env.uid),
                          ("company_id", "in", companies.ids)]
            wizard.allowed_certificate_ids = Cert.search(domain)

    @api.onchange("role", "record_ids")
    def _onchange_role(self):
        allowed = self.allowed_certificate_ids
        if self.certificate_id not in allowed:
            valid = allowed.filtered(lambda c: c.status == "valid")
            self.certificate_id = (valid or allowed)[:1]

    # --- the secret: never stored --------------------------------------------------------
    def _compute_secret(self):
        for wizard in self:
            wizard.secret = False

    def _inverse_secret(self):
        """Nothing is kept: the value reaches the button through its context only."""

    def _take_secret(self):
        secret = self.env.context.get("hocbaso_secret") or ""
        return secret

    # --- signing -------------------------------------------------------------------------
    def _check_ready(self):
        self.ensure_one()
        if not self.record_ids:
            raise UserError(_("There is no record to sign."))
        if not self.certificate_id:
            raise UserError(_("Choose the certificate to sign with. If you have none, ask the "
                              "school administrator to register yours."))
        if self.certificate_id not in self.allowed_certificate_ids:
            raise AccessError(_("You cannot sign with the certificate %(cert)s.",
                                cert=self.certificate_id.display_name))
        if not self.env.user.has_group(ROLE_GROUPS[self.role]):
            raise AccessError(_("You do not hold the role you want to sign as."))
        self.certificate_id._check_usable()

    def _split_waiting(self):
        """(records waiting for my signature in this role, results of the others): a record
        past my step or not yet at it is skipped, not a failure."""
        waiting = self.record_ids.filtered_domain(
            self.env["hocbaso.record"]._waiting_domain(self.env.user, self.role))
        role = dict(self._fields["role"]._description_selection(self.env))[self.role]
        skipped = []
        for record in self.record_ids - waiting:  # a loop: _() finds the language in self
            skipped.append((record, "skipped", _(
                "Not waiting for your signature as %(role)s: the record is %(state)s.",
                role=role, state=record._state_label(record.state))))
        return waiting, skipped

    def action_sign(self):
        self.ensure_one()
        self._check_ready()
        waiting, skipped = self._split_waiting()
        if not waiting:  # nothing to open the key for
            return self._show_results(skipped)
        secret = self._take_secret()
        if not secret:
            raise UserError(_("Enter the PIN of your token or the password of your certificate "
                              "file."))
        try:
            signer = open_signer(self.certificate_id, secret)
        except HocbasoError as err:
            raise UserError(_("Nothing was signed: %(problem)s",
                              problem=lib_message(self.env, err))) from err
        finally:
            secret = None
        try:
            results = self._sign_all(signer, waiting)
        finally:
            signer.close()
        return self._show_results(results + skipped)

    def _sign_all(self, signer, records):
        results = []
        total, done = len(records), 0
        for chunk in split_every(PROGRESS_EVERY, records.ids, records.browse):
            results.extend(self._sign_chunk(chunk, signer))
            done += len(chunk)
            if total > PROGRESS_EVERY:
                _logger.info("Signing as %s: %s of %s records done", self.role, done, total)
                notify_progress(self.env, _("Signing records"), done, total)
        return results

    def _sign_chunk(self, records, signer):
        """Sign ``records`` in one batch; if the batch as a whole fails (a record locked by
        another session, say), sign them one by one so each gets its own result."""
        try:
            with self.env.cr.savepoint():
                failures = records._sign_batch(self.role, signer, self.certificate_id)
        except (UserError, AccessError, ValidationError, HocbasoError):
            return [self._sign_one(record, lambda r: r._sign(self.role, signer,
                                                             self.certificate_id))
                    for record in records]
        return [(record, "error", self._error_text(failures[record.id]))
                if record.id in failures else (record, "signed", "") for record in records]

    def _error_text(self, err):
        if isinstance(err, HocbasoError):
            return lib_message(self.env, err)
        return err.args[0] if err.args else str(err)

    def _sign_one(self, record, sign):
        try:
            with self.env.cr.savepoint():
                sign(record)
        except (UserError, AccessError, ValidationError, HocbasoError) as err:
            return (record, "error", self._error_text(err))
        return (record, "signed", "")

    def _show_results(self, results, state="done"):
        self.result_ids.unlink()
        counts = {"signed": sum(1 for r in results if r[1] == "signed"), "total": len(results),
                  "skipped": sum(1 for r in results if r[1] == "skipped"),
                  "errors": sum(1 for r in results if r[1] == "error")}
        # the seal holder reads what she did: issued, not signed (the walk of the demo)
        summary = _("%(signed)s of %(total)s records issued, %(skipped)s skipped (not "
                    "waiting for you), %(errors)s not issued.", **counts) if self.is_issuance \
            else _("%(signed)s of %(total)s records signed, %(skipped)s skipped (not "
                   "waiting for you), %(errors)s not signed.", **counts)
        self.write({
            "state": state,
            "result_ids": [(0, 0, {"record_id": record.id, "status": status, "message": message})
                           for record, status, message in results],
            "summary": summary,
        })
        return self._reopen()

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new",
                "name": _("Issue Records") if self.is_issuance else _("Sign Records")}


class HocbasoSignWizardResult(models.TransientModel):
    _name = "hocbaso.sign.wizard.result"
    _description = "Signing Result"
    _order = "status, id"

    wizard_id = fields.Many2one("hocbaso.sign.wizard", required=True, ondelete="cascade",
                                index=True)
    record_id = fields.Many2one("hocbaso.record")
    status = fields.Selection([("error", "Not Signed"), ("skipped", "Skipped"),
                               ("signed", "Signed")])
    message = fields.Char()
