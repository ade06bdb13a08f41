"""VNPT SmartCA "TH" (integrated): the user's password and a one-time code (TOTP) at submit,
no phone approval; the batch is signed at once.

``v2/signatures/sign`` (the SmartCA fields plus ``password`` and ``otp``; serial_number
required) answers ``data.sad`` and ``data.expired_in``; ``v2/signatures/confirm`` with that
SAD returns ``data.signatures[]``. Both calls happen inside :meth:`SmartCATH.submit`, so the
user's password lives only for that call: we never store it, nor the user's TOTP key.

The ``secret`` given to ``submit`` carries both: ``th_secret(password, otp)`` (the password, a
line break, the 6-digit code), built by the caller from the two fields the user filled in.
"""

from __future__ import annotations

import re

from ..batch import Transaction
from ...errors import RemoteSigningError
from .http import get
from .smartca import SmartCA

OTP_RE = re.compile(r"^[0-9]{6,8}$")


def th_secret(password: str, otp: str) -> str:
    """The ``secret`` of :meth:`SmartCATH.submit`: the user's password and the code."""
    return "%s\n%s" % (password, otp)


def split_secret(secret: str) -> tuple[str, str]:
    password, _, otp = str(secret or "").rpartition("\n")
    otp = otp.strip()
    if not password or not OTP_RE.match(otp):
        raise RemoteSigningError("Type the password of the signing account and the one-time "
                                 "code (6 digits) shown by the authenticator app.")
    return password, otp


class SmartCATH(SmartCA):
    kind = "smartca_th"
    approval = "otp"

    def submit(self, user_ref, certificate, items, description, secret=""):
        password, otp = split_secret(secret)
        body = self._sign_body(user_ref, certificate, items, description)
        sent_ref = body["transaction_id"]
        data = self._call("v2/signatures/sign", {**body, "password": password, "otp": otp},
                          user=user_ref)
        answer = get(data, "data", dict)
        ref = self._ref(get(answer, "transaction_id", str, required=False) or sent_ref)
        sad = get(answer, "sad", str)
        if not sad or len(sad) > 4096:
            raise RemoteSigningError("The signing provider gave no activation code (SAD) for "
                                     "the transaction.")
        data = self._call("v2/signatures/confirm",
                          {"user_id": user_ref, "password": password, "transaction_id": ref,
                           "sad": sad}, user=user_ref)
        return self._transaction(ref, data, get(data, "data", dict, required=False) or {},
                                 "signatures")

    def poll(self, ref: str) -> Transaction:
        """The same status endpoint as the personal accounts (the transaction was done at
        submit; polling again gives the same signatures)."""
        return super().poll(ref)
