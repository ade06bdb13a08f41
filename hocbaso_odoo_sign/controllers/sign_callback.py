"""The signing services' webhook: a transaction approved, rejected or expired on the phone.

Anyone can reach it, so nothing in a call is trusted: the adapter authenticates it as its
provider documents (SmartCA: the HMAC-SHA256 of the body under the account's webhook secret,
header ``X-Hocbaso-Signature``) and reads it strictly; it must name a transaction we sent;
each signature value is then checked against its SignedInfo like any other answer and applied
once (a replay finds the items signed). The answer is quick and says nothing of our records.
"""

import logging

from odoo import http
from odoo.exceptions import UserError
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
        if not provider or not provider.active:
            return request.make_json_response({"ok": False}, status=404)
        body = httprequest.get_data(cache=False)
        headers = {key.lower(): value for key, value in httprequest.headers.items()}
        try:
            with request.env.cr.savepoint():
                known = request.env["hocbaso.sign.batch"].sudo()._on_callback(provider, body,
                                                                               headers)
        except HocbasoError as err:
            _logger.warning("Signing webhook: a call refused by the adapter (%s)",
                            type(err).__name__)
            return request.make_json_response({"ok": False}, status=403)
        except UserError:  # a record being signed by another session: the poll applies it
            return request.make_json_response({"ok": False, "retry": True}, status=409)
        return request.make_json_response({"ok": True, "known": bool(known)})
