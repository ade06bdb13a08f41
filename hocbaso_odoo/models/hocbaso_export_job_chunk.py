"""One chunk of an export job: the records of a class (or part of one), printed in one
wkhtmltopdf call, their packages kept in a zip attachment until the job's zip is built."""

import hashlib
import io
import json
import logging
import tempfile
import zipfile

from odoo import _, api, fields, models

from .hocbaso_export_job import _error_text

_logger = logging.getLogger(__name__)


class HocbasoExportJobChunk(models.Model):
    _name = "hocbaso.export.job.chunk"
    _description = "Record Export Job Chunk"
    _order = "job_id, sequence"

    job_id = fields.Many2one("hocbaso.export.job", required=True, ondelete="cascade",
                             index=True, readonly=True)
    company_id = fields.Many2one(related="job_id.company_id", store=True)
    sequence = fields.Integer(readonly=True)
    record_ids = fields.Many2many("hocbaso.record", string="Records", readonly=True)
    record_count = fields.Integer(compute="_compute_record_count", store=True)
    state = fields.Selection([("todo", "To Do"), ("done", "Done")], default="todo",
                             required=True, readonly=True)
    attempts = fields.Integer(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)
    entries = fields.Text(readonly=True, help="Manifest entries of the chunk (JSON).")

    @api.depends("record_ids")
    def _compute_record_count(self):
        for chunk in self:
            chunk.record_count = len(chunk.record_ids)

    def _label(self):
        self.ensure_one()
        classes = self.sudo().record_ids.class_id
        if len(classes) == 1:
            return _("class %(name)s", name=classes.name)
        return _("part %(number)s", number=self.sequence)

    def _open_file(self):
        attachment = self.attachment_id.sudo()
        if attachment.store_fname:
            return open(attachment._full_path(attachment.store_fname), "rb")  # noqa: SIM115
        return io.BytesIO(attachment.raw)

    def _plan(self):
        """(planned, exportable, skipped entries) of the chunk, with the owner's rights (self's
        env): the records it lists, those to package, those left out and why."""
        self.ensure_one()
        planned = self.sudo().record_ids.with_env(self.env)
        readable = planned._filtered_access("read")
        skipped = [_skip_entry(record.sudo(), "no longer accessible to the exporter")
                   for record in planned - readable]
        exportable = self.env["hocbaso.record"].browse()
        for record in readable:
            if record.sudo()._get_xml():
                exportable |= record
            else:
                skipped.append(_skip_entry(record, "no record XML (results not locked)"))
        return planned, exportable, skipped

    def _start_print(self):
        """The print of the chunk's records started (HocbasoRecord._start_pdfs), for _run."""
        return self._plan()[1]._start_pdfs()

    def _start_print_ahead(self):
        """_start_print for the chunk after the one being packaged, or None when it cannot
        start now: this chunk's own step then prints it, and meets the error there."""
        try:
            with self.env.cr.savepoint():
                return self._start_print()
        except Exception as err:  # noqa: BLE001 - only an early start is given up
            _logger.warning("Export chunk %s not printed ahead: %s", self.id, err)
            return None

    def _run(self, started=None):
        """Print and package the chunk's records with the job owner's rights (self's env),
        store the packages and manifest entries, mark the chunk done: all in the caller's
        transaction, so a crash leaves the chunk to do again, never half done. ``started``:
        its print, started while the previous chunk was packaged (_start_print)."""
        self.ensure_one()
        Record = self.env["hocbaso.record"]
        planned, exportable, skipped = self._plan()
        packages = []
        if started is not None and started.records != exportable:
            started.cancel()  # a record's access or document changed in between
            started = None
        try:
            pdfs = (started or exportable._start_pdfs()).result()
        except Exception as err:  # noqa: BLE001 - print the records one by one instead
            _logger.warning("Batch print failed (%s), printing the chunk one by one", err)
            pdfs = {}
        done = Record.browse()
        with tempfile.TemporaryFile() as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                for record in exportable:
                    try:
                        with self.env.cr.savepoint():
                            package = record._build_package(pdf=pdfs.get(record.id))
                    except Exception as err:  # noqa: BLE001 - listed as skipped, with why
                        _logger.warning("Record %s not exported: %s", record.id, err)
                        skipped.append(_skip_entry(record, _error_text(err)))
                        continue
                    archive.writestr(f"{record.id}.zip", package)  # packages are zips already
                    done |= record
                    packages.append({
                        "filename": record._package_filename(), "record_id": record.id,
                        "record_uuid": record.record_uuid, "version": record.version,
                        "student": record.student_id.name,
                        "personal_id": record.student_id.personal_id,
                        "class": record.class_id.name, "school_year": record.school_year_id.name,
                        "state": record.state, "size": len(package),
                        "sha256": hashlib.sha256(package).hexdigest(),
                    })
            attachment = self.env["ir.attachment"]
            if packages:
                handle.seek(0)
                attachment = attachment.sudo().create({
                    "name": f"{self.job_id.sudo().name}.part{self.sequence:04d}.zip",
                    "raw": handle.read(), "mimetype": "application/zip",
                    "res_model": self._name, "res_id": self.id})
        if done:
            done._log_access("download_package", detail=self.env._("batch export"))
        order = {rid: index for index, rid in enumerate(planned.ids)}
        skipped.sort(key=lambda entry: order.get(entry["record_id"], 0))
        self.sudo().write({"state": "done", "attachment_id": attachment.id,
                           "entries": json.dumps({"packages": packages, "skipped": skipped},
                                                 ensure_ascii=False)})


def _skip_entry(record, reason):
    return {"record_id": record.id, "record_uuid": record.record_uuid,
            "version": record.version, "student": record.student_id.name,
            "state": record.state, "reason": reason}
