"""Odoo stages of the benchmark: a district of schools in a fresh database, on real Odoo 18 and
PostgreSQL, through the addons' own code paths.

    python -m bench --odoo [--students 30000]

1. A fresh database ``hocbaso_bench_<timestamp>`` with its own config file and data folder
   (under a temporary folder) and its own HTTP port (8479, or $HOCBASO_BENCH_HTTP_PORT; no
   server is started: every stage runs in this process): odoo-bin installs hocbaso_odoo,
   hocbaso_odoo_sign and hocbaso_odoo_sync (and Vietnamese).
2. The district, built in this process through the ORM with batch ``create`` of lists: primary
   schools (TT27) whose first school has 2,000 students (or all of them when fewer) and the
   others about 1,200; classes of up to 35; one homeroom teacher per class, four specialist
   teachers (foreign language, informatics, PE, arts), the principal, the seal holder, the
   school administrator; every record filled with subject results and ratings; a test PKI
   (security/pki.py) with a PKCS#12 certificate for every signer and the school's seal.
3. Timed, each in its own transactions as a user would run them. Export and signing run in
   a pool of Odoo worker processes (``--workers``, default 2: one per core, as a server with
   two Odoo workers serves a district), each with its own registry; the first school's classes
   are split between the workers so both work on it at once, then each takes a whole school.
   Throughput (records/s, the school and district times) is wall-clock over all workers;
   the ratio of signing to the raw RSA limit is per worker, since that limit is one core's:
   export      the school administrator locks the results (``action_lock``: computed results,
               state, chatter, XML build + XSD validation, stored document), batches of
               up to 1,000 records;
   signing     the sign wizard (``hocbaso.sign.wizard.action_sign``: PKCS#12 opened, every
               server-side check, XML-DSig, stored document, signature log, chatter, state)
               as each signer uses it, every record waiting for her selected at once (up to
               1,000 per run): each specialist teacher across her classes, each homeroom
               teacher for her class (her subjects and GVCN in one step), the principal, then
               the seal holder across the school (issuance also queues the record in the CSDL
               outbox);
   token       one class's homeroom signature on a SoftHSM2 token (same wizard, PKCS#11);
   queue       the outbox entries of issued records made again (``_on_issued``), at two batch
               sizes, with the SQL query count per record (an N+1 shows as a count that grows);
   verify      ``_verify_report`` on a sample of issued records;
   pdf         the printed record (hocbaso_odoo/report) on a sample, one record per
               wkhtmltopdf call (the page is self-contained);
   sync        the outbox cron (``_cron_send_pending``) to the reference CSDL server
               (``python -m hocbaso.csdl.server``) until every record is acknowledged.
   Raw limits measured in the same run: RSA-2048 signatures/s of ``cryptography`` on one
   core, lxml parse+serialize/s of the exported documents.
4. The database is dropped at the end unless $HOCBASO_BENCH_KEEP_DB is set.

Progress goes to stderr; ``run`` prints the targets with PASS/MISS and returns the rows.
"""

from __future__ import annotations

import base64
import collections
import contextlib
import datetime as dt
import logging
import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # security/ lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

ODOO_SRC = Path(os.environ.get("ODOO_SRC", "/opt/odoo-18.0"))
ADDONS = "hocbaso_odoo,hocbaso_odoo_sign,hocbaso_odoo_sync"
HTTP_PORT = int(os.environ.get("HOCBASO_BENCH_HTTP_PORT", "8479"))
DB_USER = os.environ.get("HOCBASO_DB_USER", "hocbaso")
DB_HOST = os.environ.get("HOCBASO_DB_HOST", "127.0.0.1")

BIG_SCHOOL = 2000  # the first school: the "2,000-student school" target
SCHOOL_SIZE = 1200  # the other schools (30,000 = 2,000 + 24 x ~1,167: 25 schools)
CLASS_SIZE = 35
EXPORT_BATCH = 1000
SIGN_BATCH = 1000  # records one signer selects and signs in one wizard run
WORKERS = 2  # Odoo worker processes for export and signing: one per core of this machine
VERIFY_SAMPLE = 200
PDF_SAMPLE = 50
SYNC_BATCH = 100  # records per request (the protocol's maximum)
PASSWORD = "1234"  # security.pki.TEST_PASSWORD
YEAR = "2024-2025"
ISSUE_DATE = "2025-05-31"
DISTRICT = 30000

TARGET_EXPORT = 500.0  # records/s
TARGET_SIGN_RATIO = 0.40  # of the raw RSA-2048 limit, per signature
TARGET_SCHOOL_S = 60.0  # 2,000-student school: export + sign all roles + queue
TARGET_DISTRICT_S = 15 * 60.0  # 30,000 students end to end
TARGET_MEMORY_MB = 1536.0

# primary subjects taught by a specialist rather than the homeroom teacher
SPECIALISTS = {"NN1": "gv_anh", "TINCN": "gv_tin", "GDTC": "gv_theduc",
               "NGHETHUAT": "gv_nghethuat"}
STAFF = (  # login suffix, name, group, title
    ("hieutruong", "Nguyễn Thị Hồng Hạnh", "group_leadership", "Hiệu trưởng"),
    ("vanthu", "Lê Thu Trang", "group_issuer", "Văn thư"),
    ("quantri", "Phạm Minh Tuấn", "group_school_admin", "Quản trị hệ thống"),
    ("gv_anh", "Đỗ Ngọc Anh", "group_subject_teacher", "Giáo viên"),
    ("gv_tin", "Đặng Văn Nam", "group_subject_teacher", "Giáo viên"),
    ("gv_theduc", "Bùi Văn Hùng", "group_subject_teacher", "Giáo viên"),
    ("gv_nghethuat", "Ngô Thị Hoa", "group_subject_teacher", "Giáo viên"),
)
QUIET_CONTEXT = {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
                 "mail_create_nosubscribe": True, "no_reset_password": True}
USER_CONTEXT = {"lang": "vi_VN", "tz": "Asia/Ho_Chi_Minh"}

_T0 = time.perf_counter()


