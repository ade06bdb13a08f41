"""The signing services' webhook: a transaction approved, rejected or expired on the phone.

Anyone can reach it, so nothing in a call is trusted: it must carry the account's webhook
secret (header ``X-Hocbaso-Webhook-Secret`` or ``?secret=`` in the address we gave the
service) and pass the adapter's own checks; each signature value is then checked against its
SignedInfo like any other answer, and applied once (a replay finds the items signed). The
answer is quick and says nothing about our records.
"""

import logging

from odoo import http
from odoo.http import request

from hocbaso.errors import HocbasoError

_logger = logging.getLogger(__name__)

MAX_BODY = 2 * 1024 * 1024  # 100 signatures with their timestamps fit many times


class SignCallback(http.Controller):

    @http.route("/hocbaso/sign/callback/<int:provider_id>", type="http", auth="public",
                methods=["POST"], csrf=False, save_session=False)
    def callback(self, provider_id, **kwargs):
        httprequest = request.httprequest
        length = httprequest.content_length
        if length is None or length > MAX_BODY:
            return request.make_json_response({"ok": False}, status=413)
        provider = request.env["hocbaso.signing.provider"].sudo().browse(provider_id).exists()
        given = httprequest.headers.get("X-Hocbaso-Webhook-Secret") or \
            httprequest.args.get("secret")
        if not provider or not provider.active or not provider._check_webhook_secret(given):
            _logger.warning("Signing webhook: a call refused (provider %s, bad secret)",
                            provider_id)
            return request.make_json_response({"ok": False}, status=403)
        body = httprequest.get_data(cache=False)
        headers = {key.lower(): value for key, value in httprequest.headers.items()}
        try:
            known = request.env["hocbaso.sign.batch"].sudo()._on_callback(provider, body,
                                                                           headers)
        except HocbasoError as err:
            _logger.warning("Signing webhook: a call refused by the adapter (%s)",
                            type(err).__name__)
            return request.make_json_response({"ok": False}, status=400)
        return request.make_json_response({"ok": True, "known": bool(known)})
