"""One Odoo worker process's share of the export and signing stages.

The bench (odoo_stages.py) hands tasks to a pool of worker processes, each with its own
registry on the bench's database, as a server's Odoo workers serve a district; a task is a
unit of work (a school, or some of the first school's classes) and one stage.
"""

import collections
import contextlib
import logging
import os
import time

from .measure import Meter, QueryProfile, chunks, peak_rss_mb
from .odoo_setup import OdooSession

EXPORT_BATCH = 1000
SIGN_BATCH = 1000  # records one signer selects and signs in one wizard run
PASSWORD = "1234"  # security.pki.TEST_PASSWORD


def counted_sizes(count):
    """The two batch sizes whose SQL queries are counted: 100 and 1,000 on a 2,000-student
    school, else a tenth and the rest."""
    small = 100 if count >= 1100 else max(1, count // 10)
    return small, min(EXPORT_BATCH, count - small)



class Pipeline(OdooSession):
    """One Odoo worker's share of a stage. A unit is a school, or part of the first school
    (some of its classes) so that both workers work on it at once, as its staff do."""

    def __init__(self, registry):
        self.registry = registry

    def run(self, task):
        meters, queries, counts = collections.defaultdict(Meter), {}, collections.Counter()
        start = time.perf_counter()  # CLOCK_MONOTONIC: comparable across processes
        getattr(self, task["stage"])(task, meters, queries, counts)
        return {"school": task["school"]["index"], "part": task["part"],
                "records": len(task["records"]), "start": start, "end": time.perf_counter(),
                "meters": {name: (m.seconds, m.items, dict(m.extra))
                           for name, m in meters.items()},
                "queries": {key: (q.total, dict(q.shapes)) for key, q in queries.items()},
                "counts": dict(counts), "pid": os.getpid(), "peak_mb": peak_rss_mb()}

    # export --------------------------------------------------------------------------------
    def export(self, task, meters, queries, counts):
        """The school administrator locks the unit's records, up to EXPORT_BATCH at a time;
        with ``counted``, the SQL queries of the first two batches (two sizes) are counted."""
        ids, admin = task["records"], task["school"]["admin"]
        batches = []
        if task["counted"]:
            small, large = counted_sizes(len(ids))
            batches = [batch for batch in (ids[:small], ids[small:small + large]) if batch]
        done = sum(len(b) for b in batches)
        batches += list(chunks(ids[done:], EXPORT_BATCH))
        for number, batch in enumerate(batches):
            counted = task["counted"] and number < 2
            profile = QueryProfile()
            with contextlib.ExitStack() as stack:
                if counted:
                    stack.enter_context(profile.active())
                stack.enter_context(meters["export"].measure(len(batch)))
                with self.env(admin) as env:
                    env["hocbaso.record"].browse(batch).action_lock()
            if counted:
                queries[("export", len(batch))] = profile

    # signing -------------------------------------------------------------------------------
    def sign(self, task, meters, queries, counts):
        """Every role signs the unit's records, each signer selecting every record waiting for
        her (up to SIGN_BATCH per wizard run), as the list view's Sign button does: each
        specialist across her classes, each homeroom teacher her class (her own subjects and
        the GVCN slot in one step), then the principal and the seal holder."""
        from hocbaso.signing import xmldsig as X

        school, classes = task["school"], task["classes"]
        certs = school["certs"]
        software = meters["sign"]
        specialist_records = collections.defaultdict(list)
        for klass in classes:
            for teacher in klass["gvbm"]:
                if teacher != klass["homeroom"]:
                    specialist_records[teacher].extend(klass["records"])
        for teacher, ids in specialist_records.items():
            for batch in chunks(ids, SIGN_BATCH):
                self.sign_batch(teacher, batch, X.ROLE_GVBM, certs[teacher],
                                [software, meters[f"sign:{X.ROLE_GVBM}"]], counts)
        token = task.get("token")
        for number, klass in enumerate(classes):
            if number == 0 and token:  # one class on the SoftHSM2 token, timed on its own
                self.sign_batch(klass["homeroom"], klass["records"], X.ROLE_GVCN, token[0],
                                [meters["token"]], counts, secret=token[1])
                continue
            self.sign_batch(klass["homeroom"], klass["records"], X.ROLE_GVCN,
                            certs[klass["homeroom"]], [software, meters[f"sign:{X.ROLE_GVCN}"]],
                            counts)
        for role, uid, cert in ((X.ROLE_CBQL, school["principal"], certs[school["principal"]]),
                                (X.ROLE_ISSUER, school["issuer"], school["seal"])):
            for batch in chunks(task["records"], SIGN_BATCH):
                self.sign_batch(uid, batch, role, cert, [software, meters[f"sign:{role}"]],
                                counts)

    def sign_batch(self, uid, ids, role, cert_id, meters, counts, secret=PASSWORD):
        """The sign wizard as ``uid`` on ``ids``; only the wizard (and its commit) is timed."""
        with self.env(uid) as env:
            Signature = env["hocbaso.record.signature"].sudo()
            before = Signature.search_count([("record_id", "in", ids)])
            env.cr.commit()
            with contextlib.ExitStack() as stack:
                for meter in meters:
                    stack.enter_context(meter.measure(len(ids)))
                wizard = env["hocbaso.sign.wizard"].with_context(
                    active_model="hocbaso.record", active_ids=ids).create(
                        {"role": role, "certificate_id": cert_id})
                wizard.with_context(hocbaso_secret=secret).action_sign()
                env.cr.commit()
            bad = wizard.result_ids.filtered(lambda r: r.status != "signed")
            if bad:
                raise RuntimeError(f"{role} signing by user {uid}: {len(bad)} records not "
                                   f"signed: {bad[0].message}")
            count = Signature.search_count([("record_id", "in", ids)]) - before
        for meter in meters:
            meter.extra["signatures"] += count
        counts[f"signatures:{role}"] += count
        counts["wizard_runs"] += 1


# the pool's functions, run in each worker process (multiprocessing "spawn": a fresh
# interpreter each, so no database connection is shared across a fork)
_WORKER = None


def worker_init(config, db):
    global _WORKER
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config), "--log-level=warn"])
    logging.getLogger("hocbaso").setLevel(logging.WARNING)
    _WORKER = Pipeline(Registry(db))


def worker_ready(_number):
    time.sleep(0.5)  # long enough for every worker to take one
    return os.getpid()


def worker_run(task):
    return _WORKER.run(task)
