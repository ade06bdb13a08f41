"""Trusted timestamps on the signatures made here (XAdES-T): each signature is stamped by the
school's time-stamping authority right after it is made, before the next role covers it.

When the authority fails: with timestamps required nothing is signed (a Vietnamese refusal);
otherwise the signature is made without one and the record's history says so. A run asks a
failed authority only once (the records after it do not each wait for the timeout)."""

from odoo import models
from odoo.exceptions import UserError

from hocbaso.errors import TimestampError
from hocbaso.signing import concurrent

from odoo.addons.hocbaso_odoo.tools import lib_message

from ..tools import Stamper, tsa_client


class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    def _stamper(self):
        """A Stamper for the school of ``self`` (the records of one signing run)."""
        company = self[:1].company_id or self.env.company
        return Stamper(tsa_client(self.env, company), company.sudo().hocbaso_tsa_required)

    def _timestamp_refusal(self, error):
        return UserError(self.env._(
            "No trusted timestamp could be obtained, so nothing was signed: %(problem)s Try "
            "again later, or ask the school's IT administrator to check the time-stamping "
            "authority in the school's settings.", problem=lib_message(self.env, error)))

    def _sign_stamped(self, stamper, sign):
        """``sign(timestamp=...)`` (a callable as sign_slots_made takes, or None) for one record,
        with the school's timestamps; refused (UserError) when they are required and the
        authority fails, otherwise signed without and the record listed as unstamped."""
        self.ensure_one()
        return self._stamped_result(stamper, concurrent.outcome(stamper.sign, sign))

    def _stamped_result(self, stamper, outcome):
        """This record's result of ``stamper.sign``, or what it raised as
        hocbaso.signing.concurrent hands it back: a required timestamp that failed refused
        (UserError), a missing one noted in ``stamper.unstamped``, another error raised."""
        self.ensure_one()
        if isinstance(outcome, TimestampError) and stamper.required:
            raise self._timestamp_refusal(outcome) from None
        if isinstance(outcome, Exception):
            raise outcome
        result, unstamped = outcome
        if unstamped:
            stamper.unstamped.add(self.id)
        return result

    def _note_unstamped(self, stamper, author=None):
        """One history line on each record of ``self`` signed without a timestamp."""
        records = self.filtered(lambda record: record.id in stamper.unstamped)
        if not records or stamper.failure is None:
            return
        records.sudo()._log_note_batch(self.env._(
            "Signed without a trusted timestamp: the time-stamping authority gave none "
            "(%(problem)s). The signing time cannot be proven later.",
            problem=lib_message(self.env, stamper.failure)), author=author)
