"""Test signing certificates for generated schools (security/pki.py, password 1234).

Test certificates only: never for real records. The demo school's certificates, written to
disk for its users, are made by hocbaso_odoo_sign/tools/demo.py instead.
"""

import base64
import datetime as dt
import sys
from pathlib import Path


def _pki_module():
    root = str(Path(__file__).resolve().parents[1])  # security/ lives at the repository root
    if root not in sys.path:
        sys.path.insert(0, root)
    from security import pki

    return pki


def certificate_vals(company_id, user_id, certificate, p12, kind="personal"):
    """Values of a hocbaso.signing.certificate holding ``p12`` (PKCS#12 bytes)."""
    from cryptography.hazmat.primitives import serialization

    return {"company_id": company_id, "user_id": user_id, "kind": kind,
            "certificate_file": base64.b64encode(
                certificate.public_bytes(serialization.Encoding.PEM)),
            "certificate_filename": "certificate.pem", "backend": "pkcs12",
            "p12_file": base64.b64encode(p12), "p12_filename": "certificate.p12"}


class Certificates:
    """The test PKI, with a certificate for each signer of a school; the certificates share
    a small pool of RSA keys, since generating a key per teacher would take longer than
    building the school."""

    def __init__(self):
        self.pki_module = _pki_module()
        self.password = self.pki_module.TEST_PASSWORD
        self.pki = self.pki_module.build_test_pki()
        self.keys = [self.pki.leaf(name).key for name in ("gvbm", "gvcn", "hieutruong", "school")]
        self._next = 0

    def issue(self, common_name, uid, organisation="", key=None):
        """(certificate, PKCS#12 bytes with the issuing CA, key): a two-year signing
        certificate from the test PKI's issuing CA."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.x509.oid import ExtendedKeyUsageOID

        m, pki = self.pki_module, self.pki
        if key is None:
            key = self.keys[self._next % len(self.keys)]
            self._next += 1
        spec = m.LeafSpec("generated", common_name, uid, "generated school",
                          organisation=organisation)
        certificate = (
            m._builder(m.vn_name(common_name, uid, organisation), pki.intermediate.subject,
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
        """The test root and issuing CAs, each with its CRL, as the database's trusted CAs."""
        from cryptography.hazmat.primitives import serialization

        def pem(certificate):
            return certificate.public_bytes(serialization.Encoding.PEM).decode()

        env["hocbaso.trusted.ca"].create([
            # the root's own CRL too: at issuance a record keeps the revocation status of every
            # certificate of its chains (validation data)
            {"name": self.pki_module.ROOT_NAME, "pem": pem(self.pki.root), "is_root": True,
             "crl_file": base64.b64encode(
                 self.pki.root_crl.public_bytes(serialization.Encoding.DER))},
            {"name": self.pki_module.INTERMEDIATE_NAME, "pem": pem(self.pki.intermediate),
             "is_root": False, "crl_file": base64.b64encode(
                 self.pki.crl.public_bytes(serialization.Encoding.DER))},
        ])

    def register_school(self, env, company, signers):
        """A certificate for each of ``signers`` (her personal ID in it) and the school's
        seal; returns {user id: certificate id, "seal": certificate id}."""
        vals_list = []
        for user in signers:
            certificate, p12, _key = self.issue(user.name, "CCCD:" + user.hocbaso_personal_id)
            vals_list.append(certificate_vals(company.id, user.id, certificate, p12))
        seal, seal_p12, _key = self.issue(company.name, "MST:" + self.pki_module.SCHOOL_TAX_CODE,
                                          organisation=company.name)
        vals_list.append(certificate_vals(company.id, False, seal, seal_p12, "organisation"))
        created = env["hocbaso.signing.certificate"].create(vals_list)
        ids = {cert.user_id.id: cert.id for cert in created if cert.user_id}
        ids["seal"] = created.filtered(lambda cert: cert.kind == "organisation").id
        return ids
