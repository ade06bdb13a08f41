"""One authorisation signs a batch at the services that ask for a code at once instead of a
phone approval: the Cloud Signature Consortium API v2 (a PIN) and VNPT SmartCA TH (the
password and a one-time code from the authenticator app). Each stand-in runs as its own
process; the code reaches the wizard through the button's context only, never a field."""


from odoo.exceptions import UserError
from odoo.tests import tagged

from hocbaso.signing.providers.totp import standin_key, totp

from .common import SignCase

CSC_USER, CSC_PASSWORD = "hocbaso-test-school", "csc-password-1"
SP_ID, SP_PASSWORD = "hocbaso-test-sp", "sp-password-1"


@tagged("post_install", "-at_install")
class TestSignBatchCodes(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.write_pki_dir()
        cls.cert = cls.certs[cls.gvbm_lit]
        cls.user_ref = cls.pki.leaf("ecdsa").user_ref

    def use(self, vals):
        provider = self.env["hocbaso.signing.provider"].create(
            dict(vals, company_id=self.school.id))
        self.cert.write({"backend": "remote", "provider_id": provider.id, "p12_file": False,
                         "remote_user_ref": self.user_ref})
        return provider

    def wizard(self, **context):
        return self.env["hocbaso.sign.wizard"].with_user(self.gvbm_lit).with_context(
            active_model="hocbaso.record", active_ids=self.records.ids, **context).create({
                "role": "gvbm", "certificate_id": self.cert.id})

    def assert_all_signed_once(self, wizard):
        self.assertEqual(wizard.state, "done", wizard.summary)
        self.assertEqual(set(wizard.result_ids.mapped("status")), {"signed"})
        batch = wizard.batch_ids
        self.assertEqual((len(batch), batch.state, batch.signed_count), (1, "done", 4))
        for record in self.records:
            self.assertTrue(record._verify_report().valid, record.display_name)
        run = self.xmlsec1_verify(self.record._get_xml(), "sig-gvbm-GDTC")
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_csc_one_pin_signs_the_batch(self):
        url = self.run_standin("hocbaso.signing.standins.csc", "--username", CSC_USER,
                         "--password", CSC_PASSWORD)
        self.use({"name": "CSC", "kind": "csc", "service_url": url + "/csc/v2",
                  "username": CSC_USER, "password": CSC_PASSWORD})
        self.lock(self.records)
        wizard = self.wizard()
        self.assertEqual(wizard.approval, "pin")
        with self.assertRaisesRegex(UserError, "PIN"):  # no code, nothing sent
            wizard.action_sign()
        self.assertFalse(self.records.signature_ids)
        refused = self.wizard(hocbaso_secret="0000")  # a wrong PIN: the service refuses
        refused.action_sign()
        self.assertFalse(self.records.signature_ids, "nothing written")
        self.assertEqual(refused.batch_ids.state, "failed")
        self.assertEqual(set(refused.result_ids.mapped("status")), {"error"})
        wizard = self.wizard(hocbaso_secret=self.password)
        wizard.action_sign()
        self.assert_all_signed_once(wizard)
        self.assertFalse(wizard.read(["secret"])[0]["secret"])  # never kept

    def test_smartca_th_password_and_one_time_code_sign_the_batch(self):
        url = self.run_standin("hocbaso.signing.standins.smartca", "--sp-id", SP_ID,
                         "--sp-password", SP_PASSWORD)
        self.use({"name": "SmartCA TH", "kind": "smartca_th", "service_url": url,
                  "client_id": SP_ID, "client_secret": SP_PASSWORD})
        self.lock(self.records)
        wizard = self.wizard(hocbaso_secret=self.password)
        self.assertEqual(wizard.approval, "otp")
        with self.assertRaisesRegex(UserError, "one-time code"):
            wizard.action_sign()
        self.assertFalse(self.records.signature_ids)
        code = totp(standin_key(self.user_ref))
        wizard = self.wizard(hocbaso_secret=self.password, hocbaso_otp=code)
        wizard.action_sign()
        self.assert_all_signed_once(wizard)
