import base64
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # security.pki lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from cryptography.hazmat.primitives import serialization  # noqa: E402

from security.pki import TEST_PASSWORD, build_test_pki  # noqa: E402

from hocbaso.signing.standins.common import launch, stop  # noqa: E402

from odoo.addons.hocbaso_odoo.tests.common import HocbasoCase  # noqa: E402

DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def start_standin(module, pki_dir, *extra):
    """(process, URL, log file) of a stand-in run as its own process on the test PKI of
    ``pki_dir``, its error output in a log beside that folder; stop_standin ends it."""
    log = open(Path(pki_dir).parent / f"{module.rsplit('.', 1)[-1]}-{time.monotonic_ns()}.log",
               "w")
    try:
        proc, url = launch(module, "--port", "0", "--pki-dir", str(pki_dir), *extra,
                           stderr=log, cwd=REPO_ROOT)
    except RuntimeError:
        log.close()
        raise
    return proc, url, log


def stop_standin(proc, log):
    stop(proc)
    log.close()


class SignCase(HocbasoCase):
    """HocbasoCase with the test PKI trusted and a certificate for every signer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = pki = build_test_pki()
        cls.password = TEST_PASSWORD
        Ca = cls.env["hocbaso.trusted.ca"]
        # each CA with its CRL, as a school sets them up: an issued record keeps the status
        cls.root_ca = Ca.create({
            "name": "Test Root CA", "pem": pem(pki.root).decode(), "is_root": True,
            "crl_file": base64.b64encode(pki.root_crl.public_bytes(serialization.Encoding.DER))})
        cls.intermediate_ca = Ca.create({
            "name": "Test Issuing CA", "pem": pem(pki.intermediate).decode(), "is_root": False,
            "crl_file": base64.b64encode(pki.crl.public_bytes(serialization.Encoding.DER))})
        # the users take the personal IDs of the test certificates
        cls.signers = {cls.gvbm_math: "gvbm", cls.gvbm_lit: "ecdsa", cls.gvcn: "gvcn",
                       cls.principal: "hieutruong"}
        cls.certs = {}
        for user, leaf in cls.signers.items():
            user.hocbaso_personal_id = pki.leaf(leaf).user_ref
            cls.certs[user] = cls.register(user, leaf)
        cls.school_cert = cls.register(None, "school", kind="organisation")
        cls.record2 = cls.records - cls.record

    @classmethod
    def register(cls, user, leaf_name, kind="personal", **vals):
        leaf = cls.pki.leaf(leaf_name)
        return cls.env["hocbaso.signing.certificate"].create(dict({
            "company_id": cls.school.id, "user_id": user.id if user else False, "kind": kind,
            "certificate_file": base64.b64encode(leaf.cert_pem), "certificate_filename": "c.pem",
            "backend": "pkcs12", "p12_file": base64.b64encode(leaf.p12), "p12_filename": "c.p12",
        }, **vals))

    # --- helpers ---------------------------------------------------------------------------
    @classmethod
    def write_pki_dir(cls):
        """The test PKI written to a temporary folder (``cls.pki_dir``), as the stand-ins read
        it; removed after the class."""
        cls.folder = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.folder.cleanup)
        cls.pki_dir = Path(cls.folder.name) / "pki"
        cls.pki.write(cls.pki_dir)

    def run_standin(self, module, *extra):
        """The URL of a stand-in run for this test on ``self.pki_dir``, stopped after it."""
        proc, url, log = start_standin(module, self.pki_dir, *extra)
        self.addCleanup(stop_standin, proc, log)
        return url

    def lock(self, records):
        for record in records:
            self.fill_secondary(record)
        records.with_user(self.gvcn).action_lock()
        self.assertTrue(all(records.mapped("xml_document")))

    def wizard(self, user, records, role, cert=None):
        return self.env["hocbaso.sign.wizard"].with_user(user).with_context(
            active_model="hocbaso.record", active_ids=records.ids).create({
                "role": role, "certificate_id": (cert or self.certs.get(user)).id})

    def sign(self, user, records, role, cert=None, password=None):
        wizard = self.wizard(user, records, role, cert)
        wizard.with_context(hocbaso_secret=password or self.password).action_sign()
        return wizard

    def assert_all_signed(self, wizard):
        errors = wizard.result_ids.filtered(lambda r: r.status != "signed").mapped("message")
        self.assertFalse(errors, errors)

    def sign_to(self, records, last_role="phathanh"):
        steps = [("gvbm", self.gvbm_math), ("gvbm", self.gvbm_lit), ("gvcn", self.gvcn),
                 ("cbql", self.principal), ("phathanh", self.issuer)]
        order = [role for role, _user in steps]
        for role, user in steps:
            if order.index(role) > order.index(last_role):
                break
            cert = self.school_cert if role == "phathanh" else None
            self.assert_all_signed(self.sign(user, records, role, cert))

    def xmlsec1_verify(self, xml_bytes, node_id):
        exe = shutil.which("xmlsec1")
        self.assertTrue(exe, "xmlsec1 is not installed (apt-get install xmlsec1)")
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "doc.xml").write_bytes(xml_bytes)
            (folder / "root.pem").write_bytes(pem(self.pki.root))
            (folder / "intermediate.pem").write_bytes(pem(self.pki.intermediate))
            return subprocess.run(
                [exe, "--verify", "--id-attr:Id", "DU_LIEU_HOC_BA",
                 "--id-attr:Id", "THONG_TIN_HOC_BA", "--id-attr:Id", "DIEM_TONG_KET",
                 "--id-attr:Id", DS_NS + ":Signature",
                 "--id-attr:Id", XADES_NS + ":SignedProperties",
                 "--id-attr:Id", "NOI_DUNG",
                 "--node-id", node_id, "--trusted-pem", str(folder / "root.pem"),
                 "--untrusted-pem", str(folder / "intermediate.pem"), str(folder / "doc.xml")],
                capture_output=True, text=True, timeout=60)
