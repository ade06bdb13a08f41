"""Batch export: one zip holding the record package of every selected record (or every issued
record of a class or of the school), with a manifest listing what was exported and skipped.
The wizard chooses the records (with the user's rights) and queues an export job
(models/hocbaso_export_job.py), which builds the zip in the background."""

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from hocbaso import timeutil

from ..models.hocbaso_record_package import _safe_name



class HocbasoRecordExport(models.TransientModel):
    _name = "hocbaso.record.export"
    _description = "Export Record Packages"
    _check_company_auto = True

    scope = fields.Selection(
        [("selected", "Selected records"), ("class", "Issued records of a class"),
         ("school", "Issued records of the school")],
        required=True, default="selected")
    company_id = fields.Many2one("res.company", string="School", required=True,
                                 compute="_compute_company_id", store=True, readonly=False,
                                 precompute=True)
    record_ids = fields.Many2many("hocbaso.record", check_company=True)
    class_id = fields.Many2one("hocbaso.class", check_company=True)
    school_year_id = fields.Many2one("hocbaso.school.year",
                                     help="Only this school year (school scope); empty for all.")
    state = fields.Selection([("draft", "Draft"), ("queued", "Queued")], default="draft",
                             required=True)
    job_id = fields.Many2one("hocbaso.export.job", string="Export Job", readonly=True)
    summary = fields.Text(readonly=True)

    @api.depends("record_ids", "class_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = (wizard.class_id.company_id or wizard.record_ids.company_id[:1]
                                 or wizard.company_id or self.env.company)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        model, ids = context.get("active_model"), context.get("active_ids") or []
        if model == "hocbaso.record" and ids and "record_ids" in fields_list:
            values.setdefault("record_ids", [(6, 0, ids)])
            values.setdefault("scope", "selected")
        elif model == "hocbaso.class" and ids:
            klass = self.env["hocbaso.class"].browse(ids[0])
            values.update(scope="class", class_id=klass.id)
        return values

    # --- what is exported --------------------------------------------------------------------
    def _records_to_export(self):
        self.ensure_one()
        Record = self.env["hocbaso.record"]
        if self.scope == "selected":
            records = self.record_ids
        elif self.scope == "class":
            if not self.class_id:
                raise UserError(_("Choose the class to export."))
            records = Record.search([("class_id", "=", self.class_id.id), ("state", "=", "issued")])
        else:
            domain = [("company_id", "=", self.company_id.id), ("state", "=", "issued")]
            if self.school_year_id:
                domain.append(("school_year_id", "=", self.school_year_id.id))
            records = Record.search(domain)
        if not records:
            raise UserError(_("There is no record to export."))
        records.check_access("read")
        return records

    def _export_name(self):
        if self.scope == "class" and self.class_id:
            label = f"{self.class_id.name}_{self.class_id.school_year_id.name}"
        elif self.scope == "school":
            label = self.company_id.hocbaso_school_code or self.company_id.name
        else:
            label = "records"
        # the school's time when the user has no time zone set (never UTC in a file name)
        local = self.with_context(tz=self.env.user.tz or timeutil.VN_TZ.key)
        now = fields.Datetime.context_timestamp(local, fields.Datetime.now())
        stamp = now.strftime("%Y%m%d_%H%M")
        return f"hocba_export_{_safe_name(label)}_{stamp}.zip"

    def action_export(self):
        """Queue the export and return at once: a scheduled action builds the zip in the
        background and tells the user when it is ready (a school takes minutes)."""
        self.ensure_one()
        records = self._records_to_export()
        Record = self.env["hocbaso.record"].sudo()
        if not Record.search_count([("id", "in", records.ids), ("xml_sha256", "!=", False)]):
            raise UserError(_("None of the %(count)s records has a document to export yet: lock "
                              "their results first.", count=len(records)))
        job = self.env["hocbaso.export.job"]._queue(self, records)
        self.write({
            "state": "queued", "job_id": job.id,
            "summary": _("The export of %(count)s records is queued: you will be notified when "
                         "the file is ready, under My Exports.", count=len(records)),
        })
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "target": "new", "name": _("Export Records"),
        }

    def action_open_job(self):
        self.ensure_one()
        return self.job_id.get_formview_action()
