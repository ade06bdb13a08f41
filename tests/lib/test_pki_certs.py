"""The test PKI (security/pki.py) and the certificate checks (hocbaso.signing.certs)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the top-level security/ package is not installed
    sys.path.insert(0, str(REPO))

from security.pki import TEST_PASSWORD, build_test_pki  # noqa: E402

from hocbaso.errors import CertificateError  # noqa: E402
from hocbaso.signing.certs import (  # noqa: E402
    CertificateInfo,
    ChainCheck,
    subject_holder,
    check_certificate,
    check_crls_of,
    load_certificates,
    load_crls,
)

NOW = dt.datetime.now(dt.timezone.utc)


@pytest.fixture(scope="module")
def pki():
    return build_test_pki()


def check(pki, name, purpose="personal", at=NOW, **kw):
    options = {"trusted": pki.trusted, "intermediates": pki.intermediates, "crls": pki.crls}
    options.update(kw)
    return check_certificate(pki.leaf(name).certificate, at=at, purpose=purpose, **options)


def test_pki_is_cached_and_shaped_like_vietnamese_certificates(pki):
    assert build_test_pki() is pki
    assert pki.root.subject.rfc4514_string().startswith("CN=Test Root CA – not for production")
    info = CertificateInfo.from_certificate(pki.leaf("gvcn").certificate)
    assert info.name == "Lê Thị Minh Nguyệt"
    assert (info.personal_id_kind, info.personal_id) == ("CCCD", "001186004521")
    assert len(info.personal_id) == 12 and not info.is_organisation
    assert pki.leaf("gvcn").certificate.public_key().key_size == 2048
    assert pki.leaf("school").certificate.subject.rfc4514_string().count("MST:0101234567") == 1


@pytest.mark.parametrize("name", ["gvbm", "gvcn", "hieutruong", "ecdsa"])
def test_good_personal_certificates_pass(pki, name):
    info = check(pki, name)
    leaf = pki.leaf(name)
    assert info.personal_id == leaf.user_ref and info.name == leaf.spec.common_name
    assert {"digital_signature", "non_repudiation"} <= info.key_usage and info.non_repudiation
    assert info.serial == format(leaf.certificate.serial_number, "x")
    assert info.not_before.tzinfo is not None and info.not_before < NOW < info.not_after
    assert info.fingerprint_sha256 == leaf.certificate.fingerprint(hashes.SHA256()).hex()
    assert info.issuer_name.startswith("Hocbaso Test Issuing CA")


def test_organisation_certificate_passes_and_needs_a_tax_code(pki):
    info = check(pki, "school", purpose="organisation")
    assert info.is_organisation and info.tax_code == "0101234567"
    assert info.organisation == "Trường Tiểu học Nguyễn Bỉnh Khiêm"
    with pytest.raises(CertificateError, match=r"not an organisation certificate.*\(MST\)"):
        check(pki, "hieutruong", purpose="organisation")


BAD = [
    ("expired", r"Trần Văn Hết Hạn expired on \d\d/\d\d/\d{4}"),
    ("not_yet_valid", r"Trần Văn Chưa Tới is valid only from \d\d/\d\d/\d{4}"),
    ("revoked", r"Trần Văn Thu Hồi \(serial [0-9a-f]+\) was revoked on \d\d/\d\d/\d{4}"),
    ("wrong_purpose", r"not meant for signing documents \(its key usage is key_encipherment\)"),
    ("server_only", r"only meant for TLS server, not for signing documents"),
    ("untrusted", r"Kẻ Giả Mạo was not issued by a trusted certificate authority"),
]


@pytest.mark.parametrize(("name", "message"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_certificate_is_refused_with_its_reason(pki, name, message):
    with pytest.raises(CertificateError, match=message) as caught:
        check(pki, name)
    assert "%(" not in caught.value.message and caught.value.template.count("%(") >= 1


def test_expiry_message_gives_the_end_date(pki):
    end = pki.leaf("expired").certificate.not_valid_after_utc
    with pytest.raises(CertificateError) as caught:
        check(pki, "expired")
    # people read Vietnam's time, day first (UTC+7, no daylight saving)
    local = (end + dt.timedelta(hours=7)).strftime("%d/%m/%Y %H:%M:%S")
    assert local in caught.value.message and "UTC" not in caught.value.message


def test_checks_use_the_given_moment(pki):
    expired = pki.leaf("expired").certificate
    inside = expired.not_valid_before_utc + dt.timedelta(days=1)
    assert check(pki, "expired", at=inside).personal_id == "001080000101"
    # Revoked 2 days ago (reason superseded): still good for a signature made before that.
    assert check(pki, "revoked", at=pki.now - dt.timedelta(days=10)).name == "Trần Văn Thu Hồi"
    with pytest.raises(CertificateError, match="valid only from"):
        check(pki, "gvcn", at=pki.now - dt.timedelta(days=40))


def test_revocation_comes_from_the_crl(pki):
    assert check(pki, "revoked", crls=()).name == "Trần Văn Thu Hồi"
    revoked = pki.leaf("revoked").certificate
    assert pki.crl.get_revoked_certificate_by_serial_number(revoked.serial_number) is not None
    assert pki.crl.is_signature_valid(pki.intermediate.public_key())


def test_crl_with_a_forged_signature_is_refused(pki):
    forged = (x509.CertificateRevocationListBuilder()
              .issuer_name(pki.intermediate.subject)
              .last_update(pki.now).next_update(pki.now + dt.timedelta(days=7))
              .sign(pki.other_root_key, hashes.SHA256()))
    with pytest.raises(CertificateError, match="revocation list .* has an invalid signature"):
        check(pki, "gvcn", crls=[forged])


def test_one_chain_check_judges_each_signature_at_its_own_time(pki):
    """A verification reuses one ChainCheck for every signature of a record: what the lists
    say of a path is learnt once, and still compared with each signature's own time."""
    revoked = pki.leaf("revoked").certificate
    chains = ChainCheck(pki.trusted, pki.intermediates, pki.crls)
    before, after = pki.now - dt.timedelta(days=10), pki.now
    for _ in range(2):
        assert chains.check(revoked, at=before).name == "Trần Văn Thu Hồi"
        with pytest.raises(CertificateError, match="was revoked on"):
            chains.check(revoked, at=after)
    # a signature carrying its CAs in KeyInfo: the same lists, the same verdicts
    extended = chains.extended([pki.intermediate])
    assert extended.check(revoked, at=before).name == "Trần Văn Thu Hồi"
    with pytest.raises(CertificateError, match="was revoked on"):
        extended.check(revoked, at=after)
    assert extended.check(pki.leaf("gvcn").certificate, at=after).name


