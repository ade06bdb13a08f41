"""Lock the results of a whole class in one action: each record through its own lock
transition (``hocbaso.record.action_lock``), the ones not ready skipped with the reason."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from hocbaso.errors import HocbasoError

from ..tools.lib_errors import lib_message


class HocbasoRecordLock(models.TransientModel):
    _name = "hocbaso.record.lock"
    _description = "Lock Results of Several Records"

    record_ids = fields.Many2many("hocbaso.record", string="Records")
    record_count = fields.Integer(compute="_compute_record_count")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    summary = fields.Char(readonly=True)
    result_ids = fields.One2many("hocbaso.record.lock.result", "wizard_id", string="Results")

    @api.model
    def default_get(self, fields_list):
        vals = super().default_get(fields_list)
        ctx = self.env.context
        if "record_ids" in fields_list and not vals.get("record_ids") and \
                ctx.get("active_model") == "hocbaso.record" and ctx.get("active_ids"):
            vals["record_ids"] = [(6, 0, ctx["active_ids"])]
        return vals

    @api.depends("record_ids")
    def _compute_record_count(self):
        for wizard in self:
            wizard.record_count = len(wizard.record_ids)

    def action_lock(self):
        self.ensure_one()
        results = []
        # without reading them first: a record the user may not read fails on its own
        for record in self.with_context(active_test=False).record_ids.with_env(self.env):
            # a loop: _() finds the language in self
            try:
                state = record.state
            except AccessError as err:  # another class's record: not hers to lock
                results.append((record, "error", err.args[0]))
                continue
            if state != "draft":
                results.append((record, "skipped", _(
                    "Already %(state)s.", state=record._state_label(state))))
                continue
            try:
                with self.env.cr.savepoint():
                    record.action_lock()
            except AccessError as err:
                results.append((record, "error", err.args[0]))
            except HocbasoError as err:
                results.append((record, "error", lib_message(self.env, err)))
            except UserError as err:  # the record's own check: not ready, and why
                results.append((record, "skipped", err.args[0]))
            else:
                results.append((record, "locked", ""))
        self.write({
            "state": "done",
            "result_ids": [(0, 0, {"record_id": record.id, "status": status, "message": message})
                           for record, status, message in results],
            "summary": _("%(locked)s of %(total)s records locked, %(skipped)s skipped (not "
                         "ready or already locked), %(errors)s failed.",
                         locked=sum(1 for r in results if r[1] == "locked"), total=len(results),
                         skipped=sum(1 for r in results if r[1] == "skipped"),
                         errors=sum(1 for r in results if r[1] == "error")),
        })
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new", "name": _("Lock Results")}


class HocbasoRecordLockResult(models.TransientModel):
    _name = "hocbaso.record.lock.result"
    _description = "Result of Locking a Record"
    _order = "status, id"

    wizard_id = fields.Many2one("hocbaso.record.lock", required=True, ondelete="cascade",
                                index=True)
    record_id = fields.Many2one("hocbaso.record")
    status = fields.Selection([("error", "Failed"), ("skipped", "Skipped"),
                               ("locked", "Locked")])
    message = fields.Char()
