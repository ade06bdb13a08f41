"""The waiting screen turns into the result by itself: a subject teacher signs her records with
her remote certificate (the SmartCA stand-in runs as its own process, approval by hand); while
the signing wizard shows the waiting batch, the phone approves and the scheduled poll applies
the answer; the server's bus notification reaches her browser over the real websocket and the
wizard shows the signed records without a click on Check Now."""

import functools
import threading
import time
from unittest.mock import patch

import requests

from odoo import SUPERUSER_ID, api
from odoo.tests import HttpCase, tagged

from odoo.addons.bus.models.bus import channel_with_db, dispatch, hashable
from odoo.addons.bus.websocket import WebsocketConnectionHandler

from .common import SignCase

SP_ID, SP_PASSWORD, WEBHOOK_SECRET = "hocbaso-test-sp", "sp-password-1", "webhook-secret-1"


@tagged("post_install", "-at_install")
class TestBatchRefreshTour(SignCase, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Odoo closes the websocket in tests; the browser needs it to hear the server
        cls.startClassPatcher(patch.object(WebsocketConnectionHandler, "websocket_allowed",
                                           return_value=True))
        cls.write_pki_dir()
        cls.provider = cls.env["hocbaso.signing.provider"].create({
            "name": "SmartCA", "company_id": cls.school.id, "kind": "smartca",
            "service_url": "http://127.0.0.1:1", "client_id": SP_ID,
            "client_secret": SP_PASSWORD, "webhook_secret": WEBHOOK_SECRET})
        cls.certs[cls.gvbm_lit].write({"backend": "remote", "provider_id": cls.provider.id,
                                       "p12_file": False,
                                       "remote_user_ref": cls.pki.leaf("ecdsa").user_ref})

    def start_standin(self):
        url = self.run_standin("hocbaso.signing.standins.smartca", "--sp-id", SP_ID,
                               "--sp-password", SP_PASSWORD, "--webhook-secret", WEBHOOK_SECRET)
        self.provider.service_url = url
        return url

    def waiting_ref(self, stop):
        """The transaction of the batch that waits for approval, once there is one."""
        while not stop.is_set():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                ref = env["hocbaso.sign.batch"].search([("state", "=", "waiting")],
                                                       limit=1).transaction_ref
            if ref:
                return ref
            time.sleep(0.3)
        return None

    def approve(self, url, ref, outcome):
        """The phone approves ``ref``; the scheduled job polls; her websockets are woken."""
        reply = requests.post(f"{url}/_test/approve/{ref}", json={}, timeout=5)
        outcome.setdefault("approve", []).append(reply.status_code)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["hocbaso.sign.batch"]._cron_poll()
            batch = env["hocbaso.sign.batch"].search([("transaction_ref", "=", ref)])
            outcome.setdefault("state", []).append(batch.state)
            channel = hashable(channel_with_db(cr.dbname, batch.user_id.partner_id))
        # the cursor is committed: the bus rows exist. Odoo drops the NOTIFY in tests, so wake
        # the websockets of her channel as PostgreSQL's NOTIFY would.
        for websocket in list(dispatch._channels_to_ws.get(channel, ())):
            websocket.trigger_notification_dispatching()

    def play_the_phone(self, url, steps, outcome, stop):
        """Beside the browser: for each (event, ref) wait until the browser has read the screen
        showing the batch, then approve ``ref`` (None: the batch that waits)."""
        try:
            for ready, ref in steps:
                if not ready.wait(60):
                    outcome["error"] = "the browser never showed the batch"
                    return
                ref = ref or self.waiting_ref(stop)
                if stop.is_set() or not ref:
                    return
                time.sleep(1.5)  # the view is drawn after its data arrives; she reads it
                self.approve(url, ref, outcome)
        except Exception as err:  # noqa: BLE001 - reported by the test thread
            outcome["error"] = repr(err)

    def run_tour(self, tour, url, steps, start="/odoo"):
        outcome, stop = {}, threading.Event()
        phone = threading.Thread(target=self.play_the_phone, args=(url, steps, outcome, stop))
        phone.start()
        try:
            self.start_tour(start, tour, login=self.gvbm_lit.login, timeout=120)
        finally:
            stop.set()
            phone.join(30)
        self.assertNotIn("error", outcome)
        self.assertEqual(outcome.get("approve"), [200] * len(steps))
        self.assertEqual(outcome.get("state"), ["done"] * len(steps))

    def signal_on(self, model_name, method, when=None):
        """An event set when the browser calls ``method`` of ``model_name`` (on records for
        which ``when`` holds)."""
        event = threading.Event()
        model = type(self.env[model_name])
        original = getattr(model, method)

        @functools.wraps(original)  # keeps Odoo's api decorators
        def spy(records, *args, **kwargs):
            result = original(records, *args, **kwargs)
            if when is None or when(records):
                event.set()
            return result

        self.startPatcher(patch.object(model, method, spy))
        return event

    def start_batch(self, records):
        wizard = self.env["hocbaso.sign.wizard"].with_user(self.gvbm_lit).with_context(
            active_model="hocbaso.record", active_ids=records.ids, lang="vi_VN").create({
                "role": "gvbm", "certificate_id": self.certs[self.gvbm_lit].id})
        wizard.action_sign()
        self.assertEqual(wizard.batch_ids.state, "waiting")
        return wizard.batch_ids

    def test_waiting_wizard_shows_the_result_without_a_click(self):
        self.load_vietnamese()
        self.gvbm_lit.lang = "vi_VN"
        url = self.start_standin()
        self.lock(self.records)
        waiting = self.signal_on("hocbaso.sign.wizard", "web_read",
                                 lambda wizards: wizards.state == "batch_wait")
        self.run_tour("hocbaso_batch_refresh", url, [(waiting, None)])
        batch = self.env["hocbaso.sign.batch"].search([])
        self.assertEqual(len(batch), 1)
        self.assertEqual((batch.state, batch.signed_count), ("done", batch.item_count))
        for record in self.records:
            self.assertTrue(record._verify_report().valid)

    def test_batch_list_and_form_show_the_answer(self):
        self.load_vietnamese()
        self.gvbm_lit.lang = "vi_VN"
        url = self.start_standin()
        self.lock(self.records)
        first, second = self.start_batch(self.record), self.start_batch(self.record2)
        listed = self.signal_on("hocbaso.sign.batch", "web_search_read")
        opened = self.signal_on("hocbaso.sign.batch", "web_read")
        self.run_tour("hocbaso_batch_list_refresh", url, [(listed, first.transaction_ref),
                                                          (opened, second.transaction_ref)],
                      start="/odoo/action-hocbaso_odoo_sign.hocbaso_sign_batch_action")
        (first | second).invalidate_recordset()
        self.assertEqual((first | second).mapped("state"), ["done", "done"])
