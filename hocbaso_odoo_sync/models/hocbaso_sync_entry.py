"""The outbox: one entry per record event to deliver to the sector database (CSDL ngành).

Delivery is at-least-once from here and exactly-once at the CSDL: the receiver ignores a
version it already holds, so resending after a timeout, a lost answer or a crash is safe.
"""

import hashlib
import logging
from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from hocbaso import timeutil
from hocbaso.csdl.client import backoff_delay
from hocbaso.csdl.protocol import SyncEnvelope, format_timestamp
from hocbaso.errors import CsdlError, HocbasoError

from odoo.addons.hocbaso_odoo.tools import lib_message

_logger = logging.getLogger(__name__)

EVENTS = [("NEW", "New"), ("UPDATE", "Update"), ("CANCEL", "Cancel")]
SYNC_STATES = [
    ("pending", "Pending"),
    ("sending", "Sending"),
    ("acknowledged", "Acknowledged"),
    ("retrying", "Waiting to Retry"),
    ("failed", "Failed"),
    # the CSDL files records by the student's personal ID: a record of a student without one
    # (hocbaso-1.1) waits, not as an error and not retried, and goes once the ID is entered
    ("waiting_id", "Waiting for a Personal ID"),
]
DUE_STATES = ("pending", "retrying")
STUCK_AFTER = timedelta(minutes=15)  # an entry "sending" longer than this was interrupted
BACKOFF_BASE, BACKOFF_CAP = 30, 3600
DEFAULT_TZ = timeutil.VN_TZ.key


