#!/usr/bin/env python3
"""Write data/samples/signed/: a primary (TT27) and a secondary (TT22) record, signed by every
subject teacher, the homeroom teacher and the leadership and issued with the school's
organisation certificate, plus the CA certificates that verify them, for integrators to check
with xmlsec1 and hocbaso-verify (see the folder's README.md).

The PKI is a test PKI made for these samples (no legal value), with the name and key helpers of
security/pki.py. Its private keys are kept in the folder's ``pki/`` and reused, and everything
else is a function of them and of the records: fixed validity dates (until 2046 and later, so
the samples do not expire in CI), serial numbers derived from the keys, signing times taken
from the records' dates, and RSA PKCS#1 v1.5 signatures (deterministic). Running the tool again
therefore gives byte-identical files; tests/lib/test_signed_samples.py checks that they do.
A missing key is generated (and the samples then change): delete ``pki/`` to rotate them all.

Usage: python tools/gen_signed_samples.py [FOLDER] [--keys DIR]
"""

import argparse
import datetime as dt
import hashlib
import pathlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hocbaso import samples  # noqa: E402
from hocbaso.signing import xmldsig as X  # noqa: E402
from hocbaso.signing.base import Signer  # noqa: E402
from hocbaso.xmlprofile import get_profile  # noqa: E402
from security import pki as test_pki  # noqa: E402

DEFAULT_FOLDER = ROOT / "data" / "samples" / "signed"
KEYS = "pki"  # the folder's sub-folder holding the test keys
ROOT_CA_FILE = "root-ca.pem"
INTERMEDIATE_CA_FILE = "intermediate-ca.pem"

UTC = dt.timezone.utc
CA_NOT_BEFORE = dt.datetime(2024, 1, 1, tzinfo=UTC)
ROOT_NOT_AFTER = dt.datetime(2056, 1, 1, tzinfo=UTC)
INTERMEDIATE_NOT_AFTER = dt.datetime(2051, 1, 1, tzinfo=UTC)
LEAF_NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=UTC)
LEAF_NOT_AFTER = dt.datetime(2046, 1, 1, tzinfo=UTC)
PKI_ORGANISATION = "Hocbaso Sample PKI"
ROOT_NAME = "Hocbaso Sample Root CA – test only, no legal value"
INTERMEDIATE_NAME = "Hocbaso Sample Issuing CA – test only, no legal value"

# The issuing school's organisation certificate carries its tax code (MST), which the record
# does not hold: one per sample school (school code -> MST). The primary school's is the one
# security/pki.py gives the same school.
SCHOOL_TAX_CODES = {
    "0100004001": test_pki.SCHOOL_TAX_CODE,
    "7926734012": "0312345678",
}

# file -> (profile, record): hocbaso-1.0, as schools produce them today
RECORDS = {
    "hocbaso-1.0-primary-signed.xml": ("hocbaso-1.0", samples.sample_primary_record),
    "hocbaso-1.0-secondary-signed.xml": ("hocbaso-1.0", samples.sample_secondary_record),
}


class KeySigner(Signer):
    """A signer over an RSA key in memory (the product's signers take tokens or PKCS#12)."""

    def __init__(self, key, certificate):
        self._key, self.certificate = key, certificate

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


class SamplePki:
    """Root CA -> issuing CA -> one certificate per signer, keys read from ``keys`` if there.

    ``used`` maps each key file name to its key, to write the key set next to the samples.
    """

    def __init__(self, keys=None):
        self.keys = pathlib.Path(keys) if keys else None
        self.used = {}
        self.root_key = self._key("root-ca")
        root_name = test_pki.vn_name(ROOT_NAME, organisation=PKI_ORGANISATION)
        self.root = _certificate(root_name, self.root_key, root_name, self.root_key,
                                 CA_NOT_BEFORE, ROOT_NOT_AFTER, ca=True)
        self.intermediate_key = self._key("intermediate-ca")
        self.intermediate = _certificate(
            test_pki.vn_name(INTERMEDIATE_NAME, organisation=PKI_ORGANISATION),
            self.intermediate_key, root_name, self.root_key, CA_NOT_BEFORE,
            INTERMEDIATE_NOT_AFTER, ca=True, path_length=0)
        self._signers = {}

    def _key(self, label):
        name = label + ".key.pem"
        path = self.keys / name if self.keys else None
        if path is not None and path.exists():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                # ECDSA signatures are random: the samples would change at every run
                raise ValueError("%s: the sample keys must be RSA keys" % path)
        else:
            key = test_pki._rsa_key()
        self.used[name] = key
        return key

    def signer(self, name, uid, organisation=""):
        """One certificate per person or school (``uid``: CCCD of a teacher, MST of a school),
        shared by both records when the same person signs both."""
        if uid not in self._signers:
            key = self._key(uid.replace(":", "-"))
            certificate = _certificate(
                test_pki.vn_name(name, uid, organisation), key, self.intermediate.subject,
                self.intermediate_key, LEAF_NOT_BEFORE, LEAF_NOT_AFTER)
            self._signers[uid] = KeySigner(key, certificate)
        return self._signers[uid]