def test_a_key_compromise_revokes_every_signature_and_a_forged_list_every_check(pki):
    revoked = pki.leaf("revoked").certificate
    compromised = (x509.CertificateRevocationListBuilder()
                   .issuer_name(pki.intermediate.subject)
                   .last_update(pki.now).next_update(pki.now + dt.timedelta(days=7))
                   .add_revoked_certificate(
                       x509.RevokedCertificateBuilder().serial_number(revoked.serial_number)
                       .revocation_date(pki.now - dt.timedelta(days=2))
                       .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise),
                                      critical=False).build())
                   .sign(pki.intermediate_key, hashes.SHA256()))
    chains = ChainCheck(pki.trusted, pki.intermediates, [compromised])
    for at in (pki.now - dt.timedelta(days=10), pki.now):
        with pytest.raises(CertificateError, match="was revoked on"):
            chains.check(revoked, at=at)
    forged = (x509.CertificateRevocationListBuilder()
              .issuer_name(pki.intermediate.subject)
              .last_update(pki.now).next_update(pki.now + dt.timedelta(days=7))
              .sign(pki.other_root_key, hashes.SHA256()))
    chains = ChainCheck(pki.trusted, pki.intermediates, [forged])
    for _ in range(2):
        with pytest.raises(CertificateError, match="has an invalid signature"):
            chains.check(pki.leaf("gvcn").certificate, at=pki.now)


def test_chain_needs_the_intermediate_and_a_trusted_root(pki):
    with pytest.raises(CertificateError, match="not issued by a trusted"):
        check(pki, "gvcn", intermediates=())
    with pytest.raises(CertificateError, match="not issued by a trusted"):
        check(pki, "gvcn", trusted=[pki.other_root])
    # The other root, once trusted, makes its own leaf acceptable.
    assert check(pki, "untrusted", trusted=[pki.other_root]).name == "Kẻ Giả Mạo"


def _issue(subject, issuer_name, key, issuer_key, ca=False):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - dt.timedelta(days=1))
            .not_valid_after(NOW + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256()))


def test_forged_intermediate_with_the_same_name_is_refused(pki):
    fake_ca = _issue(pki.intermediate.subject, pki.root.subject, pki.other_root_key,
                     pki.other_root_key, ca=True)  # right names, signed by the wrong key
    victim_key = pki.leaf("gvbm").key
    leaf = _issue(pki.leaf("gvbm").certificate.subject, fake_ca.subject, victim_key,
                  pki.other_root_key)
    with pytest.raises(CertificateError, match="not issued by a trusted"):
        check_certificate(leaf, [pki.root], [fake_ca], at=NOW)


