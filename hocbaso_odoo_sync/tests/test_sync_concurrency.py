"""Two cron runs at the same time, on two real database transactions."""

import base64
import hashlib
import threading
import uuid

from odoo import SUPERUSER_ID, api
from odoo.api import Transaction
from odoo.tests import tagged

from odoo.addons.hocbaso_odoo_sync.models.hocbaso_sync_entry_send import sending_node

from .common import CLIENT_ID, CLIENT_SECRET, SyncCase


@tagged("post_install", "-at_install")
class TestSyncConcurrency(SyncCase):
    """The test transaction is invisible to other connections, so this test commits its own
    small outbox (on the main company) through registry.cursor() and removes it afterwards."""

    def test_two_parallel_cron_runs_send_nothing_twice(self):
        self.fill_results(self.record)
        self.record.with_user(self.gvcn).action_lock()
        xml = self.record._get_xml()
        uuids = [f"hb-par-{uuid.uuid4().hex[:12]}" for _i in range(12)]
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            self.assertFalse(env["hocbaso.sync.config"].with_context(active_test=False).search(
                [("company_id", "=", company.id)]), "the main company has no CSDL settings")
            config = env["hocbaso.sync.config"].create({
                "company_id": company.id, "endpoint_url": self.csdl.base_url,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "school_code": self.school.hocbaso_school_code, "batch_size": 2, "timeout": 5,
            })
            config_id = config.id
            entries = env["hocbaso.sync.entry"].create([{
                "company_id": company.id, "id_ban_ghi": key, "phien_ban": 1,
                "record_version": 1, "event": "NEW", "school_year": "2024-2025",
                "personal_id": f"0012130001{n:02d}", "xml_document": base64.b64encode(xml),
                "xml_sha256": hashlib.sha256(xml).hexdigest(),
            } for n, key in enumerate(uuids)])
            entry_ids = entries.ids
        try:
            self.csdl.set_faults("slow", count=len(uuids), delay=0.15)
            barrier = threading.Barrier(2)
            done, errors = {}, []

            def worker(name):
                try:
                    with self.registry.cursor() as cr:
                        # Registry(dbname) would wait for the registry lock that the test
                        # runner holds: hand the registry to the transaction directly.
                        cr.transaction = Transaction(self.registry)
                        # commit per batch for real, as in production
                        env = api.Environment(cr, SUPERUSER_ID, {"hocbaso_sync_commit": True})
                        barrier.wait(timeout=10)
                        done[name] = env["hocbaso.sync.entry"]._cron_send_pending()
                except Exception as exc:  # noqa: BLE001 - reported by the main thread
                    errors.append(exc)

            threads = [threading.Thread(target=worker, args=(n,)) for n in ("a", "b")]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            self.assertFalse(errors)
            self.assertEqual(done["a"] + done["b"], len(uuids), "every entry taken exactly once")
            self.assertGreater(done["a"], 0, "both runs worked in parallel")
            self.assertGreater(done["b"], 0, "both runs worked in parallel")
            held = {r["id_ban_ghi"]: r for r in self.csdl.records()}
            for key in uuids:
                self.assertEqual(held[key]["deliveries"], {"accepted": 1},
                                 f"{key} was sent exactly once")
            with self.registry.cursor() as cr:
                cr.execute("SELECT DISTINCT state, attempts, sent_by FROM hocbaso_sync_entry "
                           "WHERE id IN %s", (tuple(entry_ids),))
                # both runs are threads of this process: one sender, named as an admin reads it
                self.assertEqual(cr.fetchall(), [("acknowledged", 1, sending_node())])
        finally:
            with self.registry.cursor() as cr:
                cr.execute("DELETE FROM ir_attachment WHERE res_model = 'hocbaso.sync.entry' "
                           "AND res_id IN %s", (tuple(entry_ids),))
                cr.execute("DELETE FROM hocbaso_sync_entry WHERE id IN %s", (tuple(entry_ids),))
                cr.execute("DELETE FROM hocbaso_sync_config WHERE id = %s", (config_id,))
                cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s",
                           (self.env.ref("hocbaso_odoo_sync.ir_cron_hocbaso_sync_send").id,))
