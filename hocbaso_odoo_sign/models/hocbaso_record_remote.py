"""Two-phase signing of a record (a remote service, a token at the user's computer): the
signatures are prepared and completed by the signing batches (hocbaso_sign_batch*.py); the
record tells the signing time a pending signature was prepared with."""

from odoo import models

from hocbaso.safexml import parse_untrusted
from hocbaso.signing import xmldsig as X
from hocbaso.timeutil import signing_now



class HocbasoRecord(models.Model):
    _inherit = "hocbaso.record"

    @staticmethod
    def _pending_time(pending):
        root = parse_untrusted(pending.document)
        text = root.findtext(".//" + X.xades("SigningTime"))
        return X.parse_signing_time(text) if text else signing_now()