def test_an_end_entity_cannot_act_as_a_ca(pki):
    gvcn = pki.leaf("gvcn")
    child = _issue(x509.Name.from_rfc4514_string("CN=Con,UID=CCCD:001080000999"),
                   gvcn.certificate.subject, pki.leaf("gvbm").key, gvcn.key)
    with pytest.raises(CertificateError, match="not issued by a trusted"):
        check_certificate(child, [pki.root], [pki.intermediate, gvcn.certificate], at=NOW)


def test_a_ca_certificate_is_not_a_signer(pki):
    with pytest.raises(CertificateError, match="belongs to a certificate authority"):
        check_certificate(pki.intermediate, [pki.root], at=NOW)


def test_load_certificates_reads_pem_bundles_der_and_pkcs7(pki):
    pem = pki.intermediate.public_bytes(serialization.Encoding.PEM)
    bundle = pem + pki.root.public_bytes(serialization.Encoding.PEM)
    assert load_certificates(bundle) == [pki.intermediate, pki.root]
    der = pki.root.public_bytes(serialization.Encoding.DER)
    assert load_certificates(der) == [pki.root]
    p7 = pkcs7.serialize_certificates([pki.root, pki.intermediate], serialization.Encoding.DER)
    assert set(load_certificates(p7)) == {pki.root, pki.intermediate}
    with pytest.raises(CertificateError, match="not a certificate"):
        load_certificates(b"hello, I am not a certificate")


def test_load_crls_reads_pem_and_der(pki):
    assert load_crls(pki.crl.public_bytes(serialization.Encoding.PEM)) == [pki.crl]
    assert load_crls(pki.crl.public_bytes(serialization.Encoding.DER)) == [pki.crl]
    with pytest.raises(CertificateError, match="revocation list"):
        load_crls(b"junk")


def test_load_crls_refuses_a_pem_file_of_something_else(pki):
    """A certificate chosen by mistake as the CRL is refused, not read as an empty list."""
    for other in (pki.intermediate.public_bytes(serialization.Encoding.PEM),
                  b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"):
        with pytest.raises(CertificateError, match="not a certificate revocation list"):
            load_crls(other)


def test_a_crl_belongs_to_the_authority_it_is_attached_to(pki):
    check_crls_of([pki.crl], pki.intermediate)
    with pytest.raises(CertificateError, match="issued by .*Issuing.*, not by this authority"):
        check_crls_of([pki.crl], pki.root)
    forged = (x509.CertificateRevocationListBuilder()
              .issuer_name(pki.intermediate.subject)
              .last_update(pki.now).next_update(pki.now + dt.timedelta(days=7))
              .sign(pki.other_root_key, hashes.SHA256()))
    with pytest.raises(CertificateError, match="has an invalid signature"):
        check_crls_of([pki.crl, forged], pki.intermediate)


def test_cli_writes_the_pki_and_openssl_agrees(tmp_path):
    out = tmp_path / "pki"
    result = subprocess.run([sys.executable, "-m", "security.pki", str(out)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "pki.json").read_text(encoding="utf-8"))
    users = {u["name"]: u for u in manifest["users"]}
    assert users["gvcn"]["user_ref"] == "001186004521" and users["gvcn"]["password"] == "1234"
    assert TEST_PASSWORD == "1234"
    for name in ("gvcn", "school", "revoked", "untrusted"):
        assert (out / (name + ".p12")).stat().st_size > 1000
    assert load_certificates((out / "gvcn.pem").read_bytes())[0].subject.rfc4514_string()
    openssl = shutil.which("openssl")
    assert openssl, "openssl is not installed: apt-get install openssl"

    def verify(name):
        return subprocess.run(
            [openssl, "verify", "-CAfile", str(out / "root.pem"), "-untrusted",
             str(out / "intermediate.pem"), "-crl_check", "-CRLfile",
             str(out / "intermediate.crl.pem"), str(out / (name + ".pem"))],
            capture_output=True, text=True, timeout=60)

    assert verify("gvcn").returncode == 0
    refused = verify("revoked")
    assert refused.returncode != 0 and "revoked" in (refused.stdout + refused.stderr)
    assert verify("untrusted").returncode != 0


def test_the_holder_a_subject_names(pki):
    """A signature log keeps the subject as text; people see its holder, never a bare ID."""
    subject = pki.leaf("gvcn").certificate.subject.rfc4514_string()
    assert subject_holder(subject) == pki.leaf("gvcn").certificate.subject.get_attributes_for_oid(
        x509.oid.NameOID.COMMON_NAME)[0].value
    assert subject_holder("UID=CCCD:001175318506,O=Trường") == "UID=CCCD:••••••••8506,O=Trường"
    assert subject_holder("not a name") == "not a name"
    assert subject_holder(None) == ""