def log(message):
    print(f"[bench {time.perf_counter() - _T0:7.1f}s] {message}", file=sys.stderr, flush=True)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_rss_mb(pid):
    """Peak RSS of a running process (VmHWM). Not RUSAGE_CHILDREN: a child forked from this
    process counts this process's pages until it execs, so that figure is ours again."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def current_rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def school_sizes(students):
    """The first school has min(students, 2,000); the rest are split into ~1,200-student ones."""
    first = min(students, BIG_SCHOOL)
    rest = students - first
    count = math.ceil(rest / SCHOOL_SIZE) if rest > 0 else 0
    return [first] + [rest // count + (1 if i < rest % count else 0) for i in range(count)]


def counted_sizes(count):
    """The two batch sizes whose SQL queries are counted: 100 and 1,000 on a 2,000-student
    school, else a tenth and the rest."""
    small = 100 if count >= 1100 else max(1, count // 10)
    return small, min(EXPORT_BATCH, count - small)


def chunks(items, size):
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Meter:
    """Seconds and item counts of one stage, summed over its batches."""

    def __init__(self):
        self.seconds = 0.0
        self.items = 0
        self.extra = collections.Counter()

    @contextlib.contextmanager
    def measure(self, items=0):
        start = time.perf_counter()
        try:
            yield self
        finally:
            self.seconds += time.perf_counter() - start
            self.items += items

    @property
    def rate(self):
        return self.items / self.seconds if self.seconds else 0.0


class QueryProfile:
    """Count the SQL queries run while active, by shape (table and verb), on every cursor."""

    def __init__(self):
        self.total = 0
        self.shapes = collections.Counter()

    @contextlib.contextmanager
    def active(self):
        from odoo import sql_db

        original = sql_db.Cursor.execute
        profile = self

        def execute(cursor, query, params=None, log_exceptions=True):
            profile.total += 1
            profile.shapes[self.shape(query)] += 1
            return original(cursor, query, params, log_exceptions)

        sql_db.Cursor.execute = execute
        try:
            yield self
        finally:
            sql_db.Cursor.execute = original

    @staticmethod
    def shape(query):
        text = getattr(query, "code", query)
        text = " ".join(str(text).split())
        match = re.match(r'(SELECT|INSERT INTO|UPDATE|DELETE FROM|SAVEPOINT|RELEASE SAVEPOINT|'
                         r'ROLLBACK TO SAVEPOINT)\s*"?(\w*)', text, re.I)
        if not match:
            return text[:40]
        verb, table = match.group(1).upper(), match.group(2)
        if verb == "SELECT":
            found = re.search(r'\bFROM\s+"?(\w+)"?', text, re.I)
            table = found.group(1) if found else "?"
        if "SAVEPOINT" in verb:
            table = ""
        return f"{verb} {table}".strip()

    def top(self, per, count=5):
        return ", ".join(f"{shape} {n / per:.1f}" for shape, n in self.shapes.most_common(count))


# --------------------------------------------------------------------------------------------
# the database


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


# --------------------------------------------------------------------------------------------
# test certificates: a few RSA keys, one certificate per signer


class Certificates:
    """The test PKI of security/pki.py; signers' certificates share a small pool of keys
    (generating an RSA key per teacher would dominate the set-up, not the measured stages)."""

    def __init__(self):
        from security import pki as pki_module

        self.pki_module = pki_module
        self.pki = pki_module.build_test_pki()
        rsa_leaves = ("gvbm", "gvcn", "hieutruong", "school")
        self.keys = [self.pki.leaf(name).key for name in rsa_leaves]
        self._next = 0

    def issue(self, common_name, uid, organisation="", key=None):
        """(certificate, PKCS#12 bytes with the issuing CA, password TEST_PASSWORD, key)."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import ExtendedKeyUsageOID

        m, pki = self.pki_module, self.pki
        if key is None:
            key = self.keys[self._next % len(self.keys)]
            self._next += 1
        spec = m.LeafSpec("bench", common_name, uid, "benchmark", organisation=organisation)
        certificate = (
            m._builder(m._name(common_name, uid, organisation), pki.intermediate.subject,
                       key.public_key(), pki.now - dt.timedelta(days=30),
                       pki.now + dt.timedelta(days=730), pki.intermediate_key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(m._key_usage(signing=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH,
                                                  ExtendedKeyUsageOID.EMAIL_PROTECTION]),
                           critical=False)
            .sign(pki.intermediate_key, hashes.SHA256()))
        p12 = m._p12(spec, certificate, key, [pki.intermediate, pki.root])
        return certificate, p12, key

    def trust(self, env):
        from cryptography.hazmat.primitives import serialization

        pem = lambda c: c.public_bytes(serialization.Encoding.PEM).decode()  # noqa: E731
        env["hocbaso.trusted.ca"].create([
            {"name": self.pki_module.ROOT_NAME, "pem": pem(self.pki.root), "is_root": True},
            {"name": self.pki_module.INTERMEDIATE_NAME, "pem": pem(self.pki.intermediate),
             "is_root": False, "crl_file": base64.b64encode(
                 self.pki.crl.public_bytes(serialization.Encoding.DER))},
        ])


def certificate_vals(company_id, user_id, certificate, p12, kind="personal"):
    from cryptography.hazmat.primitives import serialization

    return {"company_id": company_id, "user_id": user_id, "kind": kind,
            "certificate_file": base64.b64encode(
                certificate.public_bytes(serialization.Encoding.PEM)),
            "certificate_filename": "certificate.pem", "backend": "pkcs12",
            "p12_file": base64.b64encode(p12), "p12_filename": "certificate.p12"}


# --------------------------------------------------------------------------------------------
# the district


class DistrictBuilder:
    """Primary schools through the ORM, one transaction per school, batch create everywhere."""

    def __init__(self, env, certs, seed=2025):
        from odoo.addons.hocbaso_demo import school as demo
        from odoo.addons.hocbaso_odoo.models.hocbaso_record import (COMPETENCY_FIELDS,
                                                                    QUALITY_FIELDS)

        self.demo = demo
        self.rating_fields = list(COMPETENCY_FIELDS + QUALITY_FIELDS)
        self.certs = certs
        self.rnd = random.Random(seed)
        self.person_serial = 0
        self.student_serial = 0
        self.bind(env)

    def bind(self, env):
        """Work on ``env`` (a new cursor per school): every record held is browsed again."""
        self.env = env = env(context=dict(env.context, **QUIET_CONTEXT))
        self.year = env["hocbaso.school.year"].search([("name", "=", YEAR)]) or \
            env["hocbaso.school.year"].create({"name": YEAR})
        self.level = env.ref("hocbaso_odoo.school_level_02")
        self.grades = {n: env.ref(f"hocbaso_odoo.grade_{n:02d}") for n in range(1, 6)}
        self.subjects = {}
        for number, grade in self.grades.items():
            self.subjects[number] = env["hocbaso.subject"].search([
                ("level_id", "=", self.level.id), ("grade_ids", "in", grade.id),
                ("requirement", "=", "compulsory")], order="sequence, id")
        self.groups = {name: env.ref(f"hocbaso_odoo.{name}").id
                       for name in {g for _l, _n, g, _t in STAFF} | {"group_homeroom_teacher"}}

    def _personal_id(self, female):
        self.person_serial += 1
        return f"001{1 if female else 0}{self.rnd.randint(70, 99)}{self.person_serial:06d}"

    def build_school(self, env, index, size):
        """Create one school; returns a plain description (ids only) for the stages."""
        self.bind(env)
        env, rnd = self.env, self.rnd
        code = f"0102{index + 1:04d}"
        company = env["res.company"].create({
            "name": f"Trường Tiểu học Bench {index + 1:02d}", "hocbaso_is_school": True,
            "hocbaso_school_code": code, "hocbaso_department_code": "01",
            "hocbaso_department_name": "Sở GDĐT Hà Nội", "hocbaso_province_code": "01",
            "hocbaso_province_name": "Hà Nội", "hocbaso_commune_code": f"{index + 1:05d}",
            "hocbaso_commune_name": f"Phường {index + 1}", "hocbaso_district_name": "Quận Bench",
            "hocbaso_issue_place": "Hà Nội", "hocbaso_level_ids": [(6, 0, self.level.ids)],
        })
        # classes: up to 35 students, spread over grades 1-5
        per_grade = [size // 5 + (1 if g < size % 5 else 0) for g in range(5)]
        layout = []  # (grade number, class name, students)
        for number, count in zip(range(1, 6), per_grade):
            if not count:
                continue
            classes = math.ceil(count / CLASS_SIZE)
            for c in range(classes):
                layout.append((number, f"{number}A{c + 1}",
                               count // classes + (1 if c < count % classes else 0)))
        prefix = f"b{index + 1:02d}_"
        user_vals = []
        for login, name, group, title in STAFF:
            user_vals.append((login, name, group, title, name.split()[1] in ("Thị", "Thu")))
        for number, class_name, _n in layout:
            female = rnd.random() < 0.8
            name = " ".join([rnd.choice(self.demo.FAMILY),
                             rnd.choice(self.demo.MIDDLE_F if female else self.demo.MIDDLE_M),
                             rnd.choice(self.demo.GIVEN_F if female else self.demo.GIVEN_M)])
            user_vals.append((f"gvcn_{class_name.lower()}", name, "group_homeroom_teacher",
                              "Giáo viên", female))
        users = env["res.users"].create([{
            "login": prefix + login, "name": name, "email": f"{prefix}{login}@bench.invalid",
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
            "groups_id": [(6, 0, [self.groups[group]])], "lang": "vi_VN",
            "hocbaso_personal_id": self._personal_id(female), "hocbaso_title": title,
        } for login, name, group, title, female in user_vals])
        by_login = {login: user for (login, *_rest), user in zip(user_vals, users)}
        classes = env["hocbaso.class"].create([{
            "name": class_name, "company_id": company.id, "school_year_id": self.year.id,
            "grade_id": self.grades[number].id,
            "homeroom_teacher_id": by_login[f"gvcn_{class_name.lower()}"].id,
        } for number, class_name, _n in layout])
        assignments = []
        for klass, (number, _name, _n) in zip(classes, layout):
            for subject in self.subjects[number]:
                teacher = by_login.get(SPECIALISTS.get(subject.code)) or klass.homeroom_teacher_id
                assignments.append({"class_id": klass.id, "subject_id": subject.id,
                                    "teacher_id": teacher.id})
        env["hocbaso.teaching.assignment"].create(assignments)
        student_vals = []
        for klass, (number, _name, count) in zip(classes, layout):
            for _i in range(count):
                student_vals.append(self._student_vals(company, klass, number))
        students = env["hocbaso.student"].create(student_vals)
        records = self._create_records(company, classes, layout, students, by_login)
        # signing certificates: every signer's own, the school's seal
        signers = [u for login, u in by_login.items() if login not in ("quantri",)]
        cert_vals = []
        for user in signers:
            certificate, p12, _key = self.certs.issue(user.name,
                                                      "CCCD:" + user.hocbaso_personal_id)
            cert_vals.append(certificate_vals(company.id, user.id, certificate, p12))
        seal, seal_p12, _key = self.certs.issue(company.name, "MST:0101234567",
                                                organisation=company.name)
        cert_vals.append(certificate_vals(company.id, False, seal, seal_p12, "organisation"))
        certificates = env["hocbaso.signing.certificate"].create(cert_vals)
        cert_of = {c.user_id.id: c.id for c in certificates if c.user_id}
        by_class = collections.defaultdict(list)
        for record in records:
            by_class[record.class_id.id].append(record.id)
        class_rows = []
        for klass in classes:
            teachers = klass.assignment_ids.teacher_id
            class_rows.append({
                "id": klass.id, "name": klass.name, "records": by_class[klass.id],
                "homeroom": klass.homeroom_teacher_id.id,
                # the homeroom teacher signs her subjects first, then the specialists
                "gvbm": [klass.homeroom_teacher_id.id] + [
                    t.id for t in teachers.sorted("id") if t != klass.homeroom_teacher_id],
            })
        return {
            "index": index, "code": code, "company": company.id, "size": size,
            "records": records.ids, "classes": class_rows,
            "admin": by_login["quantri"].id, "principal": by_login["hieutruong"].id,
            "issuer": by_login["vanthu"].id, "certs": cert_of,
            "seal": certificates.filtered(lambda c: c.kind == "organisation").id,
        }

    def _student_vals(self, company, klass, grade_number):
        rnd = self.rnd
        self.student_serial += 1
        serial = self.student_serial
        female = rnd.random() < 0.5
        birth_year = 2024 - 5 - grade_number
        name = " ".join([rnd.choice(self.demo.FAMILY),
                         rnd.choice(self.demo.MIDDLE_F if female else self.demo.MIDDLE_M),
                         rnd.choice(self.demo.GIVEN_F if female else self.demo.GIVEN_M)])
        return {
            "name": name,
            "personal_id": f"001{3 if female else 2}{birth_year % 100:02d}{serial:06d}",
            "student_code": f"{company.hocbaso_school_code}{serial:06d}"[-20:],
            "sex": "2" if female else "1",
            "birth_date": f"{birth_year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
            "birth_place": "Hà Nội", "home_town": rnd.choice(["Nam Định", "Thái Bình", "Hà Nội"]),
            "current_address": "Phường Ba Đình, Hà Nội", "ethnicity_code": "01",
            "nationality_code": "VN",
            "father_name": f"{name.split()[0]} Văn {rnd.choice(self.demo.GIVEN_M)}",
            "mother_name": f"{rnd.choice(self.demo.FAMILY)} Thị {rnd.choice(self.demo.GIVEN_F)}",
            "company_id": company.id, "class_id": klass.id,
        }

    def _create_records(self, company, classes, layout, students, by_login):
        """Draft records with every subject result and rating filled (what teachers enter)."""
        rnd = self.rnd
        by_class = collections.defaultdict(list)
        for student in students:
            by_class[student.class_id.id].append(student)
        principal = by_login["hieutruong"]
        vals_list = []
        for klass, (number, _name, _n) in zip(classes, layout):
            teacher_of = {a.subject_id.id: a.teacher_id.id for a in klass.assignment_ids}
            for student in by_class[klass.id]:
                lines = []
                for subject in self.subjects[number]:
                    good = rnd.random() < 0.7
                    line = {"subject_id": subject.id, "teacher_id": teacher_of[subject.id],
                            "sequence": subject.sequence, "level": "T" if good else "H",
                            "comment": "Hoàn thành tốt nội dung môn học." if good
                            else "Hoàn thành."}
                    if subject.assessment == "level_test":
                        line["test_score"] = str(rnd.randint(8, 10) if good else rnd.randint(5, 8))
                    lines.append((0, 0, line))
                vals = {name: ("T" if rnd.random() < 0.75 else "Đ")
                        for name in self.rating_fields}
                vals.update({
                    "student_id": student.id, "class_id": klass.id,
                    "school_year_id": self.year.id, "company_id": company.id,
                    "homeroom_teacher_id": klass.homeroom_teacher_id.id,
                    "leader_id": principal.id, "leader_title": "Hiệu trưởng",
                    "issue_date": ISSUE_DATE, "issue_place": "Hà Nội", "line_ids": lines,
                    "homeroom_comment": rnd.choice(self.demo.PRIMARY_COMMENTS),
                    "quality_comment": "Chăm học, chăm làm, trung thực.",
                    "general_competency_comment": "Tự giác, biết hợp tác với bạn.",
                    "specific_competency_comment": "Đọc, viết, tính toán tốt.",
                    "absent_excused": rnd.randint(0, 4), "absent_unexcused": rnd.randint(0, 1),
                    "weight_kg": str(rnd.randint(18, 40)), "height_cm": str(rnd.randint(110, 150)),
                })
                vals_list.append(vals)
        return self.env["hocbaso.record"].create(vals_list)


# --------------------------------------------------------------------------------------------
# the run


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


# the worker processes' own pipeline (multiprocessing "spawn": a fresh interpreter each)
_WORKER = None


def _worker_init(config, db):
    global _WORKER
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(["-c", str(config), "--log-level=warn"])
    logging.getLogger("hocbaso").setLevel(logging.WARNING)
    _WORKER = Pipeline(Registry(db))


def _worker_ready(_number):
    time.sleep(0.5)  # long enough for every worker to take one
    return os.getpid()


def _worker_run(task):
    return _WORKER.run(task)


class Bench(OdooSession):
    def __init__(self, students, keep_db=False, workers=WORKERS):
        self.students = students
        self.keep_db = keep_db
        self.db = f"hocbaso_bench_{time.strftime('%Y%m%d_%H%M%S')}"
        self.workdir = Path(tempfile.mkdtemp(prefix="hocbaso-bench-"))
        self.config = self.workdir / "odoo-bench.cfg"
        self.registry = None
        self.csdl = None
        self.rows = []
        self.summary = []
        self.meters = collections.defaultdict(Meter)
        self.token_error = None
        self.csdl_peak_mb = 0.0
        self.queries = {}
        self.counts = collections.Counter()
        self.workers = workers
        self.pool = None
        self.worker_peak_mb = {}
        self.token = (None, None)
        self.rsa_samples = []  # raw RSA rates, before the district and after signing
        self.rsa_row = {"stage": "raw RSA-2048 sign (cryptography, 1 core)",
                        "unit": "signatures/s"}

    # --- Odoo ----------------------------------------------------------------------------
    def setup(self):
        write_config(self.config, self.workdir / "data", HTTP_PORT)
        if not os.environ.get("XDG_RUNTIME_DIR"):  # wkhtmltopdf (Qt) warns on every call
            runtime = self.workdir / "xdg"
            runtime.mkdir(mode=0o700)
            os.environ["XDG_RUNTIME_DIR"] = str(runtime)
        log(f"installing {ADDONS} (and vi_VN) into a fresh database {self.db} "
            f"(config {self.config})")
        start = time.perf_counter()
        install_database(self.config, self.db, self.workdir / "odoo-install.log")
        log(f"database ready in {time.perf_counter() - start:.0f}s")
        import odoo
        from odoo.modules.registry import Registry

        odoo.tools.config.parse_config(["-c", str(self.config), "--log-level=warn"])
        logging.getLogger("hocbaso").setLevel(logging.WARNING)  # one line per CSDL login
        self.registry = Registry(self.db)

    def cleanup(self):
        with contextlib.suppress(Exception):
            self._stop_csdl()
        if self.pool is not None:
            self.pool.terminate()
            self.pool = None
        if self.registry is not None:
            from odoo import sql_db
            from odoo.modules.registry import Registry

            Registry.delete(self.db)
            sql_db.close_db(self.db)
            self.registry = None
        if self.keep_db:
            log(f"kept the database {self.db} (config {self.config})")
            return
        with contextlib.suppress(Exception):
            drop_database(self.db)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_csdl(self):
        if self.csdl:
            self.csdl.stop()
            self.csdl = None

    # --- stages --------------------------------------------------------------------------
    def generate(self):
        sizes = school_sizes(self.students)
        log(f"generating {self.students} students in {len(sizes)} school(s): {sizes[:3]}"
            f"{' ...' if len(sizes) > 3 else ''}")
        start = time.perf_counter()
        self.certs = Certificates()
        with self.env() as env:
            self.certs.trust(env)
        self.schools = []
        with self.env() as env:
            builder = DistrictBuilder(env, self.certs)
        for index, size in enumerate(sizes):
            with self.env() as env:
                self.schools.append(builder.build_school(env, index, size))
            log(f"school {index + 1}/{len(sizes)}: {size} students "
                f"({time.perf_counter() - start:.0f}s, RSS {current_rss_mb():.0f} MB)")
        # Fresh planner statistics, as autovacuum keeps them on a live database: right after a
        # bulk load they are stale, and PostgreSQL then picks table scans and parallel plans
        # for queries that touch a few rows (measured: 12-33 ms instead of about 1 ms).
        with self.env() as env:
            env.cr.execute("ANALYZE")
        self.generation_seconds = time.perf_counter() - start
        self.record_count = sum(len(s["records"]) for s in self.schools)

    def _register_token_certificate(self, school):
        """A SoftHSM2 token for the homeroom teacher of the first class, with a certificate
        issued to her, registered as her PKCS#11 certificate; the certificate's id or None."""
        from .token import create_softhsm_token

        klass = school["classes"][0]
        try:
            with self.env() as env:
                user = env["res.users"].browse(klass["homeroom"])
                certificate, _p12, key = self.certs.issue(
                    user.name, "CCCD:" + user.hocbaso_personal_id, key=self.certs.keys[0])
                token, _cert = create_softhsm_token(key, certificate,
                                                    label=f"hb-bench-{os.getpid()}")
                vals = certificate_vals(school["company"], user.id, certificate, b"")
                vals.update(backend="pkcs11", p12_file=False, pkcs11_module=token.module_path,
                            pkcs11_token_label=token.token_label, pkcs11_key_label="signing")
                cert_id = env["hocbaso.signing.certificate"].create(vals).id
        except Exception as err:  # noqa: BLE001 - the stage is skipped, with its reason
            log(f"no SoftHSM2 token: {err}")
            self.token_error = str(err)
            return None, None
        return cert_id, token.pin

    def raw_limits(self):
        """One core's RSA-2048 rate, measured before the district is built and again after
        signing (the CPU's rate drifts over a run: 2,700 to 3,900 signatures/s within one run
        here); the signing stages are compared with the mean of the two."""
        from .plain import raw_rsa_signer, timed

        if not self.rsa_samples:
            self.rows.append(self.rsa_row)
        self.rsa_samples.append(timed(raw_rsa_signer(), 1000)[0])
        self.rsa_rate = sum(self.rsa_samples) / len(self.rsa_samples)
        self.rsa_row["rate"] = self.rsa_rate
        if len(self.rsa_samples) > 1:
            self.rsa_row["note"] = ("mean of " + " (before) and ".join(
                f"{rate:.0f}" for rate in self.rsa_samples) + " (after signing)")

    def lxml_limit(self, documents, label):
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        count, start = max(1000, 20 * len(documents)), time.perf_counter()
        for i in range(count):
            etree.tostring(etree.fromstring(documents[i % len(documents)], parser))
        rate = count / (time.perf_counter() - start)
        size = sum(len(d) for d in documents) / len(documents)
        self.rows.append({"stage": f"raw lxml parse+serialize ({label})", "rate": rate,
                          "unit": "documents/s", "note": f"{size / 1024:.1f} KB per document"})
        return rate

    def documents(self, ids):
        with self.env() as env:
            return [r._get_xml() for r in env["hocbaso.record"].browse(ids)]

    # the worker pool ------------------------------------------------------------------------
    def start_workers(self):
        """``self.workers`` Odoo worker processes, each with its own registry on the bench's
        database (a fresh interpreter each: no connection is shared across a fork)."""
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.pool = context.Pool(self.workers, initializer=_worker_init,
                                 initargs=(str(self.config), self.db))
        pids = set(self.pool.map(_worker_ready, range(self.workers), chunksize=1))
        if len(pids) != self.workers:
            log(f"only {len(pids)} of {self.workers} workers answered the warm-up")
        log(f"{self.workers} Odoo worker process(es) ready: {sorted(pids)}")

    def stop_workers(self):
        if self.pool is not None:
            self.pool.close()
            self.pool.join()
            self.pool = None

    def units(self):
        """The first school split between the workers (alternate classes), then one unit per
        school; the pool hands them out in this order as workers come free."""
        units = []
        for school in self.schools:
            parts = self.workers if school["index"] == 0 else 1
            for part in range(parts):
                classes = school["classes"][part::parts]
                if classes:
                    units.append({"school": school, "part": part, "classes": classes,
                                  "records": [r for k in classes for r in k["records"]]})
        return units

    def run_stage(self, stage, extra=None):
        """Run ``stage`` on every unit in the pool; adds the workers' meters, query profiles
        and counts to the bench's, and returns the stage's wall-clock seconds and the wall
        time the first school took in it."""
        tasks = [dict(unit, stage=stage, **(extra(unit) if extra else {}))
                 for unit in self.units()]
        start = time.perf_counter()
        school0_end, done = start, 0
        for result in self.pool.imap_unordered(_worker_run, tasks, chunksize=1):
            for name, (seconds, items, extra_counts) in result["meters"].items():
                meter = self.meters[name]
                meter.seconds += seconds
                meter.items += items
                meter.extra.update(extra_counts)
            for key, (total, shapes) in result["queries"].items():
                profile = QueryProfile()
                profile.total, profile.shapes = total, collections.Counter(shapes)
                self.queries[key] = profile
            self.counts.update(result["counts"])
            self.worker_peak_mb[result["pid"]] = max(self.worker_peak_mb.get(result["pid"], 0),
                                                    result["peak_mb"])
            if result["school"] == 0:
                school0_end = max(school0_end, result["end"])
            done += result["records"]
            log(f"{stage}: school {result['school'] + 1} part {result['part'] + 1} done "
                f"({done}/{self.record_count} records, {time.perf_counter() - start:.0f}s)")
        wall = time.perf_counter() - start
        self.meters[f"{stage}_wall"].seconds += wall
        self.meters[f"{stage}_wall"].items += self.record_count
        self.meters["school0"].seconds += school0_end - start
        return wall

    # export --------------------------------------------------------------------------------
    def export(self):
        self.run_stage("export", lambda unit: {
            "counted": unit["school"]["index"] == 0 and unit["part"] == 0})
        states = self.count_states()
        assert states.get("locked") == self.record_count, states

    def count_states(self):
        with self.env() as env:
            env.cr.execute("SELECT state, count(*) FROM hocbaso_record GROUP BY state")
            return dict(env.cr.fetchall())

    # signing -------------------------------------------------------------------------------
    def sign(self):
        token_cert, pin = self.token
        self.run_stage("sign", lambda unit: {
            "token": (token_cert, pin) if token_cert and unit["school"]["index"] == 0
            and unit["part"] == 0 else None})
        self.meters["sign"].items = self.record_count
        states = self.count_states()
        assert states.get("issued") == self.record_count, states

    # queue ---------------------------------------------------------------------------------
    def queue(self):
        """Make the outbox entries of issued records again, at two batch sizes."""
        ids = self.schools[0]["records"]
        small, large = counted_sizes(len(ids))
        meter = self.meters["queue"]
        for batch in [b for b in (ids[:small], ids[small:small + large]) if b]:
            with self.env() as env:
                env["hocbaso.sync.entry"].search([("record_id", "in", batch)]).unlink()
            profile = QueryProfile()
            with profile.active(), meter.measure(len(batch)), self.env() as env:
                env["hocbaso.record"].browse(batch).sudo()._on_issued()
            self.queries[("queue", len(batch))] = profile
        with self.env() as env:
            count = env["hocbaso.sync.entry"].search_count([("state", "=", "pending")])
        assert count == self.record_count, (count, self.record_count)

    # verification --------------------------------------------------------------------------
    def verify(self):
        meter = self.meters["verify"]
        sample = [rid for school in self.schools for rid in school["records"]][:VERIFY_SAMPLE]
        signatures = 0
        with meter.measure(len(sample)), self.env() as env:
            for record in env["hocbaso.record"].browse(sample):
                report = record._verify_report()
                if not report.valid:
                    raise RuntimeError(f"record {record.id} does not verify: "
                                       f"{report.errors or report.to_dict()}")
                signatures += len(report.signatures)
        meter.extra["signatures"] = signatures

    # pdf -----------------------------------------------------------------------------------
    def pdf(self):
        """One record per call, as the form's Print button and the record package do: the
        report's page is self-contained (no HTTP fetch). Then a whole class in one call, as
        printing a selection does (one HTML input, a page break per record).

        Odoo makes wkhtmltopdf wait ``report.print_delay`` (default 1,000 ms) for JavaScript
        on every call; a smaller sample is rendered again with 0 to show what that costs."""
        sample = self.schools[0]["records"][:PDF_SAMPLE]
        self._render_pdfs(self.meters["pdf"], sample)
        klass = self.schools[0]["classes"][0]["records"]
        with self.meters["pdf_class"].measure(len(klass)), self.env() as env:
            pdf, kind = env["ir.actions.report"]._render_qweb_pdf(
                "hocbaso_odoo.report_hocbaso_record", res_ids=klass)
        if kind != "pdf" or not pdf.startswith(b"%PDF"):
            raise RuntimeError("the class report is not a PDF")
        self.meters["pdf_class"].extra["bytes"] += len(pdf)
        with self.env() as env:
            env["ir.config_parameter"].set_param("report.print_delay", "0")
        try:
            self._render_pdfs(self.meters["pdf0"], sample[:PDF_SAMPLE // 5])
        finally:
            with self.env() as env:
                env["ir.config_parameter"].set_param("report.print_delay", False)

    def _render_pdfs(self, meter, ids):
        for record_id in ids:
            with meter.measure(1), self.env() as env:
                pdf, kind = env["ir.actions.report"]._render_qweb_pdf(
                    "hocbaso_odoo.report_hocbaso_record", res_ids=[record_id])
            if kind != "pdf" or not pdf.startswith(b"%PDF"):
                raise RuntimeError(f"the report of record {record_id} is not a PDF")
            meter.extra["bytes"] += len(pdf)

    # sync ----------------------------------------------------------------------------------
    def sync(self):
        from hocbaso.csdl.testing import CsdlServerProcess

        meter = self.meters["sync"]
        clients = [(f"bench-{s['code']}", "bench-secret", s["code"]) for s in self.schools]
        self.csdl = CsdlServerProcess(self.workdir / "csdl", clients=clients,
                                      extra_args=["--quiet"])
        self.csdl.start()
        with self.env() as env:
            env["hocbaso.sync.config"].create([{
                "company_id": s["company"], "endpoint_url": self.csdl.base_url,
                "client_id": f"bench-{s['code']}", "client_secret": "bench-secret",
                "school_code": s["code"], "mode": "test", "batch_size": SYNC_BATCH,
            } for s in self.schools])
        with meter.measure(self.record_count):
            while True:
                with self.env() as env:
                    done = env["hocbaso.sync.entry"]._cron_send_pending()
                if not done:
                    break
        self.log_meter("sync")  # before the checks below
        with self.env() as env:
            env.cr.execute("SELECT state, count(*) FROM hocbaso_sync_entry GROUP BY state")
            states = dict(env.cr.fetchall())
        if states.get("acknowledged") != self.record_count:
            raise RuntimeError(f"sync: outbox states {states}, expected {self.record_count} "
                               "acknowledged")
        held = len(self.csdl.records())
        if held != self.record_count:
            raise RuntimeError(f"sync: the CSDL server holds {held} records, expected "
                               f"{self.record_count}")
        self.csdl_peak_mb = process_peak_rss_mb(self.csdl.process.pid)
        self._stop_csdl()

    # --- the whole run -------------------------------------------------------------------
    def run(self):
        self.setup()
        self.raw_limits()
        self.generate()
        log(f"district generated in {self.generation_seconds:.0f}s: {self.record_count} records")
        # the token before the workers: they inherit SoftHSM2's configuration from this process
        self.token = self._register_token_certificate(self.schools[0])
        self.start_workers()
        self.export()
        self.log_meter("export_wall")
        sample = self.schools[0]["records"][:50]
        self.export_limit = self.lxml_limit(self.documents(sample), "exported documents")
        self.sign()
        self.log_meter("sign_wall")
        self.stop_workers()
        self.raw_limits()  # again, right after signing: the ratios use the mean
        self.signed_limit = self.lxml_limit(self.documents(sample), "signed documents")
        self.queue()
        self.log_meter("queue")
        self.verify()
        self.log_meter("verify")
        self.pdf()
        for name in ("pdf", "pdf_class", "pdf0"):
            self.log_meter(name)
        self.sync()  # logs its figure before its checks
        self.report()
        return self.rows

    def log_meter(self, name):
        """A stage's figure in the log as soon as it is measured: a run that fails at a later
        stage (after half an hour at district scale) still leaves it."""
        meter = self.meters[name]
        log(f"{name}: {meter.items} records in {meter.seconds:.1f}s ({meter.rate:.1f} records/s)")

    def report(self):
        m, n = self.meters, self.record_count
        export_rate = m["export_wall"].rate  # the machine's throughput, all workers together
        self.rows.append({
            "stage": f"export: lock, build + XSD validation, store ({self.workers} workers)",
            "rate": export_rate, "unit": "records/s", "limit": self.export_limit,
            "note": f"{m['export'].rate:.1f} records/s per worker; target >= "
                    f"{TARGET_EXPORT:.0f} records/s: {verdict(export_rate >= TARGET_EXPORT)}; "
                    + self.query_note("export")})
        signatures = m["sign"].extra["signatures"]
        all_signatures = signatures + m["token"].extra["signatures"]
        sign_rate = signatures / m["sign"].seconds  # per worker: the per-core cost
        self.rows.append({
            "stage": "signing, PKCS#12 software key (all roles, wizard), per worker",
            "rate": sign_rate, "unit": "signatures/s", "limit": self.rsa_rate,
            "note": f"{n / m['sign'].seconds:.1f} records/s per worker; per record "
                    f"{all_signatures / n:.1f} signatures in "
                    f"{self.sign_calls_per_record():.1f} signing steps, "
                    f"{self.counts['wizard_runs']} wizard runs; target >= "
                    f"{TARGET_SIGN_RATIO:.0%} of raw RSA (one core) per worker: "
                    f"{verdict(sign_rate >= TARGET_SIGN_RATIO * self.rsa_rate)}"})
        self.rows.append({
            "stage": f"  signing, {self.workers} workers together (wall clock)",
            "rate": all_signatures / m["sign_wall"].seconds, "unit": "signatures/s",
            "limit": self.rsa_rate,
            "note": f"{n / m['sign_wall'].seconds:.1f} records/s; the limit is one core's"})
        for role in ("gvbm", "gvcn", "cbql", "phathanh"):
            meter = m[f"sign:{role}"]
            if meter.seconds:
                self.rows.append({
                    "stage": f"  signing as {role}", "rate": meter.extra["signatures"] /
                    meter.seconds, "unit": "signatures/s", "limit": self.rsa_rate,
                    "note": f"{meter.items / meter.seconds:.1f} record-steps/s"
                            + ("; includes queueing in the CSDL outbox"
                               if role == "phathanh" else "")})
        if m["token"].seconds:
            self.rows.append({
                "stage": "signing, SoftHSM2 token (homeroom, one class)",
                "rate": m["token"].extra["signatures"] / m["token"].seconds,
                "unit": "signatures/s", "limit": self.rsa_rate,
                "note": f"{m['token'].items} records, PKCS#11 through the same wizard"})
        else:
            self.summary.append(f"SoftHSM2 token stage skipped: {self.token_error}")
        self.rows.append({"stage": "queue into the CSDL outbox (_on_issued)",
                          "rate": m["queue"].rate, "unit": "records/s",
                          "note": self.query_note("queue")})
        self.rows.append({"stage": "verification (_verify_report, all signatures)",
                          "rate": m["verify"].rate, "unit": "records/s", "limit": self.rsa_rate,
                          "note": f"sample of {m['verify'].items}, "
                                  f"{m['verify'].extra['signatures'] / m['verify'].items:.1f} "
                                  "signatures each; limit shown is RSA signing"})
        self.rows.append({"stage": "PDF rendering (wkhtmltopdf, one record per call)",
                          "rate": m["pdf"].rate, "unit": "records/s",
                          "note": f"sample of {m['pdf'].items}, "
                                  f"{m['pdf'].extra['bytes'] / m['pdf'].items / 1024:.0f} KB "
                                  "per record; Odoo's default report.print_delay = 1000 ms"})
        self.rows.append({"stage": "  PDF rendering with report.print_delay = 0",
                          "rate": m["pdf0"].rate, "unit": "records/s",
                          "note": f"sample of {m['pdf0'].items}: the wait for JavaScript that "
                                  "this report does not use"})
        self.rows.append({"stage": "  PDF rendering, a whole class in one call",
                          "rate": m["pdf_class"].rate, "unit": "records/s",
                          "note": f"{m['pdf_class'].items} records, "
                                  f"{m['pdf_class'].extra['bytes'] / 1024:.0f} KB; "
                                  "report.print_delay = 1000 ms"})
        self.rows.append({"stage": "sync to the reference CSDL server (cron)",
                          "rate": m["sync"].rate, "unit": "records/s",
                          "note": f"{n} records, {SYNC_BATCH} per request, all acknowledged "
                                  "and held by the server"})
        # end to end ----------------------------------------------------------------------
        first = self.schools[0]
        school_s = m["school0"].seconds
        if first["size"] != BIG_SCHOOL:
            school_2000 = school_s * BIG_SCHOOL / first["size"]
            school_note = (f"measured {school_s:.1f}s for {first['size']} students, scaled "
                           f"linearly to {BIG_SCHOOL}")
        else:
            school_2000, school_note = school_s, f"measured on a {BIG_SCHOOL}-student school"
        self.rows.append({"stage": "2,000-student school: export + sign + queue",
                          "rate": school_2000, "unit": "s",
                          "note": f"{school_note}; target < {TARGET_SCHOOL_S:.0f} s: "
                                  f"{verdict(school_2000 < TARGET_SCHOOL_S)}"})
        pipeline = sum(m[k].seconds for k in ("export_wall", "sign_wall", "sync"))
        if n != DISTRICT:
            district_s = pipeline * DISTRICT / n
            district_note = f"measured {pipeline:.0f}s for {n} records, scaled linearly"
        else:
            district_s, district_note = pipeline, "measured"
        self.rows.append({"stage": "30,000-student district: export+sign+queue+sync",
                          "rate": district_s, "unit": "s",
                          "note": f"{district_note}; target < {TARGET_DISTRICT_S:.0f} s: "
                                  f"{verdict(district_s < TARGET_DISTRICT_S)}"})
        own = peak_rss_mb()
        workers = sum(self.worker_peak_mb.values())
        peak = own + workers  # as if every process peaked at the same moment
        self.rows.append({"stage": "peak memory (this process + the Odoo workers)", "rate": peak,
                          "unit": "MB",
                          "note": f"this process {own:.0f} MB, workers " + ", ".join(
                              f"{mb:.0f}" for mb in self.worker_peak_mb.values())
                          + f" MB, summed; target < {TARGET_MEMORY_MB:.0f} MB: "
                            f"{verdict(peak < TARGET_MEMORY_MB)}"})
        self.rows.append({"stage": "peak memory (reference CSDL server process)",
                          "rate": self.csdl_peak_mb, "unit": "MB",
                          "note": "PostgreSQL and the short-lived wkhtmltopdf runs not counted"})
        growth = self.query_growth()
        self.summary.append(f"no SQL query count growing per record (N+1): {verdict(growth)}")
        self.summary.append(
            f"district generation (not timed as a stage): {self.generation_seconds:.0f}s for "
            f"{n} records ({n / self.generation_seconds:.0f} records/s)")
        self.print_summary(school_2000, district_s, peak)

    def sign_calls_per_record(self):
        # the specialists one by one, then the homeroom teacher (her subjects and GVCN), the
        # leader and the issuer
        calls = sum(len(set(k["gvbm"]) - {k["homeroom"]}) + 3 for s in self.schools
                    for k in s["classes"] for _r in k["records"])
        return calls / self.record_count

    def query_note(self, stage):
        sizes = sorted(size for kind, size in self.queries if kind == stage)
        parts = []
        for size in sizes:
            profile = self.queries[(stage, size)]
            parts.append(f"{profile.total / size:.1f} queries/record at {size}")
        largest = self.queries[(stage, sizes[-1])]
        return ", ".join(parts) + f" (most: {largest.top(sizes[-1], 4)})"

    def query_growth(self):
        """True when no stage's queries per record grow with the batch size."""
        ok = True
        for stage in ("export", "queue"):
            sizes = sorted(size for kind, size in self.queries if kind == stage)
            per = [self.queries[(stage, s)].total / s for s in sizes]
            if per[-1] > per[0] * 1.10 + 0.5:
                ok = False
        return ok

    def print_summary(self, school_s, district_s, peak):
        m = self.meters
        sign_rate = m["sign"].extra["signatures"] / m["sign"].seconds
        lines = [
            f"Targets ({self.record_count} records in {len(self.schools)} school(s), "
            f"database {self.db}):",
            f"  export >= {TARGET_EXPORT:.0f} records/s ({self.workers} workers): "
            f"{m['export_wall'].rate:.1f} -> {verdict(m['export_wall'].rate >= TARGET_EXPORT)}",
            f"  signing >= {TARGET_SIGN_RATIO:.0%} of raw RSA-2048 ({self.rsa_rate:.0f}/s, one "
            f"core) per signature, per worker: {sign_rate:.1f}/s = "
            f"{sign_rate / self.rsa_rate:.1%} -> "
            f"{verdict(sign_rate >= TARGET_SIGN_RATIO * self.rsa_rate)}",
            f"  2,000-student school export + sign + queue < {TARGET_SCHOOL_S:.0f} s: "
            f"{school_s:.1f} s -> {verdict(school_s < TARGET_SCHOOL_S)}",
            f"  30,000-student district end to end < {TARGET_DISTRICT_S:.0f} s: "
            f"{district_s:.0f} s{'' if self.record_count == DISTRICT else ' (extrapolated)'}"
            f" -> {verdict(district_s < TARGET_DISTRICT_S)}",
            f"  peak memory < {TARGET_MEMORY_MB:.0f} MB: {peak:.0f} MB -> "
            f"{verdict(peak < TARGET_MEMORY_MB)}",
        ] + ["  " + line for line in self.summary]
        print("\n" + "\n".join(lines))


def verdict(ok):
    return "PASS" if ok else "MISS"


def run(students=DISTRICT, keep_db=None, workers=WORKERS):
    """Build a district of ``students`` in a fresh database, time every stage; the rows."""
    if keep_db is None:
        keep_db = bool(os.environ.get("HOCBASO_BENCH_KEEP_DB"))
    bench = Bench(students, keep_db=keep_db, workers=workers)
    try:
        return bench.run()
    finally:
        bench.cleanup()
