"""Trusted timestamps (XAdES-T SignatureTimeStamp, RFC 3161) against the TSA stand-in run as
its own process: every signature of a record timestamped still verifies with xmlsec1 and with
our verifier, each token verifies with ``openssl ts -verify``, a changed or foreign token is
caught, each fault of the authority is refused with nothing added, and a timestamped signature
is judged at the time it proves (after expiry, after a later revocation; refused when revoked
before)."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from dsig_fixtures import NOW, pem, sign_all, teacher_signer, xmlsec1_verify
from freezegun import freeze_time
from lxml import etree
from provider_fixtures import fault, free_port, start, stop

from hocbaso import cli
from hocbaso.errors import SigningError, TimestampError
from hocbaso.signing import timestamp as T
from hocbaso.signing import xmldsig as X
from hocbaso.timeutil import vn_datetime
from hocbaso.verify import verify_document

LATER = NOW + dt.timedelta(days=15 * 365)  # about 2040: every signer's certificate expired


@pytest.fixture(scope="module")
def tsa(pki_dir):
    started = [start("hocbaso.signing.standins.tsa", pki_dir)]
    yield started[0][1]
    stop(started)


@pytest.fixture(scope="module")
def client(tsa, test_pki):
    return T.TimestampClient(tsa, [test_pki.root], [test_pki.intermediate], timeout=10)


def _trust(pki, test_pki):
    """(trusted roots, intermediates): the signers' PKI and the TSA's."""
    return [pki.root, test_pki.root], [pki.intermediate, test_pki.intermediate]


def _steps(record, pki):
    steps = []
    for subject in record.subjects:
        steps.append((X.ROLE_GVBM, teacher_signer(pki, subject.teacher.name,
                                                  subject.teacher.personal_id), subject.code))
    steps.append((X.ROLE_GVCN, teacher_signer(pki, record.homeroom_teacher.name,
                                              record.homeroom_teacher.personal_id), None))
    steps.append((X.ROLE_CBQL, teacher_signer(pki, record.leader.name,
                                              record.leader.personal_id), None))
    steps.append((X.ROLE_ISSUER, pki.signers["phathanh"], None))
    return steps


@pytest.fixture(scope="module")
def stamped(unsigned, pki, client):
    """Every slot signed in one call, each signature timestamped before the next covers it."""
    record, xml = unsigned
    return X.sign_slots(xml, _steps(record, pki), timestamp=client.stamp)


def _verify(xml, pki, test_pki, crls=(), at=None):
    trusted, intermediates = _trust(pki, test_pki)
    return verify_document(xml, trusted, intermediates, crls, at)


def _signatures(xml: bytes) -> list[etree._Element]:
    return list(etree.fromstring(xml).iter(X.ds("Signature")))


def _token(signature) -> bytes:
    return base64.b64decode(signature.findtext(T.TIMESTAMP_PATH + "/"
                                               + X.xades("EncapsulatedTimeStamp")))


def _first_subject_only(unsigned, pki):
    record, xml = unsigned
    subject = record.subjects[0]
    signer = teacher_signer(pki, subject.teacher.name, subject.teacher.personal_id)
    return X.sign_slot(xml, X.ROLE_GVBM, signer, subject.code), \
        X.subject_signature_id(subject.code)


def test_every_signature_timestamped_verifies_with_xmlsec1_and_ours(stamped, pki, test_pki,
                                                                    tmp_path):
    report = _verify(stamped, pki, test_pki)
    assert report.valid and report.complete, (report.errors, [s.errors for s in
                                                               report.signatures])
    for sig in report.signatures:
        assert sig.timestamp_proven and sig.warnings == []
        assert abs(sig.timestamp_time - dt.datetime.now(dt.timezone.utc)) < \
            dt.timedelta(minutes=10)
        assert sig.timestamp_authority.startswith("Hocbaso Test Time-Stamping Authority")
        assert sig.chain_result.endswith(vn_datetime(sig.timestamp_time))  # judged then
    assert json.loads(json.dumps(report.to_dict()))["signatures"][0]["timestamp_time"]
    for signature in _signatures(stamped):
        result = xmlsec1_verify(stamped, signature.get("Id"), pki, tmp_path)
        assert result.returncode == 0 and "OK" in result.stdout + result.stderr, result.stderr


def test_each_token_verifies_with_openssl_ts(stamped, test_pki, tmp_path):
    exe = shutil.which("openssl")
    assert exe, "openssl is not installed (apt-get install openssl)"
    (tmp_path / "root.pem").write_bytes(pem(test_pki.root))
    (tmp_path / "inter.pem").write_bytes(pem(test_pki.intermediate))
    for signature in _signatures(stamped):
        token = tmp_path / ("%s.tst" % signature.get("Id"))
        token.write_bytes(_token(signature))
        digest = T.signature_value_digest(signature).hex()
        result = subprocess.run(
            [exe, "ts", "-verify", "-token_in", "-in", str(token), "-digest", digest,
             "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "inter.pem")],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
        other = subprocess.run(
            [exe, "ts", "-verify", "-token_in", "-in", str(token), "-digest", "00" * 32,
             "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "inter.pem")],
            capture_output=True, text=True, timeout=60)
        assert other.returncode != 0  # openssl too sees the token is for that signature only


def test_adding_a_timestamp_changes_nothing_signed(unsigned, pki, test_pki, client):
    xml, signature_id = _first_subject_only(unsigned, pki)
    before = etree.fromstring(xml)
    out, info = T.timestamp_signature(xml, signature_id, client)
    after = etree.fromstring(out)
    for element_id in ("data", signature_id + "-value", "xades-" + signature_id):
        old = [el for el in before.iter() if el.get("Id") == element_id]
        new = [el for el in after.iter() if el.get("Id") == element_id]
        assert X.canonicalize(old[0]) == X.canonicalize(new[0])
    old_sig, new_sig = _signatures(xml)[0], _signatures(out)[0]
    assert X.canonicalize(old_sig.find(X.ds("SignedInfo"))) == \
        X.canonicalize(new_sig.find(X.ds("SignedInfo")))
    assert _token(new_sig) == info.token and info.gen_time.tzinfo is not None
    assert info.gen_time.utcoffset() == dt.timedelta(0)
    # the record is not complete, but the subject teacher's signature verifies, timestamped
    report = _verify(out, pki, test_pki)
    assert report.signatures[0].valid and report.signatures[0].timestamp_proven
    with pytest.raises(TimestampError, match="already carries a timestamp"):
        T.timestamp_signature(out, signature_id, client)


def test_a_signature_already_covered_is_not_timestamped(unsigned, pki, client):
    record, xml = unsigned
    signed = sign_all(xml, record, pki, until=X.ROLE_GVCN)
    gvbm = X.subject_signature_id(record.subjects[0].code)
    with pytest.raises(TimestampError, match="already covered by the later signature"):
        T.timestamp_signature(signed, gvbm, client)
    token = client.stamp(T.signature_value_digest(
        next(s for s in _signatures(signed) if s.get("Id") == gvbm)))
    with pytest.raises(TimestampError, match="already covered"):
        T.add_signature_timestamp(signed, gvbm, token, [])


def test_a_provider_token_is_added_only_when_it_checks_out(unsigned, pki, test_pki, client):
    xml, signature_id = _first_subject_only(unsigned, pki)
    digest = T.signature_value_digest(_signatures(xml)[0])
    trusted, intermediates = [test_pki.root], [test_pki.intermediate]
    good = client.stamp(digest)
    out = T.add_signature_timestamp(xml, signature_id, good, trusted, intermediates)
    assert _token(_signatures(out)[0]) == good
    # what the SmartCA stand-in sends (not a token), a token over another hash, no trust
    for token, words in ((b"hocbaso-standin-timestamp:tran:2025", "not a readable RFC 3161"),
                         (client.stamp(bytes(32)), "other content than this signature")):
        with pytest.raises(TimestampError, match=words):
            T.add_signature_timestamp(xml, signature_id, token, trusted, intermediates)
    with pytest.raises(TimestampError, match="no trusted root"):
        T.add_signature_timestamp(xml, signature_id, good, [])
    with pytest.raises(TimestampError, match="not trusted"):  # the signers' root only
        T.add_signature_timestamp(xml, signature_id, good, [pki.root], [pki.intermediate])


def _replace_token(xml: bytes, signature_id: str, token: bytes) -> bytes:
    root = etree.fromstring(xml)
    signature = next(s for s in root.iter(X.ds("Signature")) if s.get("Id") == signature_id)
    signature.find(T.TIMESTAMP_PATH + "/" + X.xades("EncapsulatedTimeStamp")).text = \
        base64.b64encode(token).decode()
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def test_tampering_with_the_timestamp_is_caught(stamped, pki, test_pki, client):
    signature = _signatures(stamped)[0]
    signature_id, token = signature.get("Id"), _token(signature)
    # the proven time moved by a second (GeneralizedTime YYYYMMDDHHMMSSZ in the TSTInfo): the
    # signed message digest no longer matches
    at = token.find(b"\x18\x0f") + 2 + 13
    moved = token[:at] + (b"1" if token[at:at + 1] != b"1" else b"2") + token[at + 1:]
    # the imprint changed, the token of another signature of the same record (valid, but over
    # another value), a cut token, a changed CMS signature
    marker = token.find(T.signature_value_digest(signature))
    changed = token[:marker] + bytes([token[marker] ^ 1]) + token[marker + 1:]
    foreign = _token(_signatures(stamped)[1])
    for bad, words in ((moved, "signed attributes do not match"),
                       (changed, "other content"), (foreign, "other content"),
                       (token[:-20], "not a readable"), (token[:-1] + bytes([token[-1] ^ 1]),
                                                         "signature does not match")):
        report = _verify(_replace_token(stamped, signature_id, bad), pki, test_pki)
        entry = next(s for s in report.signatures if s.signature_id == signature_id)
        assert not report.valid and not entry.valid and not entry.timestamp_proven
        assert any(words in error for error in entry.errors), entry.errors
    # not even base64
    root = etree.fromstring(stamped)
    broken = next(s for s in root.iter(X.ds("Signature")) if s.get("Id") == signature_id)
    broken.find(T.TIMESTAMP_PATH + "/" + X.xades("EncapsulatedTimeStamp")).text = "@@not b64"
    report = _verify(etree.tostring(root), pki, test_pki)
    assert any("cannot be read: it was changed or damaged" in e
               for e in report.signatures[0].errors)


@pytest.mark.parametrize("kind, words", [
    ("unreachable", "could not be reached"),
    ("wrong_nonce", "its nonce is not the one asked for"),
    ("wrong_hash", "other content than this signature"),
    ("untrusted_tsa", "authority is not trusted"),
    ("rejection", "refused the request"),
    ("malformed", "not a valid RFC 3161 response"),
    ("huge", "larger than"),
])
def test_each_fault_of_the_authority_is_refused_and_nothing_added(kind, words, unsigned, pki,
                                                                  tsa, client):
    xml, signature_id = _first_subject_only(unsigned, pki)
    fault(tsa, kind)
    with pytest.raises(TimestampError, match=words):
        T.timestamp_signature(xml, signature_id, client)
    # signing with a timestamp: the whole step fails, no record comes back
    record = unsigned[0]
    subject = record.subjects[1]
    signer = teacher_signer(pki, subject.teacher.name, subject.teacher.personal_id)
    fault(tsa, kind)
    with pytest.raises(SigningError, match=words):
        X.sign_slot(xml, X.ROLE_GVBM, signer, subject.code, timestamp=client.stamp)
    # the next request is served again
    assert T.timestamp_signature(xml, signature_id, client)[1].gen_time


def test_an_authority_that_cannot_be_reached():
    other = T.TimestampClient("http://127.0.0.1:%d/" % free_port(), [object()], timeout=3)
    with pytest.raises(TimestampError, match="could not be reached"):
        other.stamp(bytes(32))


def test_time_travel_valid_at_the_proven_time_after_expiry(stamped, unsigned, pki, test_pki):
    report = _verify(stamped, pki, test_pki, at=LATER)
    assert report.valid, [s.errors for s in report.signatures]
    with freeze_time(LATER):
        assert _verify(stamped, pki, test_pki).valid
    # without timestamps: valid as before, at the time each signer claims, with a warning
    record, xml = unsigned
    plain = sign_all(xml, record, pki)
    report = _verify(plain, pki, test_pki, at=LATER)
    assert report.valid
    for sig in report.signatures:
        assert not sig.timestamp_proven and sig.timestamp_time is None
        assert [w.template for w in sig.warnings] == [
            "The signing time cannot be proven: the signature carries no trusted timestamp, so "
            "the certificate was checked at the time the signer claims."]


def _crl(pki, certificate, revoked_at) -> x509.CertificateRevocationList:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.intermediate.subject)
        .last_update(revoked_at)
        .next_update(LATER + dt.timedelta(days=30))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(certificate.serial_number)
            .revocation_date(revoked_at)
            .add_extension(x509.CRLReason(x509.ReasonFlags.superseded), critical=False)
            .build()))
    return builder.sign(pki.intermediate_key, hashes.SHA256())


def test_revoked_after_the_proven_time_valid_before_refused(stamped, unsigned, pki, test_pki,
                                                            client):
    record = unsigned[0]
    homeroom = teacher_signer(pki, record.homeroom_teacher.name,
                              record.homeroom_teacher.personal_id)
    proven = next(s for s in _verify(stamped, pki, test_pki).signatures
                  if s.role == X.ROLE_GVCN).timestamp_time
    later = _crl(pki, homeroom.certificate, proven + dt.timedelta(days=365))
    report = _verify(stamped, pki, test_pki, crls=[later], at=LATER)
    assert report.valid, [s.errors for s in report.signatures]
    before = _crl(pki, homeroom.certificate, proven - dt.timedelta(hours=1))
    report = _verify(stamped, pki, test_pki, crls=[before], at=LATER)
    gvcn = next(s for s in report.signatures if s.role == X.ROLE_GVCN)
    assert not report.valid and not gvcn.chain_ok and gvcn.timestamp_proven
    assert any("was revoked on" in e for e in gvcn.errors)
    # a backdated claim does not help: the signer claims a time before the revocation, the
    # timestamp proves the signature was made after it
    xml = unsigned[1]
    steps = _steps(record, pki)
    claimed = proven - dt.timedelta(days=10)
    backdated = X.sign_slots(xml, steps, signing_time=claimed, timestamp=client.stamp)
    report = _verify(backdated, pki, test_pki, crls=[before], at=LATER)
    assert not report.valid
    assert _verify(X.sign_slots(xml, steps, signing_time=claimed), pki, test_pki,
                   crls=[before], at=LATER).valid  # unproven: judged at the claim


def test_cli_shows_the_proven_time(stamped, pki, test_pki, tmp_path, capsys):
    path = tmp_path / "hocba.xml"
    path.write_bytes(stamped)
    files = []
    for name, cert in (("root", pki.root), ("tsa-root", test_pki.root),
                       ("inter", pki.intermediate), ("tsa-inter", test_pki.intermediate)):
        (tmp_path / (name + ".pem")).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        files.append(str(tmp_path / (name + ".pem")))
    code = cli.main([str(path), "--trusted", files[0], "--trusted", files[1],
                     "--intermediate", files[2], "--intermediate", files[3],
                     "--at", LATER.isoformat()])
    out = capsys.readouterr().out
    assert code == cli.EXIT_VALID, out
    assert "Thời điểm ký được chứng thực (proven signing time):" in out
    assert "dấu thời gian của (timestamp by) Hocbaso Test Time-Stamping Authority" in out
    assert "cannot be proven" not in out