def _serial(public_key) -> int:
    """A serial number fixed by the key, so that regenerating gives the same certificate and a
    new key never reuses an old serial (positive, 16 bytes: within RFC 5280's 20)."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return int.from_bytes(hashlib.sha256(der).digest()[:16], "big") | (1 << 127)


def _certificate(subject, key, issuer_name, issuer_key, not_before, not_after, ca=False,
                 path_length=None):
    """Shaped like security/pki.py's certificates (and so like VN public CAs' ones)."""
    public_key = key.public_key()
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
        .public_key(public_key).serial_number(_serial(public_key))
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(test_pki._key_usage(signing=not ca, ca=ca), critical=True))
    if not ca:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _at(day: str, hour: int) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def signed_record(version, make, pki):
    """The record built with ``version`` and signed in order by everyone it names.

    Each role signs at its own time, from the record's dates (09:00 and later in Việt Nam): the
    subject teachers on the day it was made, the homeroom teacher two days later, the
    leadership and the issuance on the issue date."""
    record = make()
    xml = get_profile(version).build(record)
    homeroom, leader, school = record.homeroom_teacher, record.leader, record.school
    created = _at(record.created_date, 2)
    issued = _at(record.issue_date, 1)
    steps = [
        ([(X.ROLE_GVBM, pki.signer(s.teacher.name, "CCCD:" + s.teacher.personal_id), s.code)
          for s in record.subjects], created),
        ([(X.ROLE_GVCN, pki.signer(homeroom.name, "CCCD:" + homeroom.personal_id), None)],
         created + dt.timedelta(days=2)),
        ([(X.ROLE_CBQL, pki.signer(leader.name, "CCCD:" + leader.personal_id), None)], issued),
        ([(X.ROLE_ISSUER, pki.signer(school.name, "MST:" + SCHOOL_TAX_CODES[school.code],
                                     organisation=school.name), None)],
         issued + dt.timedelta(hours=2)),
    ]
    for role_steps, signing_time in steps:
        xml = X.sign_slots(xml, role_steps, signing_time=signing_time)
    return xml


def write(folder, keys=None) -> list[pathlib.Path]:
    """Write the samples, the CA certificates and the key set into ``folder``.

    ``keys``: where to read the keys from (default ``folder/pki``); a key not found there is
    generated. The keys used are written to ``folder/pki`` and any other key there is removed,
    so the folder always holds exactly the key set of its samples. Returns the files written.
    """
    folder = pathlib.Path(folder)
    keys = pathlib.Path(keys) if keys else folder / KEYS
    pki = SamplePki(keys)
    documents = {name: signed_record(version, make, pki)
                 for name, (version, make) in RECORDS.items()}
    pem = serialization.Encoding.PEM
    files = dict(documents)
    files[ROOT_CA_FILE] = pki.root.public_bytes(pem)
    files[INTERMEDIATE_CA_FILE] = pki.intermediate.public_bytes(pem)
    for name, key in pki.used.items():
        files[KEYS + "/" + name] = key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    (folder / KEYS).mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in sorted(files.items()):
        path = folder / name
        path.write_bytes(content)
        written.append(path)
    for stale in (folder / KEYS).glob("*.key.pem"):
        if KEYS + "/" + stale.name not in files:
            stale.unlink()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/gen_signed_samples.py",
        description="Write the signed sample records (test PKI, no legal value).")
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER),
                        help="where to write them (default: data/samples/signed)")
    parser.add_argument("--keys", help="read the test keys from this folder (default: "
                                       "FOLDER/pki; missing keys are generated)")
    args = parser.parse_args(argv)
    for path in write(args.folder, args.keys):
        print("%s: %d bytes" % (path, path.stat().st_size))
    return 0


if __name__ == "__main__":
    sys.exit(main())
