"""A signing batch: one transaction (one approval on the phone, one PIN on a token) for many
signatures, as the school sees it.

The server prepares every signature and keeps the pending documents in the batch's items;
only the digests leave it. Results come back later (the provider's answer to a poll or its
webhook, or the user's local agent) and are applied once each, after each value is checked
against the certificate and the exact SignedInfo (``hocbaso_sign_batch_apply.py``).

A homeroom teacher whose own subjects of a record are still unsigned: her homeroom signature
covers those subjects' signature values, which do not exist before she approves. The batch
carries her subject signatures; once they are applied the records wait for her homeroom
signature, and the same wizard (or the next prepare call of her agent) makes a second batch
for them. The batch says so (``follow_up``) in its summary.
"""

import base64
import hashlib
import json

from odoo import api, fields, models, _
from odoo.exceptions import AccessError, UserError

from hocbaso import roles
from hocbaso.errors import HocbasoError
from hocbaso.signing import xmldsig as X
from hocbaso.timeutil import signing_now

from odoo.addons.hocbaso_odoo.tools import lib_message


BATCH_STATES = [
    ("draft", "Prepared"),
    ("waiting", "Waiting for Approval"),
    ("done", "Signed"),
    ("partial", "Partly Signed"),
    ("rejected", "Rejected"),
    ("expired", "Expired"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
FINAL_STATES = ("done", "partial", "rejected", "expired", "failed", "cancelled")
TRANSITIONS = {
    "draft": {"waiting", *FINAL_STATES},
    "waiting": set(FINAL_STATES),
}
ROLE_GROUPS = {role.code: role.group for role in roles.ROLES}
CHANNEL_BACKEND = {"provider": "remote", "agent": "agent"}


class HocbasoSignBatch(models.Model):
    _name = "hocbaso.sign.batch"
    _description = "Signing Batch"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    user_id = fields.Many2one("res.users", string="Signer", required=True, index=True,
                              readonly=True)
    company_id = fields.Many2one("res.company", string="School", required=True, index=True,
                                 readonly=True)
    role = fields.Selection(roles.SELECTION, string="Sign As", required=True, readonly=True)
    certificate_id = fields.Many2one("hocbaso.signing.certificate", required=True,
                                     readonly=True, ondelete="restrict")
    channel = fields.Selection([("provider", "Remote Signing Service"),
                                ("agent", "USB Token on My Computer")], required=True,
                               readonly=True)
    provider_id = fields.Many2one("hocbaso.signing.provider", readonly=True)
    state = fields.Selection(BATCH_STATES, default="draft", required=True, readonly=True,
                             index=True)
    transaction_ref = fields.Char(string="Transaction Reference", readonly=True, index=True,
                                  copy=False)
    transaction_code = fields.Char(readonly=True, copy=False,
                                   help="The code the phone app shows for this batch.")
    expires_at = fields.Datetime(string="Expires", readonly=True)
    item_ids = fields.One2many("hocbaso.sign.batch.item", "batch_id", string="Documents",
                               readonly=True)
    item_count = fields.Integer(string="Signatures", compute="_compute_counts")
    signed_count = fields.Integer(string="Signed", compute="_compute_counts")
    pending_count = fields.Integer(string="Waiting", compute="_compute_counts")
    failed_count = fields.Integer(string="Not Signed", compute="_compute_counts")
    skipped_count = fields.Integer(string="Skipped", compute="_compute_counts")
    unknown_count = fields.Integer(string="Unknown Answers", readonly=True,
                                   help="Answers for document codes this batch never sent.")
    follow_up = fields.Boolean(
        string="Homeroom Signatures Follow", readonly=True,
        help="Your own subjects were signed first; your homeroom signatures of these records "
             "follow in a second batch.")
    summary = fields.Char(readonly=True)
    message = fields.Char(readonly=True)
    done_at = fields.Datetime(string="Finished", readonly=True)

    @api.depends("create_date")
    def _compute_name(self):
        for batch in self:
            batch.name = _("Signing batch %(number)s", number=batch.id or "")

    @api.depends("item_ids.state")
    def _compute_counts(self):
        for batch in self:
            states = batch.item_ids.mapped("state")
            signable = [state for state in states if state != "skipped"]
            batch.item_count = len(signable)
            batch.signed_count = states.count("signed")
            batch.pending_count = states.count("pending")
            batch.failed_count = states.count("refused") + states.count("error")
            batch.skipped_count = states.count("skipped")

    # --- the state machine ---------------------------------------------------------------
    def _set_batch_state(self, state, message=None):
        """Move to ``state`` if the state machine allows it (a final state stays final)."""
        for batch in self.sudo():
            if state == batch.state:
                continue
            if state not in TRANSITIONS.get(batch.state, ()):
                raise UserError(_("The signing batch %(batch)s is %(state)s already.",
                                  batch=batch.id, state=batch._state_label()))
            vals = {"state": state}
            if state in FINAL_STATES:
                vals["done_at"] = fields.Datetime.now()
            if message is not None:
                vals["message"] = message
            batch.write(vals)
            batch._write_summary()

    def _state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _write_summary(self):
        for batch in self.sudo():
            text = batch.env._(
                "%(signed)s of %(total)s signatures made, %(failed)s not made, %(skipped)s "
                "records skipped.", signed=batch.signed_count, total=batch.item_count,
                failed=batch.failed_count, skipped=batch.skipped_count)
            if batch.state == "waiting":
                text = batch.env._("Waiting for approval on the phone: %(count)s signatures.",
                                   count=batch.pending_count)
            elif batch.state == "rejected":
                text = batch.env._("You rejected the request: nothing was signed.")
            elif batch.state == "expired":
                text = batch.env._("The request expired before it was approved: nothing was "
                                   "signed. Start the signing again.")
            if batch.follow_up and batch.state in ("done", "partial"):
                text += " " + batch.env._("Your homeroom signatures of these records follow: "
                                          "sign them again as homeroom teacher.")
            batch.summary = text

    def _finalize(self):
        """Close the batch from its items: done, partly done or failed."""
        for batch in self.sudo():
            if batch.state in FINAL_STATES:
                continue
            if batch.signed_count and batch.signed_count == batch.item_count:
                state = "done"
            elif batch.signed_count:
                state = "partial"
            else:
                state = "failed"
            batch._set_batch_state(state)
            batch._notify_done()

    def _notify_done(self):
        """Tell the signer in the web client, now or when she next looks."""
        for batch in self.sudo():
            env = batch.with_context(lang=batch.user_id.lang).env
            kind = {"done": "success", "partial": "warning"}.get(batch.state, "danger")
            batch.user_id._bus_send("simple_notification", {
                "type": kind, "sticky": batch.state != "done",
                "title": env._("Signing batch %(number)s: %(state)s", number=batch.id,
                               state=batch.with_env(env)._state_label()),
                "message": batch.summary or "",
            })
            batch.user_id._bus_send("hocbaso_sign_batch", {"batch_id": batch.id,
                                                           "state": batch.state})

    # --- access --------------------------------------------------------------------------
    def _check_owner(self):
        """Only the signer herself acts on her batch (the administrator only reads it)."""
        for batch in self.sudo():
            if batch.user_id != self.env.user:
                raise AccessError(_("This signing batch belongs to another user."))

    # --- starting a batch ----------------------------------------------------------------
    @api.model
    def _one_school(self, records, certificate):
        """The school of ``records``, refused unless they and ``certificate`` are all one
        school's."""
        company = records[:1].company_id
        if records.company_id != company or certificate.company_id != company:
            raise UserError(_("Sign the records of one school at a time, with that school's "
                              "certificate."))
        return company

    @api.model
    def _start(self, records, role, certificate_record, channel):
        """Prepare every signature ``self.env.user`` owes ``records`` as ``role`` and keep them
        in a new batch (records not waiting for her are listed as skipped, with the reason).

        Rows are locked only for the preparation (this transaction); nothing waits on them
        while the signer approves."""
        user = self.env.user
        if channel not in CHANNEL_BACKEND:
            raise UserError(_("Unknown signing channel."))
        if role not in ROLE_GROUPS or not user.has_group(ROLE_GROUPS[role]):
            raise AccessError(_("You do not hold the role you want to sign as."))
        certificate = certificate_record.sudo()
        if certificate.backend != CHANNEL_BACKEND[channel]:
            raise UserError(_("The certificate %(cert)s is not used this way; choose the "
                              "certificate of your token or of your signing service.",
                              cert=certificate.display_name))
        if channel == "provider" and not certificate.provider_id:
            raise UserError(_("The certificate %(cert)s names no signing service. Ask the "
                              "school administrator to set it.", cert=certificate.display_name))
        certificate._check_usable()
        records = records.exists()
        if not records:
            raise UserError(_("There is no record to sign."))
        company = self._one_school(records, certificate)
        waiting = records.filtered_domain(records._waiting_domain(user, role))
        batch = self.sudo().create({
            "user_id": user.id, "company_id": company.id, "role": role,
            "certificate_id": certificate.id, "channel": channel,
            "provider_id": certificate.provider_id.id if channel == "provider" else False,
        })
        items = self._skipped_items(records - waiting, role)
        prepared, follow_up = self._prepare_items(waiting, role, certificate)
        items += prepared
        for sequence, vals in enumerate(items):
            vals.update(batch_id=batch.id, sequence=sequence)
        self.env["hocbaso.sign.batch.item"].sudo().create(items)
        batch.follow_up = follow_up
        if not batch.item_count:
            batch._set_batch_state("failed", _("Nothing in the selection waits for your "
                                               "signature."))
        else:
            batch._write_summary()
        self.env["hocbaso.sign.choice"]._remember(role, certificate)
        return batch.with_env(self.env)

    @api.model
    def _skipped_items(self, records, role):
        label = records._role_label(role)
        items = []
        for record in records:  # a loop: _() finds the language in self
            items.append({
                "record_id": record.id, "role": role, "state": "skipped",
                "label": record.display_name,
                "message": _("Not waiting for your signature as %(role)s: the record is "
                             "%(state)s.", role=label, state=record._state_label(record.state)),
            })
        return items

    @api.model
    def _prepare_items(self, records, role, certificate):
        """(item values, follow_up): every slot prepared on the record's current document."""
        user, x509_cert = self.env.user, certificate._x509()
        records._lock_for_signing()
        moment = signing_now()
        taken, items, follow_up = set(), [], False
        for record in records:
            try:
                codes = record._check_signer(role, user, certificate, own_subjects=True,
                                             check_certificate=False)
                if role == X.ROLE_GVCN and codes != [None]:
                    codes = [code for code in codes if code]  # her subjects now, GVCN next
                    follow_up = True
                xml = record._get_xml()
                base = hashlib.sha256(xml).hexdigest()
                lines = {line.subject_code: line for line in record.line_ids}
                for code in codes:
                    slot_role = X.ROLE_GVBM if code else role
                    pending = X.prepare_signature(xml, slot_role, x509_cert, code,
                                                  signing_time=moment)
                    subject = lines[code].subject_id if code else None
                    items.append({
                        "record_id": record.id, "role": slot_role, "subject_code": code,
                        "subject_id": subject.id if subject else False,
                        "doc_id": self.env["hocbaso.sign.batch.item"]._doc_id_for(
                            record, code, slot_role, taken),
                        "label": self._item_label(record, subject, slot_role),
                        "record_version": record.version,
                        "pending_json": json.dumps(pending.to_dict()), "base_sha256": base,
                        "digest": base64.b64encode(pending.digest).decode(),
                    })
            except (UserError, AccessError) as err:
                items.append({"record_id": record.id, "role": role, "state": "error",
                              "label": record.display_name, "message": err.args[0]})
            except HocbasoError as err:
                items.append({"record_id": record.id, "role": role, "state": "error",
                              "label": record.display_name,
                              "message": lib_message(self.env, err)})
        return items, follow_up

    @api.model
    def _item_label(self, record, subject, role):
        what = subject.name if subject else record._role_label(role)
        return _("%(student)s, class %(klass)s: %(what)s", student=record.student_id.name,
                 klass=record.class_id.name, what=what)

    # --- what the key signs --------------------------------------------------------------
    def _items_for_signing(self):
        """[{doc_id, digest (base64), label}] of the items still waiting for a signature."""
        self.ensure_one()
        return [{"doc_id": item.doc_id, "digest": item.digest, "label": item.label}
                for item in self.sudo().item_ids if item.state == "pending"]

    def action_cancel(self):
        self._check_owner()
        for batch in self:
            if batch.state not in ("draft", "waiting"):
                raise UserError(_("Only a batch still waiting can be cancelled."))
            pending = batch.sudo().item_ids.filtered(lambda item: item.state == "pending")
            pending.write({"state": "error", "message": _("Cancelled: not signed.")})
            batch._set_batch_state("cancelled")
        return True
