"""The provider channel of a signing batch: sent as one transaction to the school's remote
signing service, answered by polling (a scheduled job) or by the service's webhook; the
answer applied once, whichever comes first."""

import base64
import datetime as dt
import logging

from odoo import api, fields, models, _
from odoo.exceptions import UserError

from hocbaso.errors import HocbasoError
from hocbaso.signing import batch as B

from odoo.addons.hocbaso_odoo.tools import lib_message

from .hocbaso_sign_batch import FINAL_STATES

_logger = logging.getLogger(__name__)

POLL_LIMIT = 50  # batches per run of the scheduled job
#: a transaction the service never dated is given up after this long
DEFAULT_LIFETIME = dt.timedelta(minutes=30)


class HocbasoSignBatch(models.Model):
    _inherit = "hocbaso.sign.batch"

    def _split(self, size):
        """Keep at most ``size`` signatures in this batch; the others go into new batches of
        the same signer (each its own transaction). Returns all the batches."""
        self.ensure_one()
        batch = self.sudo()
        pending = batch.item_ids.filtered(lambda item: item.state == "pending")
        batches = self
        for start in range(size, len(pending), size):
            extra = batch.copy({"follow_up": batch.follow_up})
            pending[start:start + size].write({"batch_id": extra.id})
            extra._write_summary()
            batches |= extra.with_env(self.env)
        batch._write_summary()
        return batches

    def _transaction_description(self):
        self.ensure_one()
        return _("School records: %(count)s signatures (batch %(batch)s)",
                 count=self.pending_count, batch=self.id)

    def _submit(self, secret=""):
        """Send the pending items as one transaction (``secret``: the OTP or PIN the service
        asks for now, used for this call only)."""
        self.ensure_one()
        self._check_owner()
        batch = self.sudo()
        if batch.channel != "provider" or batch.state != "draft":
            raise UserError(_("This signing batch cannot be sent again."))
        cert = batch.certificate_id
        items = [B.BatchItem(entry["doc_id"], base64.b64decode(entry["digest"]), entry["label"])
                 for entry in batch._items_for_signing()]
        try:
            client = batch.provider_id._client()
            try:
                B.check_items(items, client.max_batch)
                transaction = client.submit(cert.remote_user_ref, cert._x509(), items,
                                            batch._transaction_description(), secret=secret or "")
            finally:
                client.close()
        except HocbasoError as err:
            message = _("The signing service refused the request: %(problem)s",
                        problem=lib_message(self.env, err))
            batch._close_unsigned("failed", message)
            return batch
        finally:
            secret = None
        batch._take_transaction(transaction, first=True)
        return batch

    def _take_transaction(self, transaction, first=False):
        """What the service said (a Transaction, untrusted) applied to this batch, once."""
        self.ensure_one()
        batch = self.sudo()
        if batch.state in FINAL_STATES:
            return batch
        if first:
            if not isinstance(transaction.ref, str) or not transaction.ref:
                batch._close_unsigned("failed", _("The signing service gave no transaction "
                                                  "reference."))
                return batch
            expires = transaction.expires_at or (fields.Datetime.now() + DEFAULT_LIFETIME)
            if expires.tzinfo:
                expires = expires.astimezone(dt.timezone.utc).replace(tzinfo=None)
            batch.write({"transaction_ref": transaction.ref[:128],
                         "transaction_code": (transaction.code or "")[:64] or False,
                         "expires_at": expires})
            batch._set_batch_state("waiting")
        elif transaction.ref != batch.transaction_ref:
            return batch  # an answer about another transaction changes nothing here
        sent = {item.doc_id: item for item in batch.item_ids if item.doc_id}
        known, strangers = B.keep_known(transaction, sent)
        if strangers:
            batch.unknown_count += len(strangers)
        if known:
            batch._apply(known, transaction.timestamps)
        status = transaction.status
        if status == B.DONE:
            batch._close_unsigned(None, _("The signing service returned no signature for this "
                                          "document."))
        elif status == B.REJECTED:
            batch._close_unsigned("rejected", _("Rejected on the phone."))
        elif status == B.EXPIRED:
            batch._close_unsigned("expired", _("The request expired before it was approved."))
        elif status == B.FAILED:
            batch._close_unsigned("failed", _("The signing service could not sign: "
                                              "%(problem)s", problem=(transaction.message or
                                                                      "?")[:200]))
        return batch

    def _close_unsigned(self, state, message):
        """Close the batch: items still pending get ``message``; ``state`` None: done, partly
        done or failed from the items. The records are left as they are."""
        batch = self.sudo()
        batch.item_ids.filtered(lambda item: item.state == "pending").write(
            {"state": "error", "message": message})
        if batch.state in FINAL_STATES:
            return
        if state is None or batch.signed_count:
            batch._finalize()
            return
        batch._set_batch_state(state, message)
        batch._notify_done()

    def action_poll(self):
        """Ask the service now (the button of a waiting batch)."""
        self._check_owner()
        for batch in self.sudo():
            batch._poll()
        return True

    def _poll(self):
        self.ensure_one()
        if self.state != "waiting" or self.channel != "provider":
            return
        try:
            client = self.provider_id._client()
            try:
                transaction = client.poll(self.transaction_ref)
            finally:
                client.close()
        except HocbasoError as err:
            _logger.warning("Signing batch %s: the service did not answer the poll (%s)",
                            self.id, type(err).__name__)
            transaction = None
        if transaction is not None:
            self._take_transaction(transaction)
        if self.state == "waiting" and self.expires_at and \
                self.expires_at + dt.timedelta(minutes=2) < fields.Datetime.now():
            self._close_unsigned("expired", _("The request expired before it was approved."))

    @api.model
    def _cron_poll(self):
        """Ask the services about the batches waiting for approval (the scheduled job)."""
        batches = self.sudo().search([("state", "=", "waiting"), ("channel", "=", "provider")],
                                     order="write_date", limit=POLL_LIMIT)
        for batch in batches:
            try:
                with self.env.cr.savepoint():
                    batch._poll()
            except UserError as err:  # a record locked by another session: next run
                _logger.info("Signing batch %s: polled again later (%s)", batch.id,
                             type(err).__name__)

    @api.model
    def _on_callback(self, provider, body, headers):
        """A webhook call of ``provider``'s service; True when it was one of our transactions.
        The adapter authenticates it; a replay finds the items signed and changes nothing."""
        client = provider._client()
        try:
            transaction = client.parse_callback(body, headers)
        finally:
            client.close()
        if not isinstance(transaction, B.Transaction) or not transaction.ref:
            return False
        batch = self.sudo().search([("provider_id", "=", provider.id),
                                    ("transaction_ref", "=", str(transaction.ref)[:128])],
                                   limit=1)
        if not batch:
            return False
        batch._take_transaction(transaction)
        return True
