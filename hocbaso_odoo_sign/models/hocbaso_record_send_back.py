"""Correction before issuance, in the signed document: the signatures past the point of
correction leave the XML (the log keeps them, marked withdrawn); the others are carried into
the document rebuilt from the corrected results and checked again there."""

from odoo import fields, models, _
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError
from hocbaso.signing import withdraw as W

from odoo.addons.hocbaso_odoo.tools import lib_message, workflow


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _lock_rows_for_send_back(self):
        self._lock_for_signing()

    def _withdraw_signatures(self, lines, reason):
        self.ensure_one()
        xml = self._get_xml()
        if not xml:
            return []
        try:
            ids = W.signature_ids_after(xml, lines.mapped("subject_code"))
            document = W.withdraw(xml, ids)
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        log = self.sudo().signature_ids.filtered(
            lambda entry: entry.signature_ref in ids and not entry.withdrawn_on)
        with workflow(self.env):
            log.write({"withdrawn_on": fields.Datetime.now(), "withdrawn_by": self.env.user.id,
                       "withdraw_reason": reason})
        self._store_xml(document)
        env = self.env(context=dict(self.env.context, lang=self._hocbaso_reader_lang()))
        labels = dict(log._fields["role"]._description_selection(env))
        withdrawn = []
        for entry in log:
            role = labels[entry.role]
            if entry.subject_id:
                role = f"{role} – {entry.subject_id.with_env(env).name}"
            withdrawn.append(_("%(role)s (%(user)s)", role=role, user=entry.user_id.name))
        return withdrawn

    def _refresh_document(self):
        self.ensure_one()
        signed = self._get_xml()
        if not signed or self.state == "draft":
            return super()._refresh_document()
        rebuilt = self._build_xml()
        try:
            document = W.carry_over(signed, rebuilt)
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        self._store_xml(document)
