"""The Odoo side of the benchmark's set-up: a fresh database with the addons installed, its
environments, and the district built in it by hocbaso_demo's generator (the one that builds
the demo school), described in ids for the stages.
"""

import collections
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from .measure import current_rss_mb, log

REPO_ROOT = Path(__file__).resolve().parents[1]
ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo-18.0"))
ADDONS = "hocbaso_odoo,hocbaso_odoo_sign,hocbaso_odoo_sync"
HTTP_PORT = int(os.environ.get("HOCBASO_BENCH_HTTP_PORT", "8479"))
DB_USER = os.environ.get("HOCBASO_DB_USER", "hocbaso")
DB_HOST = os.environ.get("HOCBASO_DB_HOST", "127.0.0.1")
USER_CONTEXT = {"lang": "vi_VN", "tz": "Asia/Ho_Chi_Minh"}


def write_config(path, data_dir, port):
    path.write_text(f"""[options]
addons_path = {ODOO_SRC / 'addons'},{REPO_ROOT}
data_dir = {data_dir}
db_user = {DB_USER}
db_host = {DB_HOST}
db_port = 5432
db_password = False
http_interface = 127.0.0.1
http_port = {port}
list_db = False
without_demo = all
max_cron_threads = 0
""")


def install_database(config, db, logfile):
    command = [sys.executable, str(ODOO_SRC / "odoo-bin"), "-c", str(config), "-d", db, "-i",
               ADDONS, "--load-language=vi_VN", "--stop-after-init", "--log-level=warn"]
    with open(logfile, "ab") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, timeout=1800)
    if result.returncode != 0:
        raise RuntimeError(f"installing {ADDONS} into {db} failed; see {logfile}")


def drop_database(db):
    import psycopg2

    connection = psycopg2.connect(dbname="postgres", user=DB_USER, host=DB_HOST)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute('DROP DATABASE IF EXISTS "%s"' % db)
    finally:
        connection.close()



class OdooSession:
    """Environments on new cursors of one registry (the bench's process or a worker's)."""

    registry = None

    def cursor_env(self, cr, uid=None, context=None):
        from odoo import SUPERUSER_ID, api

        return api.Environment(cr, uid or SUPERUSER_ID, dict(USER_CONTEXT, **(context or {})))

    @contextlib.contextmanager
    def env(self, uid=None, context=None):
        """An environment on a new cursor: one transaction, committed when the block ends."""
        with self.registry.cursor() as cr:
            yield self.cursor_env(cr, uid, context)


# --------------------------------------------------------------------------------------------
# the district


def generate_district(session, students):
    """Build the district's schools, one transaction each; returns (the schools described
    in ids, the test PKI's Certificates)."""
    from odoo.addons.hocbaso_demo import district
    from odoo.addons.hocbaso_demo.certificates import Certificates

    sizes = district.school_sizes(students)
    log(f"generating {students} students in {len(sizes)} school(s): {sizes[:3]}"
        f"{' ...' if len(sizes) > 3 else ''}")
    start = time.perf_counter()
    certs = Certificates()
    with session.env() as env:
        certs.trust(env)
    schools, first_serial = [], 1
    for index, size in enumerate(sizes):
        with session.env() as env:
            built = district.build_school(env, index, size, first_serial=first_serial,
                                          certificates=certs)
            schools.append(describe_school(built, index, size))
        first_serial += size
        log(f"school {index + 1}/{len(sizes)}: {size} students "
            f"({time.perf_counter() - start:.0f}s, RSS {current_rss_mb():.0f} MB)")
    # Fresh planner statistics, as autovacuum keeps them on a live database: right after a
    # bulk load they are stale, and PostgreSQL then picks table scans and parallel plans for
    # queries that touch a few rows, which would slow every stage down.
    with session.env() as env:
        env.cr.execute("ANALYZE")
    return schools, certs


def describe_school(built, index, size):
    """What the stages need of a built school (ids only: they cross process boundaries)."""
    users, certs = built["users"], built["certificates"]
    by_class = collections.defaultdict(list)
    for record in built["records"]:
        by_class[record.class_id.id].append(record.id)
    classes = []
    for klass in built["classes"]:
        homeroom = klass.homeroom_teacher_id
        classes.append({
            "id": klass.id, "name": klass.name, "records": by_class[klass.id],
            "homeroom": homeroom.id,
            # the homeroom teacher signs her subjects first, then the specialists
            "gvbm": [homeroom.id] + [teacher.id for teacher in
                                     klass.assignment_ids.teacher_id.sorted("id")
                                     if teacher != homeroom],
        })
    return {
        "index": index, "code": built["company"].hocbaso_school_code,
        "company": built["company"].id, "size": size, "records": built["records"].ids,
        "classes": classes, "admin": users["quantri"].id, "principal": users["hieutruong"].id,
        "issuer": users["vanthu"].id, "certs": {uid: cert for uid, cert in certs.items()
                                                 if uid != "seal"},
        "seal": certs["seal"],
    }


def register_token_certificate(session, certs, school):
    """A SoftHSM2 token for the homeroom teacher of the first class, with a certificate
    issued to her, registered as her PKCS#11 certificate: (certificate id, PIN), or raises."""
    from odoo.addons.hocbaso_demo.certificates import certificate_vals

    from .token import create_softhsm_token

    klass = school["classes"][0]
    with session.env() as env:
        user = env["res.users"].browse(klass["homeroom"])
        certificate, _p12, key = certs.issue(user.name, "CCCD:" + user.hocbaso_personal_id,
                                             key=certs.keys[0])
        token, _cert = create_softhsm_token(key, certificate, label=f"hb-bench-{os.getpid()}")
        vals = certificate_vals(school["company"], user.id, certificate, b"")
        vals.update(backend="pkcs11", p12_file=False, pkcs11_module=token.module_path,
                    pkcs11_token_label=token.token_label, pkcs11_key_label="signing")
        return env["hocbaso.signing.certificate"].create(vals).id, token.pin
