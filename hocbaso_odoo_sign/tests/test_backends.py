import os
import socket
import tempfile


from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import SignCase


@tagged("post_install", "-at_install")
class TestTokenAndRemote(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from security import softhsm

        # tokens first: SoftHSM2 lists them when the library is loaded
        leaf = cls.pki.leaf("gvcn")
        cls.token = softhsm.create_token("hocbaso-gvcn-odoo", leaf.key, leaf.certificate,
                                         pin="4321")

    def test_softhsm_token_signs_gvcn_step(self):
        self.lock(self.record)
        self.sign_to(self.record, "gvbm")
        cert = self.certs[self.gvcn]
        cert.write({"backend": "pkcs11", "pkcs11_module": self.token.module_path,
                    "pkcs11_token_label": self.token.token_label, "pkcs11_key_label": "signing"})
        with self.assertRaisesRegex(UserError, "PIN of the token is wrong"):
            self.sign(self.gvcn, self.record, "gvcn", password="0000")
        self.assertEqual(self.record.state, "gvbm_signed")
        self.assert_all_signed(self.sign(self.gvcn, self.record, "gvcn", password=self.token.pin))
        self.assertEqual(self.record.state, "gvcn_signed")
        self.assertTrue(self.record._verify_report().valid)
        result = self.xmlsec1_verify(self.record._get_xml(), "sig-gvcn")
        self.assertEqual(result.returncode, 0, result.stderr)


@tagged("post_install", "-at_install")
class TestConcurrency(SignCase):

    def test_two_sessions_signing_the_same_record(self):
        """Session B holds the row; session A gets a clear error at once, then wins later."""
        with self.registry.cursor() as cr_a:
            cr_a.execute("SET lock_timeout = '10s'")
            env_a = api.Environment(cr_a, SUPERUSER_ID, {})
            company = env_a.ref("base.main_company")
            year = env_a["hocbaso.school.year"].create({"name": "2098-2099"})
            klass = env_a["hocbaso.class"].create({
                "name": "ZZ9", "company_id": company.id, "school_year_id": year.id,
                "grade_id": env_a.ref("hocbaso_odoo.grade_06").id})
            student = env_a["hocbaso.student"].create({
                "name": "Concurrency Test", "personal_id": "001213099999", "sex": "1",
                "student_code": "HSZZ9", "company_id": company.id, "class_id": klass.id})
            record = env_a["hocbaso.record"].create({
                "student_id": student.id, "class_id": klass.id, "school_year_id": year.id,
                "company_id": company.id})
            cr_a.commit()
            try:
                with self.registry.cursor() as cr_b:
                    cr_b.execute("SELECT id FROM hocbaso_record WHERE id = %s FOR UPDATE NOWAIT",
                                 [record.id])
                    with self.assertRaisesRegex(UserError, "Someone else is signing"):
                        record._sign("gvcn", None, env_a["hocbaso.signing.certificate"])
                    cr_b.rollback()
                record._lock_for_signing()  # B is done: A gets the row
                with self.assertRaisesRegex(UserError, "cannot be signed as"):
                    record._sign("gvcn", None, env_a["hocbaso.signing.certificate"])
            finally:
                cr_a.rollback()
                record.unlink()
                student.unlink()
                klass.unlink()
                year.unlink()
                cr_a.commit()

    def test_the_same_user_signing_in_two_sessions(self):
        """Two sessions of one user (two tabs, two Odoo workers) both remember the certificate
        they signed with: the later one, whose snapshot predates the other's choice, keeps
        its signatures (the remembered choice is the other session's)."""
        admin = self.env.ref("base.user_admin").id
        with self.registry.cursor() as cr_a, self.registry.cursor() as cr_b:
            cr_a.execute("INSERT INTO hocbaso_signing_certificate (company_id, kind, "
                         "certificate_file, backend) VALUES (%s, 'personal', 'x', 'pkcs12') "
                         "RETURNING id", [self.env.ref("base.main_company").id])
            cert_id = cr_a.fetchone()[0]
            cr_a.commit()
            try:
                cr_b.execute("SELECT 1")  # session B's snapshot: before A's choice
                env_a = api.Environment(cr_a, admin, {})
                env_b = api.Environment(cr_b, admin, {})
                env_a["hocbaso.sign.choice"]._remember(
                    "gvbm", env_a["hocbaso.signing.certificate"].browse(cert_id))
                cr_a.commit()
                env_b["hocbaso.sign.choice"]._remember(
                    "gvbm", env_b["hocbaso.signing.certificate"].browse(cert_id))
                cr_b.execute("SELECT 1")  # B's transaction is still usable: nothing undone
                cr_b.commit()
                self.assertEqual(env_b["hocbaso.sign.choice"]._last("gvbm").id, cert_id)
                # later, in one session: the choice changes in place
                env_a["hocbaso.sign.choice"]._remember(
                    "gvbm", env_a["hocbaso.signing.certificate"].browse(cert_id))
                cr_a.execute("SELECT count(*) FROM hocbaso_sign_choice WHERE user_id = %s",
                             [admin])
                self.assertEqual(cr_a.fetchone()[0], 1)
            finally:
                cr_a.rollback()
                cr_a.execute("DELETE FROM hocbaso_sign_choice WHERE certificate_id = %s",
                             [cert_id])
                cr_a.execute("DELETE FROM hocbaso_signing_certificate WHERE id = %s", [cert_id])
                cr_a.commit()


@tagged("post_install", "-at_install")
class TestDemo(SignCase):

    def test_demo_school_signed_into_every_state(self):
        # a plain import (the repository is on the addons path): hocbaso_demo need not be
        # installed, and the product addons keep no demo builder callable over RPC
        from odoo.addons.hocbaso_demo import school

        result = school.build(
            self.env, name="Demo ký số", code="01009998", students_per_class=3,
            user_prefix="sdemo_", classes=(("5A", 5), ("6A1", 6), ("9A", 9)),
            year_name="2023-2024")
        with socket.socket() as sock:  # a free port for the demo's time-stamping authority
            sock.bind(("127.0.0.1", 0))
            tsa_port = sock.getsockname()[1]
        with tempfile.TemporaryDirectory() as folder:
            school.sign_demo(self.env, result, folder, tsa_port=tsa_port)
            self.assertTrue(os.path.exists(os.path.join(folder, "gv_toan.p12")))
        records = result["records"]
        states = set(records.mapped("state"))
        self.assertTrue({"draft", "locked", "gvcn_signed", "leader_signed", "issued", "revoked",
                         "superseded"} <= states, states)
        self.assertEqual(records.mapped("state").count("revoked"), 1)
        version2 = records.filtered(lambda r: r.version == 2)
        self.assertEqual(version2.state, "issued")
        self.assertEqual(version2.previous_version_id.state, "superseded")
        for record in records.filtered(lambda r: r.state in ("issued", "superseded", "revoked")):
            report = record._verify_report()
            self.assertTrue(report.valid, record.display_name)
            # every demo signature carries the demo authority's trusted timestamp
            self.assertTrue(all(sig.timestamp_proven for sig in report.signatures))
            # and an issued record keeps the revocation status of its chains (CRLs of the
            # demo's root and issuing CA) with its first archive timestamp
            if record.state == "issued":
                self.assertTrue(report.kept_crls, record.display_name)
                self.assertEqual(len(report.archive_times), 1, record.display_name)
