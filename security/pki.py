"""A throwaway test PKI, generated in code: root CA, issuing CA, signers, and bad certificates.

Shaped like the certificates of Vietnamese public CAs (VNPT-CA, Viettel-CA, BKAV...): the
personal ID sits in the subject as ``UID=CCCD:<12 digits>``, an organisation's tax code as
``UID=MST:<10 digits>``. Nothing here is fit for production: every key is generated in
memory and every PKCS#12 file has the password ``TEST_PASSWORD``.

    pki = build_test_pki()                 # cached per process (RSA generation is slow)
    pki.leaves["gvcn"].p12                 # PKCS#12 bytes, password TEST_PASSWORD
    pki.trusted, pki.intermediates, pki.crls

Command line (used by the demo): ``python -m security.pki OUTDIR`` writes every certificate,
key, PKCS#12 file and the CRL, plus ``pki.json`` which lists the users (the reference remote
signing server reads it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_PASSWORD = "1234"
ROOT_NAME = "Test Root CA – not for production"
INTERMEDIATE_NAME = "Hocbaso Test Issuing CA – not for production"
OTHER_ROOT_NAME = "Other Untrusted Root CA – not for production"
SCHOOL_NAME = "Trường Tiểu học Nguyễn Bỉnh Khiêm"
SCHOOL_TAX_CODE = "0101234567"
TSA_NAME = "Hocbaso Test Time-Stamping Authority – not for production"
OTHER_TSA_NAME = "Untrusted Time-Stamping Authority – not for production"
OCSP_NAME = "Hocbaso Test OCSP Responder – not for production"

# The good signers match the people of hocbaso.samples.sample_primary_record(), so demo
# records signed with these certificates name their signers.
GOOD_LEAVES = ("gvbm", "gvcn", "hieutruong", "ecdsa", "school")
BAD_LEAVES = ("expired", "not_yet_valid", "revoked", "wrong_purpose", "server_only", "untrusted")


@dataclass(frozen=True)
class LeafSpec:
    name: str  # short key: "gvcn"
    common_name: str
    uid: str  # "CCCD:001186004521" or "MST:0101234567"
    role: str  # what it is for, shown in pki.json
    organisation: str = ""
    ec_key: bool = False
    validity: str = "valid"  # valid | expired | not_yet_valid
    issuer: str = "intermediate"  # intermediate | other_root
    purpose: str = "signing"  # signing | key_encipherment | server_auth
    revoked: bool = False


LEAF_SPECS = (
    LeafSpec("gvbm", "Phạm Quốc Việt", "CCCD:001089007732", "Giáo viên bộ môn (GVBM)"),
    LeafSpec("gvcn", "Lê Thị Minh Nguyệt", "CCCD:001186004521", "Giáo viên chủ nhiệm (GVCN)"),
    LeafSpec("hieutruong", "Nguyễn Thị Lan Hương", "CCCD:001178002468", "Hiệu trưởng"),
    LeafSpec("ecdsa", "Đỗ Thanh Tùng", "CCCD:034090001287", "GVBM, ECDSA P-256 key",
             ec_key=True),
    LeafSpec("school", SCHOOL_NAME, "MST:" + SCHOOL_TAX_CODE, "School (organisation, seal)",
             organisation=SCHOOL_NAME),
    LeafSpec("expired", "Trần Văn Hết Hạn", "CCCD:001080000101", "bad: expired",
             validity="expired"),
    LeafSpec("not_yet_valid", "Trần Văn Chưa Tới", "CCCD:001080000102", "bad: not yet valid",
             validity="not_yet_valid"),
    LeafSpec("revoked", "Trần Văn Thu Hồi", "CCCD:001080000103", "bad: revoked (in the CRL)",
             revoked=True),
    LeafSpec("wrong_purpose", "Trần Văn Mã Hóa", "CCCD:001080000104",
             "bad: key usage keyEncipherment only", purpose="key_encipherment"),
    LeafSpec("server_only", "Trần Văn Máy Chủ", "CCCD:001080000105",
             "bad: extended key usage serverAuth only", purpose="server_auth"),
    LeafSpec("untrusted", "Kẻ Giả Mạo", "CCCD:001080000106", "bad: issued by an untrusted root",
             issuer="other_root"),
)


@dataclass(frozen=True)
class Leaf:
    spec: LeafSpec
    certificate: x509.Certificate
    key: object  # rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    p12: bytes  # PKCS#12 with the issuing CA, protected by TEST_PASSWORD
    password: str = TEST_PASSWORD

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def user_ref(self) -> str:
        """The number after the prefix: the personal ID, or the tax code for the school."""
        return self.spec.uid.partition(":")[2]

    @property
    def cert_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


@dataclass
class TestPki:
    __test__ = False  # not a pytest test class

    now: dt.datetime
    root: x509.Certificate
    root_key: object
    intermediate: x509.Certificate
    intermediate_key: object
    other_root: x509.Certificate
    other_root_key: object
    crl: x509.CertificateRevocationList
    leaves: dict[str, Leaf] = field(default_factory=dict)
    directory: Path | None = None
    # the time-stamping authority (issued by the issuing CA; extendedKeyUsage timeStamping,
    # critical) and one under the untrusted root, for the stand-in's "untrusted TSA" fault
    tsa: x509.Certificate | None = None
    tsa_key: object = None
    other_tsa: x509.Certificate | None = None
    other_tsa_key: object = None
    # the issuing CA's delegated OCSP responder (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) and
    # the root's CRL (it lists no one: the status of the issuing CA)
    ocsp: x509.Certificate | None = None
    ocsp_key: object = None
    root_crl: x509.CertificateRevocationList | None = None

    @property
    def trusted(self) -> list[x509.Certificate]:
        return [self.root]

    @property
    def intermediates(self) -> list[x509.Certificate]:
        return [self.intermediate]

    @property
    def crls(self) -> list[x509.CertificateRevocationList]:
        return [self.crl]

    def leaf(self, name: str) -> Leaf:
        return self.leaves[name]

    def write(self, directory) -> Path:
        """Write every file (see ``write_files``) and remember the folder."""
        self.directory = write_files(self, directory)
        return self.directory


def _pem(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def vn_name(common_name: str, uid: str = "", organisation: str = "") -> x509.Name:
    """A subject as Vietnamese CAs write it: C=VN, O, CN, UID ("CCCD:<12 digits>", "MST:...")."""
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    if uid:
        attrs.append(x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(attrs)


def _rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_usage(signing=False, key_encipherment=False, ca=False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing, content_commitment=signing, key_encipherment=key_encipherment,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False)


def _builder(subject, issuer_name, public_key, not_before, not_after, issuer_public_key):
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key),
                       critical=False)
    )


def _ca(common_name, key, issuer_name, issuer_key, not_before, not_after, path_length=None):
    subject = vn_name(common_name, organisation="Hocbaso Test PKI")
    builder = (
        _builder(subject, issuer_name or subject, key.public_key(), not_before, not_after,
                 issuer_key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256())


def _leaf(spec: LeafSpec, now, issuer_cert, issuer_key) -> tuple[x509.Certificate, object]:
    key = ec.generate_private_key(ec.SECP256R1()) if spec.ec_key else _rsa_key()
    not_before, not_after = now - dt.timedelta(days=30), now + dt.timedelta(days=730)
    if spec.validity == "expired":
        not_before, not_after = now - dt.timedelta(days=730), now - dt.timedelta(days=30)
    elif spec.validity == "not_yet_valid":
        not_before, not_after = now + dt.timedelta(days=30), now + dt.timedelta(days=760)
    subject = vn_name(spec.common_name, spec.uid, spec.organisation)
    builder = (
        _builder(subject, issuer_cert.subject, key.public_key(), not_before, not_after,
                 issuer_key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    )
    if spec.purpose == "key_encipherment":
        builder = builder.add_extension(_key_usage(key_encipherment=True), critical=True)
    else:
        builder = builder.add_extension(_key_usage(signing=True), critical=True)
    if spec.purpose == "server_auth":
        usages = [ExtendedKeyUsageOID.SERVER_AUTH]
    else:  # what VN personal / organisation signing certificates carry
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.EMAIL_PROTECTION]
    builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def _tsa(common_name, now, issuer_cert, issuer_key) -> tuple[x509.Certificate, object]:
    """A TSA certificate as RFC 3161 2.3 wants it: EKU timeStamping only, critical."""
    key = _rsa_key()
    builder = (
        _builder(vn_name(common_name, organisation="Hocbaso Test PKI"), issuer_cert.subject,
                 key.public_key(), now - dt.timedelta(days=30), now + dt.timedelta(days=3000),
                 issuer_key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    )
    return builder.sign(issuer_key, hashes.SHA256()), key


def _ocsp_responder(now, issuer_cert, issuer_key) -> tuple[x509.Certificate, object]:
    """A delegated OCSP responder (RFC 6960 4.2.2.2): EKU OCSPSigning, issued by the CA whose
    certificates it answers for, with id-pkix-ocsp-nocheck (its own status is not asked)."""
    key = _rsa_key()
    builder = (
        _builder(vn_name(OCSP_NAME, organisation="Hocbaso Test PKI"), issuer_cert.subject,
                 key.public_key(), now - dt.timedelta(days=30), now + dt.timedelta(days=3000),
                 issuer_key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
        .add_extension(x509.OCSPNoCheck(), critical=False)
    )
    return builder.sign(issuer_key, hashes.SHA256()), key


def _p12(spec: LeafSpec, cert, key, chain) -> bytes:
    return pkcs12.serialize_key_and_certificates(
        spec.name.encode(), key, cert, chain,
        serialization.BestAvailableEncryption(TEST_PASSWORD.encode()))


def _generate(now: dt.datetime) -> TestPki:
    root_key, inter_key, other_key = _rsa_key(), _rsa_key(), _rsa_key()
    root = _ca(ROOT_NAME, root_key, None, root_key,
               now - dt.timedelta(days=3650), now + dt.timedelta(days=7300))
    inter = _ca(INTERMEDIATE_NAME, inter_key, root.subject, root_key,
                now - dt.timedelta(days=1825), now + dt.timedelta(days=3650), path_length=0)
    other = _ca(OTHER_ROOT_NAME, other_key, None, other_key,
                now - dt.timedelta(days=3650), now + dt.timedelta(days=7300))
    leaves = {}
    for spec in LEAF_SPECS:
        issuer, issuer_key = (other, other_key) if spec.issuer == "other_root" else (inter,
                                                                                     inter_key)
        cert, key = _leaf(spec, now, issuer, issuer_key)
        chain = [issuer] if issuer is other else [inter, root]
        leaves[spec.name] = Leaf(spec, cert, key, _p12(spec, cert, key, chain))
    crl = _crl(now, inter, inter_key, [leaves[s.name].certificate for s in LEAF_SPECS
                                       if s.revoked])
    tsa, tsa_key = _tsa(TSA_NAME, now, inter, inter_key)
    other_tsa, other_tsa_key = _tsa(OTHER_TSA_NAME, now, other, other_key)
    responder, responder_key = _ocsp_responder(now, inter, inter_key)
    return TestPki(now=now, root=root, root_key=root_key, intermediate=inter,
                   intermediate_key=inter_key, other_root=other, other_root_key=other_key,
                   crl=crl, leaves=leaves, tsa=tsa, tsa_key=tsa_key, other_tsa=other_tsa,
                   other_tsa_key=other_tsa_key, ocsp=responder, ocsp_key=responder_key,
                   root_crl=_crl(now, root, root_key, []))


def _crl(now, issuer, issuer_key, revoked_certs) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now - dt.timedelta(days=1))
        .next_update(now + dt.timedelta(days=30))
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    for cert in revoked_certs:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(days=2))
            .add_extension(x509.CRLReason(x509.ReasonFlags.superseded), critical=False)
            .build())
    return builder.sign(issuer_key, hashes.SHA256())


_cache: dict[dt.datetime, TestPki] = {}
_lock = threading.Lock()


def build_test_pki(directory=None, now: dt.datetime | None = None) -> TestPki:
    """The test PKI, generated once per process for a given ``now`` (default: today, 00:00 UTC).

    Dates are relative to ``now``: good leaves from now-30 days to now+2 years, "expired" ended
    30 days ago, "not_yet_valid" starts in 30 days, "revoked" was revoked 2 days ago; the TSA
    certificates (``tsa``, ``other_tsa``) and the OCSP responder's (``ocsp``) from now-30 days
    to now+3000 days; ``root_crl`` (the root's, empty) from now-1 day to now+30 days.
    With ``directory``, also writes every file there (see ``write_files``).
    """
    if now is None:  # midnight keeps the cache key stable for a whole test run
        now = dt.datetime.now(dt.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    with _lock:
        pki = _cache.get(now)
        if pki is None:
            pki = _cache[now] = _generate(now)
    if directory is not None:
        write_files(pki, directory)
    return pki


def write_files(pki: TestPki, directory) -> Path:
    """Write the PKI: CA certificates, the CRL (PEM and DER), each leaf as ``<name>.pem``
    (certificate), ``<name>.key.pem`` (unencrypted key, tests only) and ``<name>.p12``, and
    ``pki.json`` describing the users (name, personal ID or tax code, files, password), and the
    time-stamping authorities' ``tsa.pem``/``tsa.key.pem`` and ``other-tsa.*``, the OCSP
    responder's ``ocsp.pem``/``ocsp.key.pem`` and the root's CRL ``root.crl.pem``."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "root.pem").write_bytes(_pem(pki.root))
    (folder / "intermediate.pem").write_bytes(_pem(pki.intermediate))
    (folder / "chain.pem").write_bytes(_pem(pki.intermediate) + _pem(pki.root))
    (folder / "other-root.pem").write_bytes(_pem(pki.other_root))
    (folder / "intermediate.crl.pem").write_bytes(
        pki.crl.public_bytes(serialization.Encoding.PEM))
    (folder / "intermediate.crl").write_bytes(pki.crl.public_bytes(serialization.Encoding.DER))
    (folder / "root.crl.pem").write_bytes(pki.root_crl.public_bytes(serialization.Encoding.PEM))
    for name, cert, key in (("tsa", pki.tsa, pki.tsa_key),
                            ("other-tsa", pki.other_tsa, pki.other_tsa_key),
                            ("ocsp", pki.ocsp, pki.ocsp_key)):
        (folder / (name + ".pem")).write_bytes(_pem(cert))
        key_file = folder / (name + ".key.pem")
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_file.chmod(0o600)
    users = []
    for leaf in pki.leaves.values():
        (folder / (leaf.name + ".pem")).write_bytes(leaf.cert_pem)
        key_file = folder / (leaf.name + ".key.pem")
        key_file.write_bytes(leaf.key_pem)
        key_file.chmod(0o600)
        (folder / (leaf.name + ".p12")).write_bytes(leaf.p12)
        users.append({
            "name": leaf.name, "common_name": leaf.spec.common_name, "uid": leaf.spec.uid,
            "user_ref": leaf.user_ref, "role": leaf.spec.role, "certificate": leaf.name + ".pem",
            "key": leaf.name + ".key.pem", "p12": leaf.name + ".p12", "password": leaf.password,
            "good": leaf.name in GOOD_LEAVES,
            "not_after": leaf.certificate.not_valid_after_utc.isoformat(),
        })
    manifest = {
        "warning": "Test PKI - not for production. Every PKCS#12 password is %s." % TEST_PASSWORD,
        "generated_for": pki.now.isoformat(), "root": "root.pem",
        "intermediate": "intermediate.pem", "crl": "intermediate.crl.pem",
        "untrusted_root": "other-root.pem", "users": users,
        "tsa": {"certificate": "tsa.pem", "key": "tsa.key.pem"},
        "untrusted_tsa": {"certificate": "other-tsa.pem", "key": "other-tsa.key.pem"},
        "ocsp": {"certificate": "ocsp.pem", "key": "ocsp.key.pem"}, "root_crl": "root.crl.pem",
    }
    (folder / "pki.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                     encoding="utf-8")
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m security.pki",
                                     description="Write a throwaway test PKI (not for production).")
    parser.add_argument("outdir", help="folder to write the certificates, keys and CRL to")
    args = parser.parse_args(argv)
    pki = build_test_pki(args.outdir)
    print("Test PKI written to %s (%d certificates, PKCS#12 password %s)"
          % (args.outdir, len(pki.leaves) + 6, TEST_PASSWORD))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
