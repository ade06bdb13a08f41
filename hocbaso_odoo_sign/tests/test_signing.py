import json
from unittest.mock import patch

from cryptography.x509.oid import NameOID
from lxml import etree

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from hocbaso import timeutil

from ..wizards import hocbaso_sign_wizard as sign_wizard_module

from .common import SignCase


@tagged("post_install", "-at_install")
class TestSigning(SignCase):

    def test_full_workflow_pkcs12_verifies_with_ours_and_xmlsec1(self):
        self.lock(self.record)
        self.sign_to(self.record)
        self.assertEqual(self.record.state, "issued")
        self.assertTrue(all(self.record.line_ids.mapped("gvbm_signed")))
        log = self.record.signature_ids
        self.assertEqual(sorted(log.mapped("role")),
                         ["cbql", "gvbm", "gvbm", "gvbm", "gvcn", "phathanh"])
        self.assertEqual(log.filtered(lambda s: s.role == "gvcn").user_id, self.gvcn)
        # the school of each log row (its record rule's key) is the record's, in the database too
        self.assertEqual(log.company_id, self.record.company_id)
        self.env.flush_all()
        self.env.cr.execute("SELECT DISTINCT company_id FROM hocbaso_record_signature "
                            "WHERE record_id = %s", [self.record.id])
        self.assertEqual(self.env.cr.fetchall(), [(self.record.company_id.id,)])
        xml = self.record._get_xml()
        report = self.record._verify_report()
        self.assertTrue(report.valid, report.to_dict())
        self.assertTrue(report.intact)
        self.assertTrue(report.complete)
        for signature_id in log.mapped("signature_ref"):
            result = self.xmlsec1_verify(xml, signature_id)
            self.assertEqual(result.returncode, 0, f"{signature_id}: {result.stderr}")
        # the readable report
        wizard_action = self.record.with_user(self.principal).action_verify_signatures()
        wizard = self.env["hocbaso.verify.wizard"].browse(wizard_action["res_id"])
        self.assertTrue(wizard.valid and wizard.intact)
        self.assertIn(self.pki.leaf("gvcn").spec.common_name, wizard.report_html)
        # the inspector reads who signed, not the holder's CCCD
        personal_id = self.gvcn.hocbaso_personal_id
        self.assertIn(personal_id, log.filtered(lambda s: s.role == "gvcn").certificate_subject)
        self.assertNotIn(personal_id, wizard.report_html)
        self.assertIn("••••" + personal_id[-4:], wizard.report_html)
        holders = " ".join(log.mapped("certificate_holder"))
        self.assertNotIn(personal_id, holders)
        self.assertIn(self.pki.leaf("gvcn").spec.common_name, holders)
        self.assertNotIn("UID=", holders, "the holder's name, not the certificate's DN")

    def test_certificate_picker_names_holder_issuer_and_end_of_validity(self):
        cert = self.certs[self.gvcn]
        # the last day on the school's clock, as each language writes a date (and as the
        # Valid To column beside it does)
        day = timeutil.to_vn(cert.valid_to).strftime("%m/%d/%Y")
        vi_day = timeutil.vn_date(cert.valid_to)
        issuer = self.pki.intermediate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        self.assertEqual(cert.issuer_name, issuer, "the authority's name, not its DN")
        self.assertEqual(cert.with_context(lang="en_US").display_name,
                         f"{cert.subject_name} ({issuer}) — valid until {day}")
        self.assertNotIn(cert.serial, cert.display_name)
        self.assertNotIn(cert.fingerprint, cert.display_name)
        self.load_vietnamese()
        self.assertEqual(cert.with_context(lang="vi_VN").display_name,
                         f"{cert.subject_name} ({issuer}) — hiệu lực đến {vi_day}")
        # what the sign wizard's picker and the certificate's own form show
        picked = self.env["hocbaso.signing.certificate"].with_user(self.gvcn).with_context(
            lang="en_US").name_search("", [("id", "=", cert.id)])
        self.assertEqual(picked, [(cert.id, f"{cert.subject_name} ({issuer}) — valid until {day}")])
        arch = etree.fromstring(self.env["hocbaso.signing.certificate"].get_view(
            view_type="form")["arch"])
        self.assertEqual(arch.xpath("//h1/field/@name"), ["display_name"], "not name (serial)")
        self.assertTrue(arch.xpath("//field[@name='issuer_name']"))

    def test_wrong_order_refused(self):
        self.lock(self.record)
        wizard = self.sign(self.gvcn, self.record, "gvcn")
        # not her step yet: skipped and said so, not a failure
        self.assertEqual(wizard.result_ids.status, "skipped")
        self.assertIn("Not waiting for your signature", wizard.result_ids.message)
        self.assertEqual(self.record.state, "locked")
        self.assertFalse(self.record.signature_ids)
        with self.assertRaises(UserError):
            self.record.with_user(self.principal)._sign(
                "cbql", None, self.certs[self.principal])

    def test_wrong_password_refused_and_nothing_changed(self):
        self.lock(self.record)
        before = self.record.xml_sha256
        wizard = self.wizard(self.gvbm_math, self.record, "gvbm")
        with self.assertRaisesRegex(UserError, "password of the certificate file is wrong"):
            wizard.with_context(hocbaso_secret="wrong").action_sign()
        with self.assertRaisesRegex(UserError, "Enter the PIN"):
            wizard.action_sign()
        self.assertEqual(self.record.xml_sha256, before)
        self.assertFalse(self.record.signature_ids)
        self.assertFalse(self.record.line_ids.filtered("gvbm_signed"))
        self.assertFalse(wizard.secret)

    def test_certificate_of_another_user_refused(self):
        self.lock(self.record)
        with self.assertRaises(AccessError):
            self.wizard(self.gvbm_lit, self.record, "gvbm",
                        self.certs[self.gvbm_math]).with_context(
                hocbaso_secret=self.password).action_sign()
        with self.assertRaisesRegex(AccessError, "belongs to"):
            self.certs[self.gvbm_math]._check_may_sign_for(self.record, "gvbm", self.gvbm_lit)
        self.assertFalse(self.record.signature_ids)

    def _bad_certificate(self, leaf_name):
        self.gvcn.hocbaso_personal_id = self.pki.leaf(leaf_name).user_ref
        return self.register(self.gvcn, leaf_name)

    def test_bad_certificates_refused(self):
        self.lock(self.record)
        self.sign_to(self.record, "gvbm")
        for leaf, status in (("expired", "expired"), ("revoked", "revoked"),
                             ("untrusted", "untrusted"), ("not_yet_valid", "not_yet_valid")):
            cert = self._bad_certificate(leaf)
            self.assertEqual(cert.status, status, cert.status_message)
            with self.assertRaises(ValidationError, msg=leaf):
                self.sign(self.gvcn, self.record, "gvcn", cert)
            self.assertEqual(self.record.state, "gvbm_signed")
        for leaf, usage in (("wrong_purpose", "key_encipherment"), ("server_only", "TLS server")):
            cert = self._bad_certificate(leaf)
            self.assertEqual(cert.status, "wrong_purpose", cert.status_message)
            self.assertIn(usage, cert.status_message)
            with self.assertRaisesRegex(ValidationError, "not for signing documents|not meant "
                                                         "for signing documents", msg=leaf):
                self.sign(self.gvcn, self.record, "gvcn", cert)
            self.assertEqual(self.record.state, "gvbm_signed")
        self.assertEqual(self.certs[self.gvcn].status, "valid")

    def test_issuer_with_personal_certificate_refused(self):
        self.issuer.hocbaso_personal_id = self.pki.leaf("hieutruong").user_ref
        self.lock(self.record)
        self.sign_to(self.record, "cbql")
        personal = self.certs[self.principal]
        with self.assertRaisesRegex(UserError, "organisation certificate"):
            personal._check_may_sign_for(self.record, "phathanh", self.issuer)
        wizard = self.wizard(self.issuer, self.record, "phathanh", self.school_cert)
        wizard.certificate_id = personal  # a crafted call: the certificate is not offered
        with self.assertRaises(AccessError):
            wizard.with_context(hocbaso_secret=self.password).action_sign()
        self.assertEqual(self.record.state, "leader_signed")

    def test_certificate_constraints(self):
        with self.assertRaisesRegex(ValidationError, "personal ID"):
            self.register(self.gvcn_other_class, "gvcn")
        with self.assertRaisesRegex(ValidationError, "tax code"):
            self.register(None, "gvcn", kind="organisation")

    def test_batch_one_password_entry(self):
        # 30 records: the class's records plus generated ones in the same class
        students = self.env["hocbaso.student"].create(
            [
                {
                    "name": f"Học sinh {i}",
                    "personal_id": f"0012130001{i:02d}",
                    "sex": "1",
                    "student_code": f"HSB{i:03d}",
                    "company_id": self.school.id,
                    "class_id": self.klass.id,
                }
                for i in range(28)
            ]
        )
        self.assertEqual(len(students), 28)
        records = self.records | self.klass._generate_records()
        self.assertEqual(len(records), 30)
        self.lock(records)
        bus_before = self.env["bus.bus"].sudo().search_count([])
        with patch.object(sign_wizard_module, "PROGRESS_EVERY", 10):
            wizard = self.sign(self.gvbm_lit, records, "gvbm")
        self.assert_all_signed(wizard)
        self.assertEqual(len(wizard.result_ids), 30)
        self.assertIn("30 of 30", wizard.summary)
        self.env.cr.precommit.run()  # the bus writes its rows when the transaction commits
        progress = self.env["bus.bus"].sudo().search([], order="id")[bus_before:]
        self.assertEqual([json.loads(n.message)["payload"]["message"] for n in progress
                          if "records done" in n.message],
                         ["10 of 30 records done.", "20 of 30 records done.",
                          "30 of 30 records done."])
        # a failure on one record does not undo the others
        records[0].line_ids.filtered(lambda line: line.subject_code == "TOAN").sudo()._write(
            {"teacher_id": self.gvbm_lit.id})
        self.env.invalidate_all()
        wizard = self.sign(self.gvbm_math, records, "gvbm")
        self.assertEqual(wizard.result_ids.mapped("status").count("signed"), 29)
        self.assertEqual(set(records[1:].mapped("state")), {"gvbm_signed"})
        self.assertEqual(records[0].state, "locked")

    def test_homeroom_teacher_signs_her_subjects_and_gvcn_in_one_step(self):
        records = self.records
        math_lines = records.line_ids.filtered(lambda line: line.subject_code == "TOAN")
        math_lines.sudo()._write({"teacher_id": self.gvcn.id})  # she also teaches maths
        self.env.invalidate_all()
        self.lock(records)
        # while a specialist's subject is unsigned she cannot sign, and nothing changes
        wizard = self.sign(self.gvcn, records, "gvcn")
        self.assertEqual(set(wizard.result_ids.mapped("status")), {"skipped"})
        self.assertIn("Not waiting for your signature", wizard.result_ids[0].message)
        self.assertEqual(set(records.mapped("state")), {"locked"})
        self.assertFalse(records.signature_ids)
        self.assert_all_signed(self.sign(self.gvbm_lit, records, "gvbm"))
        self.assertEqual(set(records.mapped("state")), {"locked"})
        # only her own subject is left: the wizard proposes GVCN, which signs both
        default = self.env["hocbaso.sign.wizard"].with_user(self.gvcn).with_context(
            active_model="hocbaso.record", active_ids=records.ids).create({})
        self.assertEqual(default.role, "gvcn")
        self.assert_all_signed(self.sign(self.gvcn, records, "gvcn"))
        self.assertEqual(set(records.mapped("state")), {"gvcn_signed"})
        self.assertTrue(all(records.line_ids.mapped("gvbm_signed")))
        for record in records:
            mine = record.signature_ids.filtered(lambda s: s.user_id == self.gvcn)
            self.assertEqual(sorted(mine.mapped("role")), ["gvbm", "gvcn"])
            self.assertEqual(mine.filtered(lambda s: s.role == "gvbm").subject_id, self.subj_math)
            report = record._verify_report()
            self.assertTrue(report.valid, report.to_dict())
            for signature_id in ("sig-gvbm-TOAN", "sig-gvcn"):
                result = self.xmlsec1_verify(record._get_xml(), signature_id)
                self.assertEqual(result.returncode, 0, f"{signature_id}: {result.stderr}")
            # one chatter note per transition, each with its state change
            changes = record.message_ids.tracking_value_ids.filtered(
                lambda t: t.field_id.name == "state")
            self.assertEqual(sorted(changes.mapped("new_value_char")), [
                "Results Locked", "Signed by Homeroom Teacher", "Signed by Subject Teachers"])
            self.assertEqual(len(changes.mail_message_id), 3)
            note = changes.filtered(
                lambda t: t.new_value_char == "Signed by Subject Teachers").mail_message_id
            self.assertIn("All subject teachers have signed.", note.body)
            self.assertEqual(note.author_id, self.gvcn.partner_id)

    def test_batch_falls_back_to_one_by_one_when_a_record_is_busy(self):
        """A record another session holds does not stop the batch: it is reported alone."""
        records = self.records
        self.lock(records)
        busy = records[0]
        Record = type(self.env["hocbaso.record"])
        original = Record._lock_for_signing

        def lock_for_signing(recordset):
            if busy in recordset:
                # pylint: disable-next=translation-required
                raise UserError("Someone else is signing %s right now." % busy.display_name)
            return original(recordset)

        with patch.object(Record, "_lock_for_signing", lock_for_signing):
            wizard = self.sign(self.gvbm_lit, records, "gvbm")
        results = {r.record_id: r for r in wizard.result_ids}
        self.assertEqual(results[busy].status, "error")
        self.assertIn("Someone else is signing", results[busy].message)
        self.assertEqual(results[records[1]].status, "signed")
        self.assertFalse(busy.signature_ids)
        self.assertEqual(len(records[1].signature_ids), 2)  # literature and PE

    def test_direct_state_write_without_signature_refused(self):
        self.lock(self.record)
        self.sign_to(self.record, "cbql")
        with self.assertRaisesRegex(UserError, "does not carry that signature"):
            self.record.with_user(self.issuer)._set_state("issued")
        with self.assertRaisesRegex(UserError, "does not carry that signature"):
            self.record.sudo().write({"state": "issued"})
        self.assertEqual(self.record.state, "leader_signed")
        # and a GVCN signature cut out of the document is noticed too
        other = self.record2
        self.lock(other)
        with self.assertRaisesRegex(UserError, "does not carry that signature"):
            other._mark_subject_signed(other.line_ids)

    def test_tampering_detected(self):
        self.lock(self.record)
        self.sign_to(self.record)
        xml = self.record._get_xml()
        root = etree.fromstring(xml)
        score = root.find(".//DIEM_TONG_KET[@Id='mon-TOAN']")
        node = [el for el in score.iter()
                if el.text and el.text.strip()[:1].isdigit() and "." in el.text][0]
        node.text = "9.9" if node.text.strip() != "9.9" else "1.0"
        self.record._store_xml(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        report = self.record._verify_report()
        self.assertFalse(report.valid)
        self.assertFalse(report.intact)
        action = self.record.action_verify_signatures()
        wizard = self.env["hocbaso.verify.wizard"].browse(action["res_id"])
        self.assertFalse(wizard.intact)
        self.assertIn("changed after signing", wizard.report_html)

    def test_revocation_needs_reason_and_issuer_signature(self):
        self.lock(self.record)
        self.sign_to(self.record)
        with self.assertRaisesRegex(UserError, "revocation statement signed"):
            self.record.with_user(self.issuer)._revoke("Sai điểm")
        Revoke = self.env["hocbaso.revoke.signed"].with_user(self.issuer).with_context(
            active_ids=self.record.ids)
        wizard = Revoke.create({"record_ids": [(6, 0, self.record.ids)], "reason": " "})
        with self.assertRaisesRegex(UserError, "reason"):
            wizard.with_context(hocbaso_secret=self.password).action_revoke()
        wizard.reason = "Sai điểm môn Toán"
        self.assertEqual(wizard.certificate_id, self.school_cert)
        with self.assertRaisesRegex(UserError, "password"):
            wizard.with_context(hocbaso_secret="nope").action_revoke()
        self.assertEqual(self.record.state, "issued")
        wizard.with_context(hocbaso_secret=self.password).action_revoke()
        self.assertEqual(self.record.state, "revoked")
        self.assertEqual(self.record.revoke_reason, "Sai điểm môn Toán")
        statement = self.record._get_revocation_statement()
        self.assertIn("Sai điểm môn Toán".encode(), statement)
        self.assertIn(self.record.record_uuid.encode(), statement)
        result = self.xmlsec1_verify(statement, "sig-thuhoi")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("revocation", self.record.signature_ids.mapped("role"))

    def test_correction_signed_again_and_v1_superseded(self):
        self.lock(self.record)
        self.sign_to(self.record)
        action = self.record.with_user(self.gvcn).action_create_correction()
        v2 = self.env["hocbaso.record"].browse(action["res_id"])
        self.assertEqual(v2.version, 2)
        self.assertFalse(v2.signature_ids)
        v2.line_ids.filtered(lambda line: line.subject_code == "TOAN").write({"semester2": "9.0"})
        self.lock(v2)
        self.sign_to(v2)
        self.assertEqual(v2.state, "issued")
        self.assertEqual(self.record.state, "superseded")
        self.assertTrue(self.record._verify_report().valid)
        self.assertTrue(v2._verify_report().valid)

    def test_subject_teacher_access(self):
        self.lock(self.record)
        cert = self.certs[self.gvbm_math]
        # teachers read their own certificate only
        Cert = self.env["hocbaso.signing.certificate"].with_user(self.gvbm_math)
        self.assertEqual(Cert.search([]), cert)
        with self.assertRaises(AccessError):
            cert.with_user(self.gvbm_math).write({"active": False})
        self.assertFalse(Cert.browse(self.school_cert.id).exists() and
                         Cert.search([("id", "=", self.school_cert.id)]))
        # signing for a subject one does not teach
        with self.assertRaises(AccessError):
            self.record.with_user(self.gvbm_math)._check_signer(
                "gvbm", self.gvbm_math, cert, ["NGUVAN"])
        # the school's account at a signing service is for the Odoo administrator only
        self.assertNotIn("client_secret",
                         self.env["hocbaso.signing.provider"].with_user(self.school_admin)
                         .fields_get())

    def test_package_carries_the_chain_and_verifies_offline(self):
        """A receiver with only the root CA verifies the package: the issuing CA travels in it."""
        import io
        import zipfile

        from hocbaso.verify import verify_package

        self.lock(self.record)
        self.sign_to(self.record)
        package = self.record._build_package()
        names = zipfile.ZipFile(io.BytesIO(package)).namelist()
        self.assertIn("certificates/ca-01.cer", names)
        report = verify_package(package, [self.pki.root])
        self.assertTrue(report.valid and report.intact and report.complete, report.to_dict())
        # trusting another root, nothing carried in the package makes it trusted
        untrusted = verify_package(package, [self.pki.other_root])
        self.assertFalse(untrusted.valid)
