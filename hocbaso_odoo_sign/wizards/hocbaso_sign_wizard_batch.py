"""The signing wizard's batch paths: one approval on the phone (a remote signing service) or
one PIN on a USB token at the user's own computer (the local agent, driven from the browser)
for every signature of the selection."""

from odoo import api, fields, models, _
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError
from hocbaso.signing.providers import th_secret

from odoo.addons.hocbaso_odoo.tools import lib_message

from ..models.hocbaso_sign_batch import FINAL_STATES
from ..tools.backends import certificate_pem


class HocbasoSignWizard(models.TransientModel):
    _inherit = "hocbaso.sign.wizard"

    state = fields.Selection(selection_add=[("batch_wait", "Waiting for Approval")],
                             ondelete={"batch_wait": "set default"})
    batch_ids = fields.Many2many("hocbaso.sign.batch", string="Signing Batches", readonly=True)
    batch_summary = fields.Text(compute="_compute_batch_summary")
    otp = fields.Char(
        string="One-Time Code", compute="_compute_otp", inverse="_inverse_otp",
        help="The code of your authenticator app, for this request only; never stored.")
    approval = fields.Selection([("app", "Approve in the App"), ("otp", "One-Time Code"),
                                 ("pin", "PIN")], compute="_compute_approval")

    @api.depends("batch_ids.state", "batch_ids.summary")
    def _compute_batch_summary(self):
        for wizard in self:
            lines = []
            for batch in wizard.batch_ids:
                code = batch.transaction_code or batch.transaction_ref or ""
                lines.append(_("Batch %(batch)s (%(state)s), transaction code %(code)s: "
                               "%(summary)s", batch=batch.id, state=batch._state_label(),
                               code=code or _("none"), summary=batch.summary or ""))
            wizard.batch_summary = "\n".join(lines)

    def _compute_otp(self):
        for wizard in self:
            wizard.otp = False

    def _inverse_otp(self):
        """Nothing is kept: the code reaches the button through its context only."""

    @api.depends("certificate_id")
    def _compute_approval(self):
        for wizard in self:
            provider = wizard.certificate_id.sudo().provider_id
            approval = "app"
            if wizard.certificate_id.backend == "remote" and provider:
                approval = provider._approval()
            wizard.approval = approval

    @api.onchange("role", "record_ids")
    def _onchange_role(self):
        """The certificate the user last signed with in this role, when it may sign here."""
        result = super()._onchange_role()
        last = self.env["hocbaso.sign.choice"]._last(self.role)
        if last and last in self.allowed_certificate_ids and last.status == "valid":
            self.certificate_id = last
        return result

    # --- signing -------------------------------------------------------------------------
    def action_sign(self):
        self.ensure_one()
        cert = self.certificate_id
        if cert.backend == "agent":
            raise UserError(_("This certificate's key is on a USB token at your computer: "
                              "press Sign with the USB token on my computer (the signing "
                              "program must be running)."))
        if cert.backend == "remote":
            return self._batch_start()
        result = super().action_sign()
        if cert and self.state == "done" and any(r.status == "signed" for r in self.result_ids):
            self.env["hocbaso.sign.choice"]._remember(self.role, cert)
        return result

    def _batch_start(self):
        """Prepare the batch, split it at the service's limit and send each part."""
        self._check_ready()
        secret = self._take_secret()
        if self.approval == "otp":
            otp = self.env.context.get("hocbaso_otp") or ""
            if not (secret and otp):
                raise UserError(_("Enter your password at the signing service and the one-time "
                                  "code of your authenticator app."))
            secret = th_secret(secret, otp)
        elif self.approval == "pin" and not secret:
            raise UserError(_("Enter your signing PIN at the signing service."))
        try:
            batch = self.env["hocbaso.sign.batch"]._start(self.record_ids, self.role,
                                                          self.certificate_id, "provider")
            batches = batch
            if batch.state == "draft":
                client = batch.sudo().provider_id._client()
                try:
                    size = client.max_batch
                finally:
                    client.close()
                batches = batch._split(size)
                for part in batches:
                    part._submit(secret)
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        finally:
            secret = None
        self.batch_ids = [(6, 0, batches.ids)]
        return self._batch_show()

    def _batch_show(self):
        """The results once every batch is closed; the codes to compare while they wait."""
        batches = self.batch_ids
        if batches and all(batch.state in FINAL_STATES for batch in batches):
            return self._show_results(self._batch_results(batches))
        self.state = "batch_wait"
        return self._reopen()

    def _batch_results(self, batches):
        """(record, status, message) per record: the first failure of a record wins."""
        by_record = {}
        status_of = {"signed": "signed", "skipped": "skipped"}
        for item in batches.sudo().item_ids:
            status = status_of.get(item.state, "error")
            message = item.message or ""
            if item.state == "pending":
                message = _("Not signed: the request was not approved.")
            known = by_record.get(item.record_id.id)
            if known is None or (known[1] in ("signed", "skipped") and status == "error"):
                by_record[item.record_id.id] = (item.record_id.with_env(self.env), status,
                                                message)
        return list(by_record.values())

    def action_refresh_batch(self):
        """Ask the service now and show where the batches are."""
        self.ensure_one()
        for batch in self.batch_ids.filtered(lambda b: b.state == "waiting"):
            batch.action_poll()
        return self._batch_show()

    def action_show_batch(self):
        """Show where the batches are, without asking the service (the browser calls it when
        the server tells it a batch of this window changed)."""
        self.ensure_one()
        return self._batch_show()

    def action_cancel_batch(self):
        self.ensure_one()
        self.batch_ids.filtered(lambda b: b.state in ("draft", "waiting")).action_cancel()
        return self._batch_show()

    # --- the agent channel: the token at the user's computer -----------------------------
    def action_agent_prepare(self):
        """Prepare the batch for the user's local agent (called by the browser component).

        Returns {"batch_id", "certificate": {"pem", "sha256"}, "items": [{doc_id, digest,
        label}]}; the browser hands the items to the agent and the agent's signatures to
        ``hocbaso.sign.batch.action_agent_complete``. Called again after a batch of a homeroom
        teacher's own subjects, it prepares her homeroom signatures."""
        self.ensure_one()
        if self.create_uid != self.env.user:
            raise UserError(_("This signing window belongs to another user."))
        self._check_ready()
        if self.certificate_id.backend != "agent":
            raise UserError(_("This certificate's key is not on a USB token at your "
                              "computer."))
        batch = self.env["hocbaso.sign.batch"]._start(self.record_ids, self.role,
                                                      self.certificate_id, "agent")
        self.batch_ids = [(4, batch.id)]
        items = batch._items_for_signing()
        if items:
            batch._set_batch_state("waiting")
        certificate = self.certificate_id.sudo()
        return {"batch_id": batch.id,
                "certificate": {"pem": certificate_pem(certificate._x509()),
                                "sha256": certificate.fingerprint},
                "items": items, "summary": batch.summary}
