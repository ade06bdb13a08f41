"""Sealed once signed: what a signature covers changes by no door but the workflow's own."""

from odoo import api, models, _
from odoo.exceptions import UserError

from ..tools import in_workflow


class HocbasoSealedMixin(models.AbstractModel):
    """The record and everything that belongs to it (subject lines, certificates, signature
    log...): refuses every write, create and unlink from outside once the record carries a
    signature, and the fields the system computes on a draft too. ``write``, ``create``,
    ``unlink``, ``copy``, import and ``/web/dataset/call_kw`` all end here. The workflow's
    code writes inside :func:`hocbaso_odoo.tools.sealing.workflow`."""

    _name = "hocbaso.sealed.mixin"
    _description = "Sealed Once Signed"

    # --- hooks for the models that use it ------------------------------------------------------
    def _hocbaso_system_fields(self):
        """Names of the fields only the workflow writes, even on a draft: every stored field
        shown read-only, which is what the system computes or sets (the document, its hash,
        the states, the version, what is related...). One fact: the field's own readonly."""
        return {name for name, field in self._fields.items()
                if field.store and field.readonly and name not in models.MAGIC_COLUMNS}

    def _hocbaso_owner(self):
        """The hocbaso.record each row belongs to (the record itself on hocbaso.record)."""
        return self.mapped("record_id")

    @api.model
    def _hocbaso_owner_of_vals(self, vals):
        return self.env["hocbaso.record"].browse(vals.get("record_id") or [])

    def _hocbaso_open_rows(self):
        """Rows that stay writable although their record is signed (a subject line sent back
        for correction); none by default."""
        return self.browse()

    # --- the checks ----------------------------------------------------------------------------
    def _hocbaso_refuse_system(self, names):
        system = sorted(self._hocbaso_system_fields().intersection(names))
        if system:
            env = self.env(context=dict(self.env.context, lang=self._hocbaso_reader_lang()))
            labels = ", ".join(self._fields[name]._description_string(env) for name in system)
            raise UserError(_(
                "%(fields)s: set by the school records workflow, not by hand. Use the "
                "record's buttons (lock, sign, issue, revoke, correct) instead.", fields=labels))

    def _hocbaso_refuse_sealed(self, records):
        """Refuse when one of ``records`` (hocbaso.record) carries a signature."""
        for record in records:
            if record._is_signed():
                hint = (_("Create a corrected version instead.")
                        if record.state in ("issued", "revoked", "superseded")
                        else _("Ask the principal or the homeroom teacher to send it back for "
                               "correction."))
                raise UserError(_(
                    "The record of %(student)s is signed (%(state)s): nobody can change it, "
                    "its subjects, certificates or signatures any more. %(hint)s",
                    student=record.student_id.name, state=record._state_label(record.state),
                    hint=hint))

    def _hocbaso_reader_lang(self):
        # an RPC caller's context may carry no language: the user's own then
        return self.env.lang or self.env.user.lang

    def _hocbaso_check_rows(self, names=None):
        if in_workflow(self.env):
            return
        if names is not None:
            self._hocbaso_refuse_system(names)
        self._hocbaso_refuse_sealed((self - self._hocbaso_open_rows())._hocbaso_owner())

    def write(self, vals):
        if not in_workflow(self.env):
            self.check_access("write")  # who may not write at all hears that first
            self._hocbaso_check_rows(vals)
        return super().write(vals)

    @api.model_create_multi
    def create(self, vals_list):
        if not in_workflow(self.env):
            self.check_access("create")
            for vals in vals_list:
                self._hocbaso_refuse_system(vals)
                self._hocbaso_refuse_sealed(self._hocbaso_owner_of_vals(vals))
        return super().create(vals_list)

    def copy(self, default=None):
        # a record is made by generating it for a class or as a corrected version, never as a
        # copy (a copy of a signed record would look signed-for content nobody signed)
        if not in_workflow(self.env):
            raise UserError(_("%(what)s cannot be duplicated. Generate the records of a class, "
                              "or create a corrected version of an issued record.",
                              what=self._description_in_reader_lang()))
        return super().copy(default)

    def _description_in_reader_lang(self):
        env = self.env(context=dict(self.env.context, lang=self._hocbaso_reader_lang()))
        return env["ir.model"]._get(self._name).name

    def unlink(self):
        if not in_workflow(self.env):
            self.check_access("unlink")
            self._hocbaso_check_rows()
        return super().unlink()
