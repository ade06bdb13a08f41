"""Validation data kept with the record (XAdES-LT style) and archive timestamps, against the
TSA and OCSP stand-ins run as their own processes: a fully signed, timestamped record gets the
chains and OCSP/CRL status of its signers and TSA in the issuer's signature and verifies years
later with no CRL nor intermediate from the caller; a forged kept OCSP response or an altered
kept CRL is caught; archive timestamps added twice form a chain that verifies, and each token
verifies with ``openssl ts -verify``; xmlsec1 verifies every signature after each addition."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from dsig_fixtures import NOW, KeySigner, MiniPki, pem, teacher_signer, xmlsec1_verify
from freezegun import freeze_time
from lxml import etree
from provider_fixtures import fault, start, stop

from hocbaso import cli
from hocbaso.errors import ValidationDataError
from hocbaso.signing import archive as A
from hocbaso.signing import ltv as L
from hocbaso.signing import ocsp as O
from hocbaso.signing import timestamp as T
from hocbaso.signing import xmldsig as X
from hocbaso.verify import verify_document

LATER = NOW + dt.timedelta(days=15 * 365)  # about 2040: every signer's certificate expired


@pytest.fixture(scope="module")
def servers(pki_dir):
    started = [start("hocbaso.signing.standins.tsa", pki_dir),
               start("hocbaso.signing.standins.ocsp", pki_dir)]
    yield started[0][1], started[1][1]
    stop(started)


@pytest.fixture(scope="module")
def signers(test_pki):
    """The record's signers, issued by the test PKI's issuing CA (the OCSP stand-in's)."""
    pki = MiniPki(root=test_pki.root, intermediate=test_pki.intermediate,
                  intermediate_key=test_pki.intermediate_key)
    school = test_pki.leaf("school")
    pki.signers["phathanh"] = KeySigner(school.key, school.certificate)
    return pki


@pytest.fixture(scope="module")
def client(servers, test_pki):
    return T.TimestampClient(servers[0], [test_pki.root], [test_pki.intermediate], timeout=10)


def _collector(servers, test_pki, ocsp_url=None):
    """What the school holds at issuance: its roots, the issuing CA, the root's CRL (the OCSP
    responder answers only for the issuing CA's certificates)."""
    return L.Collector([test_pki.root], [test_pki.intermediate], [test_pki.root_crl],
                       O.OcspClient(ocsp_url or servers[1], timeout=10))


def _steps(record, pki):
    steps = [(X.ROLE_GVBM, teacher_signer(pki, s.teacher.name, s.teacher.personal_id), s.code)
             for s in record.subjects]
    steps.append((X.ROLE_GVCN, teacher_signer(pki, record.homeroom_teacher.name,
                                              record.homeroom_teacher.personal_id), None))
    steps.append((X.ROLE_CBQL, teacher_signer(pki, record.leader.name,
                                              record.leader.personal_id), None))
    steps.append((X.ROLE_ISSUER, pki.signers["phathanh"], None))
    return steps


@pytest.fixture(scope="module")
def issued(unsigned, signers, client):
    record, xml = unsigned
    return X.sign_slots(xml, _steps(record, signers), timestamp=client.stamp)


@pytest.fixture(scope="module")
def kept(issued, servers, test_pki):
    xml, data = L.add_validation_data(issued, _collector(servers, test_pki))
    return xml, data


def _verify(xml, test_pki, at=None, crls=()):
    """Only the root is given: intermediates and revocation data come from the record."""
    return verify_document(xml, [test_pki.root], [], crls, at)


def _xmlsec1_all(xml, signers, tmp_path):
    for signature in etree.fromstring(xml).iter(X.ds("Signature")):
        result = xmlsec1_verify(xml, signature.get("Id"), signers, tmp_path)
        assert result.returncode == 0 and "OK" in result.stdout + result.stderr, result.stderr


def _issuer_properties(xml):
    root = etree.fromstring(xml)
    return root, L.unsigned_signature_properties(L.issuer_signature(root))


def test_validation_data_is_kept_in_the_issuer_signature(unsigned, kept, signers, test_pki,
                                                         tmp_path):
    xml, data = kept
    # every signer's leaf, the issuing CA, the root, the TSA; OCSP for each leaf and the TSA,
    # the root's CRL for the issuing CA
    for step in _steps(unsigned[0], signers):
        assert step[1].certificate in data.certificates
    assert test_pki.intermediate in data.certificates and test_pki.tsa in data.certificates
    assert test_pki.root in data.certificates
    assert data.crls and data.crls[0].issuer == test_pki.root.subject
    statuses = [O.load_response(der) for der in data.ocsp_responses]
    assert {s.serial_number for s in statuses} >= {test_pki.tsa.serial_number,
                                                   test_pki.leaf("school").certificate
                                                   .serial_number}
    root, properties = _issuer_properties(xml)
    tags = [etree.QName(child).localname for child in properties]
    assert tags == ["SignatureTimeStamp", "CertificateValues", "RevocationValues"]
    assert len(properties.findall(".//" + X.xades("EncapsulatedOCSPValue"))) == \
        len(data.ocsp_responses)
    _xmlsec1_all(xml, signers, tmp_path)
    with pytest.raises(ValidationDataError, match="already keeps"):
        L.keep_validation_data(xml, data)


def test_verifies_years_later_with_no_crl_from_the_caller(kept, issued, test_pki):
    xml = kept[0]
    now = _verify(xml, test_pki)
    assert now.valid, (now.errors, [s.errors for s in now.signatures])
    assert now.kept_ocsp >= 2 and now.kept_crls == 1 and now.kept_certificates >= 4
    for sig in now.signatures:
        assert sig.timestamp_proven and sig.revocation_sources, sig.warnings
        assert any("OCSP of Hocbaso Test OCSP Responder" in s for s in sig.revocation_sources)
        assert sig.warnings == []
    with freeze_time(LATER):
        later = _verify(xml, test_pki)
    assert later.valid, (later.errors, [s.errors for s in later.signatures])
    assert all(sig.revocation_sources for sig in later.signatures)
    # without the kept data, the same caller cannot even build the chains
    assert not _verify(issued, test_pki, at=LATER).valid


def _replace_values(xml, tag, change):
    root = etree.fromstring(xml)
    properties = L.unsigned_signature_properties(L.issuer_signature(root))
    element = properties.find(".//" + X.xades(tag))
    der = base64.b64decode(element.text)
    element.text = base64.b64encode(change(der)).decode()
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def test_a_forged_kept_ocsp_response_is_caught(kept, test_pki):
    xml = kept[0]
    response = O.load_response(kept[1].ocsp_responses[0])
    signature = response.signature

    def forge(der):  # the responder's signature changed: the content no longer matches it
        at = der.find(signature)
        return der[:at] + bytes([der[at] ^ 1]) + der[at + 1:]

    report = _verify(_replace_values(xml, "EncapsulatedOCSPValue", forge), test_pki, at=LATER)
    assert not report.valid
    errors = [e for s in report.signatures for e in s.errors]
    assert any("kept OCSP response about" in e and "changed or forged" in e for e in errors), \
        errors
    # an unreadable one
    report = _verify(_replace_values(xml, "EncapsulatedOCSPValue", lambda d: d[:40]), test_pki)
    assert any("A kept OCSP response cannot be read" in e for e in report.errors)


def test_an_altered_kept_crl_is_caught(kept, test_pki):
    def alter(der):  # one bit of the CA's signature over the list
        return der[:-3] + bytes([der[-3] ^ 1]) + der[-2:]

    report = _verify(_replace_values(kept[0], "EncapsulatedCRLValue", alter), test_pki,
                     at=LATER)
    assert not report.valid
    assert all(not s.chain_ok for s in report.signatures)
    assert any("revocation list of" in e and "invalid signature" in e
               for s in report.signatures for e in s.errors)


@pytest.mark.parametrize("kind, words", [
    ("unknown", "does not know the certificate"),
    ("revoked", "was revoked on"),
    ("wrong_nonce", "nonce asked for"),
    ("forged", "changed or forged"),
    ("untrusted_responder", "did not authorise"),
    ("unsigned", "instead of a status"),
    ("malformed", "not a readable RFC 6960"),
    ("unreachable", "could not be reached"),
])
def test_each_fault_of_the_responder_is_refused_and_nothing_kept(kind, words, issued, servers,
                                                                 test_pki):
    fault(servers[1], kind)
    with pytest.raises(ValidationDataError, match=words):
        L.add_validation_data(issued, _collector(servers, test_pki))
    requests_left = O.OcspClient(servers[1]).status(test_pki.tsa, test_pki.intermediate)
    assert requests_left.status == O.GOOD  # served again


def test_no_status_without_responder_nor_crl(issued, test_pki):
    collector = L.Collector([test_pki.root], [test_pki.intermediate], [], None)
    with pytest.raises(ValidationDataError, match="No revocation status was found"):
        collector.collect(issued)
    # CRLs only: the issuing CA's and the root's (the revoked test user is not a signer)
    crls_only = L.Collector([test_pki.root], [test_pki.intermediate],
                            [test_pki.crl, test_pki.root_crl], None)
    xml, data = L.add_validation_data(issued, crls_only)
    assert not data.ocsp_responses and len(data.crls) == 2
    report = _verify(xml, test_pki, at=LATER)
    assert report.valid, [s.errors for s in report.signatures]


def test_not_before_issuance(unsigned, signers, servers, test_pki):
    record, xml = unsigned
    partial = X.sign_slots(xml, _steps(record, signers)[:-1])
    with pytest.raises(ValidationDataError, match="not issued yet"):
        L.add_validation_data(partial, _collector(servers, test_pki))


def _openssl_ts_verify(token: bytes, data: bytes, test_pki, tmp_path):
    exe = shutil.which("openssl")
    assert exe, "openssl is not installed (apt-get install openssl)"
    (tmp_path / "root.pem").write_bytes(pem(test_pki.root))
    (tmp_path / "inter.pem").write_bytes(pem(test_pki.intermediate))
    (tmp_path / "token.tst").write_bytes(token)
    (tmp_path / "data.c14n").write_bytes(data)
    return subprocess.run(
        [exe, "ts", "-verify", "-token_in", "-in", str(tmp_path / "token.tst"), "-data",
         str(tmp_path / "data.c14n"), "-CAfile", str(tmp_path / "root.pem"), "-untrusted",
         str(tmp_path / "inter.pem")], capture_output=True, text=True, timeout=60)


def _c14n_without_archive(xml: bytes, index: int) -> bytes:
    """The record as archive timestamp ``index`` covered it, made by hand (not by
    archive_digest): the stamp and everything after it in the properties removed."""
    root, properties = _issuer_properties(xml)
    stamps = properties.findall(A.ARCHIVE_TAG)
    for element in [stamps[index], *stamps[index].itersiblings()]:
        properties.remove(element)
    return etree.tostring(root, method="c14n")


def test_archive_timestamps_twice_form_a_chain(kept, client, servers, test_pki, signers,
                                               tmp_path):
    xml = kept[0]
    once, first = A.archive_timestamp(xml, client, _collector(servers, test_pki))
    _xmlsec1_all(once, signers, tmp_path)
    twice, second = A.archive_timestamp(once, client, _collector(servers, test_pki))
    _xmlsec1_all(twice, signers, tmp_path)
    root, properties = _issuer_properties(twice)
    assert [etree.QName(c).localname for c in properties] == [
        "SignatureTimeStamp", "CertificateValues", "RevocationValues",
        "RecordArchiveTimeStamp", "TimeStampValidationData",
        "RecordArchiveTimeStamp", "TimeStampValidationData"]
    stamps = A.archive_timestamps(root, [test_pki.root])
    assert [s.gen_time for s in stamps] == [first.gen_time, second.gen_time]
    for index, info in enumerate((first, second)):
        result = _openssl_ts_verify(info.token, _c14n_without_archive(twice, index), test_pki,
                                    tmp_path)
        assert result.returncode == 0 and "Verification: OK" in result.stdout, result.stderr
    other = _openssl_ts_verify(first.token, _c14n_without_archive(twice, 1), test_pki, tmp_path)
    assert other.returncode != 0  # the first covers the record before the second existed
    report = _verify(twice, test_pki, at=NOW + dt.timedelta(days=365))
    assert report.valid, (report.errors, [s.errors for s in report.signatures])
    assert report.archive_times == [first.gen_time, second.gen_time]
    assert report.archive_authorities[0].startswith("Hocbaso Test Time-Stamping Authority")
    # years later: still valid, and the newest archive timestamp asks to be renewed
    later = _verify(twice, test_pki, at=LATER)
    assert later.valid and any("renew it" in w for w in later.warnings), later.warnings
    # anything changed after an archive timestamp breaks it: a kept value, or a stamp removed
    changed = _replace_values(twice, "EncapsulatedX509Certificate", lambda d: d)
    assert _verify(changed, test_pki).valid  # same bytes: nothing changed
    root, properties = _issuer_properties(twice)
    properties.remove(properties.findall(A.ARCHIVE_TAG)[0])
    report = _verify(etree.tostring(root), test_pki)
    assert not report.valid
    assert any("Archive timestamp 1" in e and "other content" in e for e in report.errors)
    # a character of a token's text changed into one base64 has not: told in plain words
    root, properties = _issuer_properties(twice)
    token = properties.findall(A.ARCHIVE_TAG)[0].find(X.xades("EncapsulatedTimeStamp"))
    token.text = "@" + token.text[1:]
    report = _verify(etree.tostring(root), test_pki)
    assert not report.valid
    assert ("Archive timestamp 1: The archive timestamp cannot be read: it was changed or "
            "damaged.") in report.errors, report.errors


def test_archive_due(kept, issued, client, test_pki):
    xml = kept[0]
    margin = dt.timedelta(days=90)
    assert A.archive_due(xml, NOW, margin)  # none yet
    stamped, _info = A.archive_timestamp(xml, client)
    assert not A.archive_due(stamped, NOW, margin)
    # RSA-2048 ages out at the end of 2030, the TSA certificate at its expiry: whichever first
    end = min(test_pki.tsa.not_valid_after_utc, A.RSA_3072_FROM)
    assert A.archive_due(stamped, end - dt.timedelta(days=30), margin)
    assert not A.archive_due(stamped, end - dt.timedelta(days=120), margin)
    with pytest.raises(ValidationDataError, match="already keeps"):
        L.keep_validation_data(stamped, kept[1])
    # validation data is kept before any archive timestamp, which would not cover it
    plain, _info = A.archive_timestamp(issued, client)
    with pytest.raises(ValidationDataError, match="already carries archive timestamps"):
        L.keep_validation_data(plain, kept[1])


def test_cli_prints_the_kept_data_and_archive_timestamps(kept, client, test_pki, tmp_path,
                                                         capsys):
    stamped, info = A.archive_timestamp(kept[0], client)
    path = tmp_path / "hocba.xml"
    path.write_bytes(stamped)
    root = tmp_path / "root.pem"
    root.write_bytes(test_pki.root.public_bytes(serialization.Encoding.PEM))
    code = cli.main([str(path), "--trusted", str(root), "--at", LATER.isoformat()])
    out = capsys.readouterr().out
    assert code == cli.EXIT_VALID, out
    assert "Dữ liệu kiểm tra lưu kèm (kept validation data):" in out
    assert "phản hồi OCSP (OCSP responses)" in out
    assert "Trạng thái thu hồi (revocation status):" in out
    assert "Dấu thời gian lưu trữ 1 (archive timestamp 1):" in out


def test_keep_for_archive_reports_instead_of_raising(issued, kept, servers, client, test_pki):
    """What issuance and the daily job do to each issued record (several at once at issuance:
    hocbaso.signing.concurrent), with every outcome in the result, never raised."""
    done = A.keep_for_archive(issued, _collector(servers, test_pki), client)
    assert done.data_added and done.stamp is not None and done.data_error is None
    assert A.kept_state(done.xml) == (True, True)
    assert _verify(done.xml, test_pki, at=LATER).valid
    # the data already kept: only a new archive timestamp
    again = A.keep_for_archive(kept[0], _collector(servers, test_pki), client)
    assert not again.data_added and again.stamp is not None
    # no status to be had: the error in the result, the document left as it was
    blind = L.Collector([test_pki.root], [test_pki.intermediate], [], None)
    failed = A.keep_for_archive(issued, blind, client)
    assert failed.xml is None and isinstance(failed.data_error, ValidationDataError)
    # a record the school did not issue: nothing to keep
    assert A.keep_for_archive(b"", blind, client) == A.ArchiveWork()
