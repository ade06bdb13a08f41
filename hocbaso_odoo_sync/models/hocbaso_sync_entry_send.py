"""Delivering the outbox: claiming due entries without blocking a parallel run, sending them
in batches that each commit their outcome, and the scheduled job's loop."""

import logging
import os
import socket

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models, modules
from odoo.exceptions import UserError
from odoo.tools import config as odoo_config

from hocbaso.errors import CsdlError

from odoo.addons.hocbaso_odoo.tools import lib_message

from .hocbaso_sync_entry import DUE_STATES, STUCK_AFTER

_logger = logging.getLogger(__name__)

MAX_BATCHES_PER_RUN = 20  # then the cron re-triggers itself
CLAIM_SQL = """
    SELECT id FROM hocbaso_sync_entry
     WHERE state IN ('pending', 'retrying')
       AND (next_retry_at IS NULL OR next_retry_at <= %(now)s)
       AND company_id = %(company)s
     ORDER BY id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
"""


def sending_node():
    """This process as an IT admin finds it: the host name and the PID (per worker, asked at
    each claim: Odoo forks its workers after loading this module)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class HocbasoSyncEntry(models.Model):
    _inherit = "hocbaso.sync.entry"

    # --- sending -------------------------------------------------------------------------
    @api.model
    def _sync_can_commit(self):
        """Commit between batches, except inside tests (their transaction must stay whole).

        A test may opt in with the context key ``hocbaso_sync_commit`` when it runs the cron on
        its own cursor (registry.cursor()), to exercise the committing path for real.
        """
        if self.env.context.get("hocbaso_sync_commit"):
            return True
        return not odoo_config["test_enable"] and not modules.module.current_test

    def _commit(self):
        if self._sync_can_commit():
            # pylint: disable=invalid-commit
            # The outbox is processed in batches: each batch's outcome must survive a later
            # failure or a killed worker, and the claim must be visible to parallel runs.
            self.env.cr.commit()

    @api.model
    def _claim_safely(self, company, limit, ids=None, tries=3):
        """_claim, tolerating a parallel run that changed the same rows meanwhile.

        Odoo works in REPEATABLE READ: locking a row that another transaction updated after our
        snapshot began fails with a serialization error even with SKIP LOCKED. The rows are
        the other run's business; take a fresh snapshot (when committing is allowed) and try
        again, else give up for this run (the cron is re-triggered).
        """
        for _attempt in range(tries):
            try:
                with self.env.cr.savepoint(flush=False):
                    return self._claim(company, limit, ids=ids)
            except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
                _logger.info("CSDL sync: another run is taking the same entries; trying again")
                if not self._sync_can_commit():
                    break
                self._commit()  # everything before was committed: this only renews the snapshot
                self.env.invalidate_all()
        return self.browse()

    @api.model
    def _claim(self, company, limit, ids=None):
        """Lock and take up to ``limit`` due entries of ``company``; they become 'sending'."""
        self.env["hocbaso.sync.entry"].flush_model()  # the SQL below must see pending writes
        if ids is not None:
            self.env.cr.execute(
                "SELECT id FROM hocbaso_sync_entry WHERE id IN %s AND state IN %s "
                "ORDER BY id FOR UPDATE SKIP LOCKED", (tuple(ids) or (0,), DUE_STATES),
                log_exceptions=False)
        else:
            self.env.cr.execute(CLAIM_SQL, {"now": fields.Datetime.now(),
                                            "company": company.id, "limit": limit},
                                log_exceptions=False)  # a lost race is expected, not an error
        entries = self.browse([row[0] for row in self.env.cr.fetchall()])
        if entries:
            now, node = fields.Datetime.now(), sending_node()
            for attempts, group in entries.grouped("attempts").items():  # mostly one group
                group.write({"state": "sending", "sending_since": now, "last_attempt_at": now,
                             "attempts": attempts + 1, "sent_by": node})
            entries.flush_recordset()
        return entries

    def _send(self, config, client=None):
        """Deliver these claimed entries (one school) in one request; never raises."""
        try:
            client = client or config._csdl_client()
        except UserError as err:
            self._mark_failed(err.args[0])
            return
        ready, envelopes = self.browse(), []
        documents = self._raw_documents()
        for entry in self:
            try:
                envelopes.append(entry._envelope(config, documents.get(entry.id, b"")))
                ready |= entry
            except UserError as err:
                entry._mark_failed(err.args[0])
        if not ready:
            return
        try:
            receipts = client.send_batch(envelopes)
        except CsdlError as err:
            receipts = list(err.receipts)
            for entry, receipt in zip(ready, receipts):
                entry._mark_acknowledged(receipt)
            rest = ready[len(receipts):]
            message = lib_message(self.env, err)
            if err.transient:
                _logger.info("CSDL sync of %s entries delayed: %s", len(rest), err.message)
                rest._mark_retry(message, err.retry_after)
            elif err.id_ban_ghi:
                refused = rest.filtered(lambda e, id_=err.id_ban_ghi: e.id_ban_ghi == id_)
                refused._mark_failed(message)
                # the others were refused only as part of the batch: send them again
                (rest - refused).write({"state": "pending", "sending_since": False,
                                        "next_retry_at": False})
            else:
                _logger.warning("CSDL sync of %s entries failed: %s", len(rest), err.message)
                rest._mark_failed(message)
            return
        except Exception as err:  # noqa: BLE001 - the cron must go on; retry later
            _logger.exception("Unexpected error while sending to the CSDL")
            ready._mark_retry(_("Unexpected error while sending (%(error)s); the record will "
                                "be sent again.", error=type(err).__name__))
            return
        for entry, receipt in zip(ready, receipts):
            entry._mark_acknowledged(receipt)

    @api.model
    def _recover_stuck(self):
        """Entries left 'sending' by a killed worker go back to the queue."""
        limit = fields.Datetime.now() - STUCK_AFTER
        self.env["hocbaso.sync.entry"].flush_model()
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    "SELECT id FROM hocbaso_sync_entry WHERE state = 'sending' AND "
                    "(sending_since IS NULL OR sending_since < %s) FOR UPDATE SKIP LOCKED",
                    (limit,), log_exceptions=False)
                stuck = self.browse([row[0] for row in self.env.cr.fetchall()])
        except (pg_errors.SerializationFailure, pg_errors.LockNotAvailable):
            return self.browse()  # a parallel run is recovering them
        if stuck:
            _logger.warning("CSDL sync: %s entries were interrupted while sending; retrying",
                            len(stuck))
            stuck.write({"state": "retrying", "sending_since": False, "next_retry_at": False,
                         "last_error": _("Sending was interrupted (server restart?); the "
                                         "record will be sent again.")})
            self._commit()
        return stuck

    @api.model
    def _active_configs(self):
        return self.env["hocbaso.sync.config"].sudo().search([("active", "=", True)])

    @api.model
    def _count_due(self, configs):
        if not configs:
            return 0
        return self.sudo().search_count([
            ("company_id", "in", configs.company_id.ids), ("state", "in", DUE_STATES),
            "|", ("next_retry_at", "=", False), ("next_retry_at", "<=", fields.Datetime.now()),
        ])

    @api.model
    def _cron_send_pending(self, max_batches=MAX_BATCHES_PER_RUN):
        """Cron: send due entries batch by batch; commit per batch; never raises."""
        self = self.sudo()  # noqa: PLW0642 - the cron works on every school's outbox
        self._recover_stuck()
        configs = self._active_configs()
        done = batches = 0
        for config in configs:
            client = None  # one client (one login) per school and run
            while batches < max_batches:
                entries = self._claim_safely(config.company_id, config.batch_size)
                if not entries:
                    break
                self._commit()  # the claim ('sending') is visible before the network call
                if client is None and config.sudo().client_secret:
                    client = config._csdl_client()
                entries._send(config, client)
                entries.flush_recordset()
                self._commit()
                done += len(entries)
                batches += 1
        remaining = self._count_due(configs)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        if remaining:
            self.env.ref("hocbaso_odoo_sync.ir_cron_hocbaso_sync_send")._trigger()
        return done
