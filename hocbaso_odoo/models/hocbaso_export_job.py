"""An export of record packages run in the background (issue 19): the wizard queues a job, a
scheduled action builds it chunk by chunk (a class, or part of a big class, per chunk) and
commits after each, then assembles the zip on disk and tells its owner.

Restartable: each chunk's packages are stored (an attachment per chunk) with its manifest
entries in the same transaction as its state, so a job stopped anywhere resumes at the first
chunk not done and lists each record once. Rights: the records are those the owner could read
when queuing; they are read and printed with the owner's rights, never as superuser.
"""

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
import zipfile

from odoo import _, api, fields, models, modules
from odoo.exceptions import UserError

from .hocbaso_record_package import PACKAGE_FORMAT

_logger = logging.getLogger(__name__)

EXPORT_FORMAT = "hocbaso-export-1.0"
MAX_ATTEMPTS = 3  # a chunk started this often without finishing: the job is failed
KEEP_DAYS = 30  # a finished export (and its file) is removed after this many days
COPY_BUFFER = 1024 * 1024


class HocbasoExportJob(models.Model):
    _name = "hocbaso.export.job"
    _description = "Record Export Job"
    _inherit = ["mail.thread"]
    _order = "id desc"
    _check_company_auto = True

    # records per chunk at most (a class is one chunk unless it is bigger); tests patch it
    _chunk_size = 60
    # seconds of work per call of the scheduled action (Odoo calls it again while work remains)
    _time_budget = 60
    # chunks printed ahead (a wkhtmltopdf child each) while one is packaged
    _print_ahead = 2

    name = fields.Char(required=True, readonly=True)
    user_id = fields.Many2one("res.users", string="Requested by", required=True, readonly=True,
                              index=True, default=lambda self: self.env.user)
    company_id = fields.Many2one("res.company", string="School", required=True, readonly=True,
                                 index=True, default=lambda self: self.env.company)
    scope = fields.Selection(selection="_scope_selection", required=True, readonly=True)
    class_id = fields.Many2one("hocbaso.class", readonly=True, check_company=True)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "In Progress"), ("done", "Done"),
         ("failed", "Failed")], default="queued", required=True, readonly=True)
    chunk_ids = fields.One2many("hocbaso.export.job.chunk", "job_id", readonly=True)
    total_count = fields.Integer(string="Records", readonly=True)
    done_count = fields.Integer(string="Records Done", readonly=True)
    exported_count = fields.Integer(string="Exported", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    error_message = fields.Text(string="Error", readonly=True)
    date_done = fields.Datetime(string="Finished on", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Export File", readonly=True)
    export_filename = fields.Char(related="attachment_id.name", string="File Name")
    coverage = fields.Char(string="Covers", compute="_compute_coverage",
                           help="The class exported, the whole school or the records chosen.")

    @api.depends("scope", "class_id")
    def _compute_coverage(self):
        for job in self:
            if job.scope == "class":
                job.coverage = job.class_id.display_name
            elif job.scope == "school":
                job.coverage = self.env._("Whole school")
            else:
                job.coverage = self.env._("Selected records")

    @api.model
    def _scope_selection(self):
        """The wizard's scopes, translated as the wizard's (one list, one translation)."""
        Wizard = self.env["hocbaso.record.export"]
        return Wizard._fields["scope"]._description_selection(self.env)

    # --- creation (from the wizard) -----------------------------------------------------------
    @api.model
    def _queue(self, wizard, records):
        """A new job for these records (already read with the user's rights), one chunk per
        class (in the records' order), at most _chunk_size records a chunk. Created as
        superuser: users only read their jobs, the job's state is the server's."""
        groups = {}
        for record in records:
            groups.setdefault(record.class_id.id, []).append(record.id)
        chunks, size = [], self._chunk_size
        for ids in groups.values():
            for start in range(0, len(ids), size):
                chunks.append((0, 0, {"sequence": len(chunks) + 1,
                                      "record_ids": [(6, 0, ids[start:start + size])]}))
        # no creation note in the chatter (the form shows who asked and when): the chatter
        # tells the outcome, in the owner's language
        job = self.sudo().with_context(mail_create_nolog=True).create({
            "name": wizard._export_name(), "user_id": self.env.user.id,
            "company_id": wizard.company_id.id, "scope": wizard.scope,
            # the class only for a class's export (the wizard may keep the one it opened on)
            "class_id": wizard.class_id.id if wizard.scope == "class" else False,
            "total_count": len(records), "chunk_ids": chunks,
        })
        self.env.ref("hocbaso_odoo.ir_cron_hocbaso_export_job")._trigger()
        return job.with_env(self.env)

    # --- the scheduled action -----------------------------------------------------------------
    @api.model
    def _cron_process(self):
        """Work on the queued jobs, one chunk at a time, committing after each, until the time
        budget is spent; Odoo calls this again at once while chunks remain."""
        deadline = time.monotonic() + self._time_budget
        Job = self.sudo()
        done = 0
        ahead = {}  # chunk id -> its print, started while the chunk before it is packaged
        try:
            while time.monotonic() < deadline:
                job = Job.search([("state", "in", ("queued", "running"))], order="id", limit=1)
                if not job:
                    break
                job._process_step(ahead)
                done += 1
                self._commit()
        finally:
            for started in ahead.values():  # stopped by the time budget: printed again later
                if started is not None:
                    started.cancel()
        # what is left: the chunks to do, and the zip of each unfinished job
        pending = [("state", "in", ("queued", "running"))]
        remaining = Job.search_count(pending) + self.env["hocbaso.export.job.chunk"].sudo(
        ).search_count([("state", "=", "todo"), ("job_id.state", "in", pending[0][2])])
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    def _commit(self):
        # under tests the test's transaction must stay open (and rolled back at the end)
        testing = modules.module.current_test or getattr(threading.current_thread(), "testing",
                                                          False)
        if not testing:
            # a chunk done is kept whatever happens next: that is what makes the job resumable
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def _owner_env_job(self):
        """This job in its owner's environment: rights, school and language of the owner."""
        user = self.user_id
        return self.with_user(user).with_context(
            lang=user.lang, tz=user.tz, allowed_company_ids=[self.company_id.id])

    def _process_step(self, ahead=None):
        """One chunk of the job (or the final zip when all are done); never raises: a failure
        fails the job with a message for its owner. ``ahead``: {chunk id: its print started}
        kept between steps: this step takes its chunk's print from it and starts the next
        chunk's, so wkhtmltopdf prints the next class while this process packages this one."""
        self.ensure_one()
        todo = self.chunk_ids.filtered(lambda c: c.state == "todo")
        chunk = todo[:1]
        owner_job = self._owner_env_job()
        if chunk and chunk.attempts >= MAX_ATTEMPTS:
            return self._fail(owner_job.env._(
                "The export stopped %(count)s times on %(chunk)s without finishing (the "
                "server may have run out of time or memory).",
                count=chunk.attempts, chunk=chunk.with_env(owner_job.env)._label()))
        # count the attempt in its own transaction: a crash inside the chunk keeps it
        if chunk:
            chunk.attempts += 1
        self.state = "running"
        self._commit()
        try:
            with self.env.cr.savepoint():
                if chunk:
                    owner_chunk = chunk.with_env(owner_job.env)
                    started = ahead.pop(chunk.id, None) if ahead is not None else None
                    try:
                        following = todo[1:1 + self._print_ahead] if ahead is not None else ()
                        if following:
                            started = started or owner_chunk._start_print()
                        for later in following:
                            if later.id not in ahead:
                                ahead[later.id] = later.with_env(
                                    owner_job.env)._start_print_ahead()
                        owner_chunk._run(started)
                    finally:
                        if started is not None:
                            started.cancel()
                else:
                    self._assemble()
        except Exception as err:  # noqa: BLE001 - the owner is told, the job is not lost
            _logger.warning("Export job %s failed", self.id, exc_info=True)
            label = (chunk.with_env(owner_job.env)._label() if chunk
                     else owner_job.env._("the final zip"))
            return self._fail(owner_job.env._("The export failed on %(chunk)s: %(error)s",
                                              chunk=label, error=_error_text(err)))
        if not chunk:
            return self._notify_done()
        self.done_count = sum(self.chunk_ids.filtered(lambda c: c.state == "done").mapped(
            "record_count"))
        return True

    def _fail(self, message):
        self.write({"state": "failed", "error_message": message})
        owner = self._owner_env_job()
        self._notify_owner(owner.env._("Export failed"), message, "danger")
        return False

    def _notify_done(self):
        owner = self._owner_env_job()
        message = owner.env._("%(file)s is ready: %(exported)s record packages exported, "
                              "%(skipped)s skipped.", file=self.export_filename,
                              exported=self.exported_count, skipped=self.skipped_count)
        self._notify_owner(owner.env._("Export ready"), message, "success")
        return True

    def _notify_owner(self, title, message, kind):
        """A message on the job in the owner's inbox, and a notification at once when the owner
        has the web client open."""
        self.message_post(body=message, partner_ids=self.user_id.partner_id.ids,
                          message_type="comment", subtype_xmlid="mail.mt_note")
        self.user_id._bus_send("simple_notification", {
            "type": kind, "title": title, "message": message, "sticky": kind == "danger"})

    # --- the final zip ------------------------------------------------------------------------
    def _assemble(self):
        """The export zip from the chunks' files, streamed on disk (the school is never held in
        memory), as an attachment of the job; the chunks' files are then removed."""
        self.ensure_one()
        exported, skipped, used_names = [], [], set()
        Attachment = self.env["ir.attachment"].sudo()
        directory = Attachment._filestore() if Attachment._storage() == "file" else None
        if directory:
            os.makedirs(directory, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(dir=directory, suffix=".zip", delete=False)
        try:
            with handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED) as archive:
                for chunk in self.chunk_ids.sorted("sequence"):
                    entries = json.loads(chunk.entries or "{}")
                    skipped.extend(entries.get("skipped", []))
                    if not entries.get("packages"):
                        continue
                    with chunk._open_file() as source, zipfile.ZipFile(source) as part:
                        for entry in entries["packages"]:
                            filename = entry.pop("filename")
                            name = "packages/" + filename
                            if name in used_names:
                                name = f"packages/{entry['record_id']}_{filename}"
                            used_names.add(name)
                            with part.open(f"{entry['record_id']}.zip") as src, \
                                    archive.open(name, "w") as dst:
                                shutil.copyfileobj(src, dst, COPY_BUFFER)
                            exported.append(dict({"file": name}, **entry))
                archive.writestr("manifest.json", json.dumps(
                    self._manifest(exported, skipped), ensure_ascii=False, indent=2))
            attachment = self._attach_file(handle.name)
        finally:
            if os.path.exists(handle.name):
                os.unlink(handle.name)
        self.chunk_ids.attachment_id.unlink()
        self.write({"state": "done", "attachment_id": attachment.id,
                    "exported_count": len(exported), "skipped_count": len(skipped),
                    "done_count": self.total_count, "date_done": fields.Datetime.now()})

    def _manifest(self, exported, skipped):
        return {
            "format": EXPORT_FORMAT, "package_format": PACKAGE_FORMAT,
            "created": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
            "school": {"name": self.company_id.name,
                       "code": self.company_id.hocbaso_school_code or ""},
            "scope": self.scope,
            "class": self.class_id.name or None,
            "exported_count": len(exported), "skipped_count": len(skipped),
            "packages": exported, "skipped": skipped,
        }

    def _attach_file(self, path):
        """An attachment of the job holding the file at `path`, moved into the filestore as it
        is (ir.attachment.create wants the bytes in memory: a school's zip is hundreds of MB)."""
        Attachment = self.env["ir.attachment"].sudo()
        values = {"name": self.name, "mimetype": "application/zip", "type": "binary",
                  "res_model": self._name, "res_id": self.id}
        if Attachment._storage() != "file":
            with open(path, "rb") as handle:
                return Attachment.create(dict(values, raw=handle.read()))
        sha, size = hashlib.sha1(), 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(COPY_BUFFER), b""):
                sha.update(block)
                size += len(block)
        checksum = sha.hexdigest()
        fname = f"{checksum[:2]}/{checksum}"
        full_path = Attachment._full_path(fname)
        os.makedirs(os.path.dirname(full_path), exist_ok=True)
        if not os.path.exists(full_path):
            os.replace(path, full_path)
            Attachment._mark_for_gc(fname)  # removed again if this transaction is rolled back
        attachment = Attachment.create(values)
        self.env.cr.execute(
            "UPDATE ir_attachment SET store_fname = %s, file_size = %s, checksum = %s "
            "WHERE id = %s", (fname, size, checksum, attachment.id))
        attachment.invalidate_recordset(["store_fname", "file_size", "checksum", "raw", "datas"])
        return attachment

    @api.autovacuum
    def _gc_old_exports(self):
        """An export is a file to take away, not an archive: finished jobs and their files
        go after KEEP_DAYS days."""
        limit = fields.Datetime.now() - dt.timedelta(days=KEEP_DAYS)
        old = self.sudo().search([("state", "in", ("done", "failed")),
                                  ("create_date", "<", limit)])
        (old.attachment_id | old.chunk_ids.attachment_id).unlink()
        old.unlink()

    # --- buttons --------------------------------------------------------------------------------
    def _check_owner(self):
        self.check_access("read")
        for job in self:
            if job.user_id != self.env.user:
                raise UserError(_("Only the person who asked for this export can do that."))

    def action_download(self):
        self.ensure_one()
        self._check_owner()
        if self.state != "done" or not self.attachment_id:
            raise UserError(_("This export is not ready yet."))
        return {"type": "ir.actions.act_url", "target": "self",
                "url": f"/web/content/{self.attachment_id.id}?download=true"}

    def action_retry(self):
        self._check_owner()
        failed = self.filtered(lambda j: j.state == "failed")
        if not failed:
            raise UserError(_("Only a failed export can be started again."))
        failed.sudo().chunk_ids.attempts = 0
        failed.sudo().write({"state": "queued", "error_message": False})
        self.env.ref("hocbaso_odoo.ir_cron_hocbaso_export_job")._trigger()
        return True


def _error_text(err):
    """What the owner is told of an error: the message of an Odoo error, else its text."""
    return getattr(err, "args", None) and str(err.args[0]) or err.__class__.__name__
