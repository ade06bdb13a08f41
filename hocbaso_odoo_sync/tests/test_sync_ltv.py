"""The CSDL outbox copies an issued record's document after the signing addon kept its
validation data and first archive timestamp in it (the sync hook runs after the signing
one): the copy sent is the document as kept, with the TSA and OCSP stand-ins as processes."""

import base64
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from lxml import etree

from odoo.tests import tagged

from hocbaso.signing import archive as A
from hocbaso.signing import ltv as L
from hocbaso.signing import xmldsig as X

from odoo.addons.hocbaso_odoo_sign.tests.common import SignCase
from odoo.addons.hocbaso_odoo_sign.tests.common import start_standin, stop_standin


@tagged("post_install", "-at_install")
class TestSyncKeptDocument(SignCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        folder = tempfile.TemporaryDirectory()
        cls.addClassCleanup(folder.cleanup)
        pki_dir = Path(folder.name) / "pki"
        cls.pki.write(pki_dir)
        urls = []
        for module in ("hocbaso.signing.standins.tsa", "hocbaso.signing.standins.ocsp"):
            proc, url, log = start_standin(module, pki_dir)
            cls.addClassCleanup(stop_standin, proc, log)
            urls.append(url)
        cls.root_ca.crl_file = base64.b64encode(
            cls.pki.root_crl.public_bytes(serialization.Encoding.DER))
        cls.school.write({"hocbaso_tsa_url": urls[0], "hocbaso_ocsp_url": urls[1],
                          "hocbaso_tsa_timeout": 5})

    def test_outbox_sends_the_document_as_kept(self):
        self.lock(self.record)
        self.sign_to(self.record)
        self.assertEqual(self.record.state, "issued")
        entry = self.env["hocbaso.sync.entry"].search([("record_id", "=", self.record.id)])
        self.assertEqual(entry.event, "NEW")
        sent = entry._xml_bytes()
        self.assertEqual(sent, self.record._get_xml())
        self.assertEqual(entry.xml_sha256, self.record.xml_sha256)
        properties = L.unsigned_signature_properties(L.issuer_signature(etree.fromstring(sent)))
        self.assertIsNotNone(properties.find(X.xades("CertificateValues")))
        self.assertEqual(len(properties.findall(A.ARCHIVE_TAG)), 1)
