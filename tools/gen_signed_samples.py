#!/usr/bin/env python3
"""Write data/samples/signed/: a primary and a secondary record, fully signed and issued with a
sample PKI, and the CA certificates that verify them, for integrators to check with xmlsec1
and hocbaso-verify (see the folder's README.md).

The PKI is made here, for these samples only (a test PKI: no legal value), with fixed dates
(valid until 2046) so the samples keep verifying. Keys are new at every run, so signatures
differ from one run to the next; what must not drift is the signed content: the test
(tests/lib/test_signed_samples.py) rebuilds each record with the current profile and compares.

Usage: tools/gen_signed_samples.py [FOLDER]   (default: data/samples/signed)
"""

import datetime as dt
import pathlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hocbaso import samples  # noqa: E402
from hocbaso.signing import xmldsig as X  # noqa: E402
from hocbaso.signing.base import Signer  # noqa: E402
from hocbaso.xmlprofile import get_profile  # noqa: E402
from security.pki import _name, _rsa_key as _rsa  # noqa: E402  (the test PKI's own names)

NOT_BEFORE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
CA_NOT_AFTER = dt.datetime(2056, 1, 1, tzinfo=dt.timezone.utc)
LEAF_NOT_AFTER = dt.datetime(2046, 1, 1, tzinfo=dt.timezone.utc)
SIGNING_TIME = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.timezone.utc)
SCHOOL_TAX_CODE = "0312345678"  # the issuing school's organisation certificate (a sample)

# file -> (profile, record): hocbaso-1.0, as schools produce them today
RECORDS = {
    "hocbaso-1.0-primary-signed.xml": ("hocbaso-1.0", samples.sample_primary_record),
    "hocbaso-1.0-secondary-signed.xml": ("hocbaso-1.0", samples.sample_secondary_record),
}


class _KeySigner(Signer):
    def __init__(self, key, certificate):
        self._key, self.certificate = key, certificate

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def _cert(subject, key, issuer_name, issuer_key, ca, not_after):
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.KeyUsage(not ca, not ca, False, False, False, ca, ca, False, False),
                       critical=True))
    return builder.sign(issuer_key, hashes.SHA256())


class SamplePki:
    def __init__(self):
        self.root_key, self.inter_key = _rsa(), _rsa()
        root_name = _name("Học bạ số Sample Root CA (test only)", organisation="Học bạ số Samples")
        self.root = _cert(root_name, self.root_key, root_name, self.root_key, True,
                          CA_NOT_AFTER)
        self.intermediate = _cert(
            _name("Học bạ số Sample Issuing CA (test only)", organisation="Học bạ số Samples"),
            self.inter_key, root_name, self.root_key, True, CA_NOT_AFTER)
        self._signers = {}

    def signer(self, name, uid, org=""):
        """One certificate per person (a teacher's CCCD, the school's tax code)."""
        if uid not in self._signers:
            key = _rsa()
            cert = _cert(_name(name, uid, organisation=org), key, self.intermediate.subject,
                         self.inter_key, False, LEAF_NOT_AFTER)
            self._signers[uid] = _KeySigner(key, cert)
        return self._signers[uid]


def signed_record(version, make, pki):
    """The record built with ``version`` and signed in order by everyone it names."""
    record = make()
    xml = get_profile(version).build(record)
    steps = [(X.ROLE_GVBM, pki.signer(s.teacher.name, "CCCD:" + s.teacher.personal_id), s.code)
             for s in record.subjects]
    homeroom, leader = record.homeroom_teacher, record.leader
    steps += [
        (X.ROLE_GVCN, pki.signer(homeroom.name, "CCCD:" + homeroom.personal_id), None),
        (X.ROLE_CBQL, pki.signer(leader.name, "CCCD:" + leader.personal_id), None),
        (X.ROLE_ISSUER, pki.signer(record.school.name, "MST:" + SCHOOL_TAX_CODE,
                                   org=record.school.name), None),
    ]
    return X.sign_slots(xml, steps, signing_time=SIGNING_TIME)


def write(folder):
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pki = SamplePki()
    for name, (version, make) in RECORDS.items():
        (folder / name).write_bytes(signed_record(version, make, pki))
    pem = serialization.Encoding.PEM
    (folder / "root-ca.pem").write_bytes(pki.root.public_bytes(pem))
    (folder / "intermediate-ca.pem").write_bytes(pki.intermediate.public_bytes(pem))
    return folder


if __name__ == "__main__":
    print("wrote", write(sys.argv[1] if len(sys.argv) > 1 else ROOT / "data/samples/signed"))
