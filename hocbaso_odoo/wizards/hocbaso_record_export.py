"""Batch export: one zip holding the record package of every selected record (or every issued
record of a class or of the school), with a manifest listing what was exported and skipped."""

import base64
import datetime as dt
import hashlib
import json
import tempfile
import zipfile

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..models.hocbaso_record_package import PACKAGE_FORMAT, _safe_name
from ..tools import notify_progress

EXPORT_FORMAT = "hocbaso-export-1.0"
CHUNK_SIZE = 20


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
    record_ids = fields.Many2many("hocbaso.record", string="Records", check_company=True)
    class_id = fields.Many2one("hocbaso.class", string="Class", check_company=True)
    school_year_id = fields.Many2one("hocbaso.school.year", string="School Year",
                                     help="Only this school year (school scope); empty for all.")
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft", required=True)
    export_file = fields.Binary(string="Export", readonly=True, attachment=True)
    export_filename = fields.Char(readonly=True)
    exported_count = fields.Integer(readonly=True)
    skipped_count = fields.Integer(readonly=True)
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
        stamp = fields.Datetime.context_timestamp(self, fields.Datetime.now()).strftime("%Y%m%d_%H%M")
        return f"hocba_export_{_safe_name(label)}_{stamp}.zip"

    def _build_export(self, records):
        """(zip bytes, exported, skipped) — built chunk by chunk on disk, not in memory."""
        exported, skipped, used_names = [], [], set()
        ids = records.ids
        Record = self.env["hocbaso.record"]
        with tempfile.TemporaryFile() as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                for start in range(0, len(ids), CHUNK_SIZE):
                    chunk = Record.browse(ids[start:start + CHUNK_SIZE])
                    done = Record.browse()
                    for record in chunk:
                        if not record.sudo()._get_xml():
                            skipped.append({"record_id": record.id, "record_uuid": record.record_uuid,
                                            "version": record.version,
                                            "student": record.student_id.name,
                                            "state": record.state,
                                            "reason": "no record XML (results not locked)"})
                            continue
                        package = record._build_package()
                        name = "packages/" + record._package_filename()
                        if name in used_names:
                            name = f"packages/{record.id}_{record._package_filename()}"
                        used_names.add(name)
                        archive.writestr(name, package)  # packages are zips already
                        done |= record
                        exported.append({
                            "file": name, "record_id": record.id, "record_uuid": record.record_uuid,
                            "version": record.version, "student": record.student_id.name,
                            "personal_id": record.student_id.personal_id,
                            "class": record.class_id.name, "school_year": record.school_year_id.name,
                            "state": record.state, "size": len(package),
                            "sha256": hashlib.sha256(package).hexdigest(),
                        })
                    if done:
                        done._log_access("download_package", detail=_("batch export"))
                    notify_progress(self.env, _("Record export"),
                                    min(start + CHUNK_SIZE, len(ids)), len(ids))
                    # free the chunk's cache (PDFs and XMLs) before the next one
                    self.env.invalidate_all()
                manifest = {
                    "format": EXPORT_FORMAT, "package_format": PACKAGE_FORMAT,
                    "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                    "school": {"name": self.company_id.name,
                               "code": self.company_id.hocbaso_school_code or ""},
                    "scope": self.scope,
                    "class": self.class_id.name or None,
                    "exported_count": len(exported), "skipped_count": len(skipped),
                    "packages": exported, "skipped": skipped,
                }
                archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            handle.seek(0)
            return handle.read(), exported, skipped

    def action_export(self):
        self.ensure_one()
        records = self._records_to_export()
        data, exported, skipped = self._build_export(records)
        if not exported:
            raise UserError(_("None of the %(count)s records has a document to export yet: lock "
                              "their results first.", count=len(skipped)))
        lines = [_("%(count)s record packages exported.", count=len(exported))]
        if skipped:
            lines.append(_("%(count)s records skipped (no record XML yet): %(names)s",
                           count=len(skipped), names=", ".join(s["student"] for s in skipped)))
        self.write({
            "state": "done", "export_file": base64.b64encode(data),
            "export_filename": self._export_name(), "exported_count": len(exported),
            "skipped_count": len(skipped), "summary": "\n".join(lines),
        })
        return {
            "type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
            "view_mode": "form", "target": "new", "name": _("Export Records"),
        }

    def action_download(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url", "target": "self",
            "url": f"/web/content/{self._name}/{self.id}/export_file/{self.export_filename}?download=true",
        }