class HocbasoSyncEntry(models.Model):
    _name = "hocbaso.sync.entry"
    _description = "Record Sync Entry (CSDL outbox)"
    _order = "id desc"
    _check_company_auto = True
    _rec_name = "display_label"

    record_id = fields.Many2one("hocbaso.record", readonly=True, index=True,
                                ondelete="set null", check_company=True)
    student_id = fields.Many2one(related="record_id.student_id", string="Student")
    company_id = fields.Many2one("res.company", string="School", required=True, readonly=True,
                                 index=True)
    id_ban_ghi = fields.Char(string="Record ID (IdBanGhi)", required=True, readonly=True,
                             index=True)
    phien_ban = fields.Integer(string="Sync Version (PhienBan)", required=True, readonly=True,
                               help="Grows with every event of the record; the CSDL ignores a "
                                    "version not above the one it holds.")
    record_version = fields.Integer(readonly=True)
    event = fields.Selection(EVENTS, required=True, readonly=True)
    event_time = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    school_year = fields.Char(readonly=True)
    personal_id = fields.Char(string="Personal ID", readonly=True)
    xml_document = fields.Binary(string="Signed XML", attachment=True, readonly=True)
    xml_sha256 = fields.Char(string="SHA-256", readonly=True)
    reason = fields.Text(string="Reason for Cancelling", readonly=True)
    state = fields.Selection(SYNC_STATES, default="pending", required=True, readonly=True,
                             index=True)
    attempts = fields.Integer(readonly=True)
    next_retry_at = fields.Datetime(string="Next Attempt", readonly=True)
    sending_since = fields.Datetime(readonly=True,
                                    help="Set when a run takes the entry; an entry left "
                                         "'sending' for long was interrupted and is retried.")
    last_attempt_at = fields.Datetime(readonly=True)
    sent_by = fields.Char(string="Sending Server", readonly=True,
                          help="The Odoo server process (host name:process ID) that last took "
                               "the entry to send it: with several Odoo servers, which one "
                               "sent what.")
    last_error = fields.Text(readonly=True)
    receipt_id = fields.Char(string="Receipt ID", readonly=True)
    receipt_status = fields.Char(readonly=True)
    receipt_time = fields.Char(string="Received at CSDL", readonly=True)
    acknowledged_at = fields.Datetime(readonly=True)
    remote_version = fields.Integer(string="Version Held by CSDL", readonly=True)
    remote_state = fields.Char(string="State at CSDL", readonly=True)
    remote_checked_at = fields.Datetime(string="Checked at CSDL", readonly=True)
    display_label = fields.Char(compute="_compute_display_label")
    age_hours = fields.Float(string="Age (hours)", compute="_compute_age_hours")

    _sql_constraints = [
        ("event_version_unique", "UNIQUE(id_ban_ghi, phien_ban, event)",
         "This event of this record version is already in the outbox."),
        ("version_positive", "CHECK(phien_ban >= 1)", "The sync version starts at 1."),
    ]

    @api.depends("event", "id_ban_ghi", "phien_ban")
    def _compute_display_label(self):
        for entry in self:
            entry.display_label = f"{entry.event or ''} {entry.id_ban_ghi or ''} v{entry.phien_ban}"

    @api.depends("event_time", "state")
    def _compute_age_hours(self):
        now = fields.Datetime.now()
        for entry in self:
            done = entry.state == "acknowledged"
            entry.age_hours = 0.0 if done or not entry.event_time else \
                round((now - entry.event_time).total_seconds() / 3600, 2)

    # --- enqueue -------------------------------------------------------------------------
    @api.model
    def _enqueue(self, record, event, reason=""):
        """Create the outbox entry of ``event`` for ``record`` once (idempotent)."""
        return self._enqueue_batch(record, event, reason)

    def _enqueue_batch(self, records, event, reason=""):
        """The outbox entries of ``event`` for ``records``, each created once (idempotent): a
        record that already has one keeps it. Three queries for the whole batch."""
        Entry = self.sudo()
        existing = Entry.search([("record_id", "in", records.ids), ("event", "=", event)])
        queued = set(existing.record_id.ids)
        todo = records.filtered(lambda record: record.id not in queued)
        if not todo:
            return existing
        # phien_ban is monotonic per record id (madinhdanhhocba), whatever the version
        last = dict(Entry._read_group([("id_ban_ghi", "in", todo.mapped("record_uuid"))],
                                      ["id_ban_ghi"], ["phien_ban:max"]))
        vals_list, documents, now = [], [], fields.Datetime.now()
        for record in todo:
            xml = b""
            if event != "CANCEL":
                xml = record._get_xml()
                if not xml:
                    raise UserError(_("The record of %(student)s has no document to send to "
                                      "the CSDL.", student=record.student_id.name))
            previous = last.get(record.record_uuid)
            last[record.record_uuid] = phien_ban = max(
                record.version, previous + 1 if previous else 1)
            vals_list.append({
                "record_id": record.id,
                "company_id": record.company_id.id,
                "id_ban_ghi": record.record_uuid,
                "phien_ban": phien_ban,
                "record_version": record.version,
                "event": event,
                "event_time": now,
                "school_year": record.school_year_id.name,
                "personal_id": record.student_id.personal_id,
                "state": "pending" if record.student_id.personal_id else "waiting_id",
                "xml_sha256": hashlib.sha256(xml).hexdigest(),
                "reason": reason or "",
            })
            documents.append(xml)
        created = Entry.create(vals_list)
        # The documents go straight into the attachments of the Binary field, as the ORM
        # would store them, without a base64 round trip (66 KB each at every issue).
        self.env["ir.attachment"].sudo().with_context(hocbaso_outbox_document=True).create([{
            "name": "xml_document", "res_model": self._name, "res_field": "xml_document",
            "res_id": entry.id, "type": "binary", "raw": xml,
        } for entry, xml in zip(created, documents) if xml])
        return existing | created

    # --- envelope ------------------------------------------------------------------------
    def _xml_bytes(self):
        self.ensure_one()
        return self._raw_documents().get(self.id, b"")

    def _raw_documents(self):
        """{entry id: document bytes} of these entries, read from their attachments as stored
        (reading the Binary field would base64-encode each file only to decode it again)."""
        attachments = self.env["ir.attachment"].sudo().with_context(bin_size=False).search([
            ("res_model", "=", self._name), ("res_field", "=", "xml_document"),
            ("res_id", "in", self.ids)])
        return {attachment.res_id: attachment.raw or b"" for attachment in attachments}

    def _local_time(self):
        tz = pytz.timezone(self.company_id.partner_id.tz or DEFAULT_TZ)
        return pytz.utc.localize(self.event_time).astimezone(tz).replace(tzinfo=None)

    def _envelope(self, config, xml=None):
        """The envelope of this entry; ``xml``: its document, when the caller has read it."""
        self.ensure_one()
        if xml is None:
            xml = self._xml_bytes()
        if not xml and self.event != "CANCEL":  # its file is gone from the filestore
            raise self._damaged()
        try:
            envelope = SyncEnvelope.for_xml(
                xml or None, id_ban_ghi=self.id_ban_ghi, su_kien=self.event,
                phien_ban=self.phien_ban, thoi_gian_cap_nhat=format_timestamp(self._local_time()),
                ma_truong=config.school_code or "", nam_hoc=self.school_year or "",
                so_dinh_danh=self.personal_id or "", reason=self.reason or "")
        except HocbasoError as err:
            raise UserError(lib_message(self.env, err)) from err
        if envelope.sha256 != self.xml_sha256:  # the envelope's hash is that of ``xml``
            raise self._damaged()
        return envelope

    def _damaged(self):
        return UserError(_("The document kept for %(entry)s was damaged: its SHA-256 no "
                           "longer matches.", entry=self.display_label))

    # --- outcome bookkeeping -------------------------------------------------------------
    def _mark_acknowledged(self, receipt):
        self.write({
            "state": "acknowledged", "receipt_id": receipt.receipt_id,
            "receipt_status": receipt.status, "receipt_time": receipt.received_at,
            "acknowledged_at": fields.Datetime.now(), "last_error": False,
            "next_retry_at": False, "sending_since": False,
        })

    def _mark_retry(self, message, retry_after=None):
        now = fields.Datetime.now()
        for entry in self:
            delay = backoff_delay(entry.attempts, base=BACKOFF_BASE, cap=BACKOFF_CAP)
            delay = max(delay, float(retry_after or 0))
            entry.write({"state": "retrying", "last_error": message, "sending_since": False,
                         "next_retry_at": now + timedelta(seconds=delay)})

    def _mark_failed(self, message):
        self.write({"state": "failed", "last_error": message, "next_retry_at": False,
                    "sending_since": False})

    # --- buttons -------------------------------------------------------------------------
    def _send_now(self):
        """Send these entries now, whatever their next attempt time; returns how many went."""
        self.env["hocbaso.sync.config"]._check_admin()
        sent = self.browse()
        for company in self.company_id:
            config = self.env["hocbaso.sync.config"]._for_company(company)
            if not config:
                raise UserError(_("Set up the CSDL connection of %(school)s first "
                                  "(Configuration › CSDL Connection).", school=company.name))
            mine = self.filtered(lambda e, c=company: e.company_id == c)
            for start in range(0, len(mine), config.batch_size):
                claimed = self.sudo()._claim_safely(company, config.batch_size,
                                             ids=mine[start:start + config.batch_size].ids)
                claimed._send(config)
                sent |= claimed
        return sent

    def _notify(self, title, message, kind="info"):
        return {"type": "ir.actions.client", "tag": "display_notification",
                "params": {"title": title, "message": message, "type": kind,
                           "next": {"type": "ir.actions.act_window_close"}}}

    def _result_notification(self, sent):
        ok = sent.filtered(lambda e: e.state == "acknowledged")
        failed = sent - ok
        if not sent:
            return self._notify(_("Nothing to send"), _("These entries are not waiting to be "
                                                       "sent (or another run is sending them)."))
        message = _("%(ok)s of %(total)s acknowledged by the CSDL.", ok=len(ok), total=len(sent))
        if failed:
            message += " " + failed[:1].last_error
        return self._notify(_("CSDL sync"), message, "success" if not failed else "warning")

    def action_send_now(self):
        sent = self.filtered(lambda e: e.state in DUE_STATES)._send_now()
        return self._result_notification(sent)

    def action_retry(self):
        """After fixing the settings: put failed (or waiting) entries back and send them.

        Also takes back entries left 'sending' by an interrupted run (a server or database
        restart) once their answer timeout has certainly passed, without waiting for the
        cron's STUCK_AFTER: sending again is safe, the CSDL recognises a version it holds."""
        self.env["hocbaso.sync.config"]._check_admin()
        again = self.filtered(lambda e: e.state in ("failed", "retrying")) | self._interrupted()
        again.sudo().write({"state": "pending", "next_retry_at": False, "sending_since": False})
        return self._result_notification(again._send_now())

    def _interrupted(self):
        """Entries of self 'sending' for longer than their school's answer timeout + 1 min."""
        now = fields.Datetime.now()
        interrupted = self.browse()
        sending = self.filtered(lambda e: e.state == "sending")
        for company, entries in sending.grouped("company_id").items():  # one config per school
            config = self.env["hocbaso.sync.config"]._for_company(company)
            since = now - timedelta(seconds=(config.timeout if config else 30.0) + 60)
            interrupted |= entries.filtered(
                lambda e: not e.sending_since or e.sending_since < since)
        return interrupted

    def action_refresh_status(self):
        """Ask the CSDL what it holds for these records (client.status)."""
        self.env["hocbaso.sync.config"]._check_admin()
        for entry in self:
            config = self.env["hocbaso.sync.config"]._for_company(entry.company_id)
            if not config:
                raise UserError(_("Set up the CSDL connection of %(school)s first.",
                                  school=entry.company_id.name))
            try:
                held = config._csdl_client().status(entry.id_ban_ghi)
            except CsdlError as err:
                raise UserError(lib_message(self.env, err)) from err
            vals = {"remote_checked_at": fields.Datetime.now(),
                    "remote_version": (held or {}).get("phien_ban") or 0,
                    "remote_state": (held or {}).get("trang_thai") or _("not held")}
            if held and held.get("phien_ban", 0) >= entry.phien_ban \
                    and entry.state != "acknowledged":
                vals.update(state="acknowledged", acknowledged_at=fields.Datetime.now(),
                            receipt_status=_("confirmed by status check"), last_error=False,
                            next_retry_at=False, sending_since=False)
            entry.sudo().write(vals)
        if len(self) == 1:
            return self._notify(_("CSDL status"), _(
                "The CSDL holds version %(version)s (%(state)s) of this record.",
                version=self.remote_version, state=self.remote_state))
        return True

    @api.model
    def action_run_cron_now(self):
        self.env["hocbaso.sync.config"]._check_admin()
        self.env.ref("hocbaso_odoo_sync.ir_cron_hocbaso_sync_send").sudo()._trigger()
        return self._notify(_("CSDL sync"), _("Sending has been scheduled."), "success")
