"""Validation data kept in the school's signed PDF (hocbaso.pdfltv, PAdES B-LT): the TSA and
OCSP stand-ins run as their own processes on the test PKI; the PDF is wkhtmltopdf's with the
signed record attached (test_pdfsign's fixtures), certified with the school's PKCS#12 key."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import ocsp as asn1_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID
from dsig_fixtures import KeySigner
from freezegun import freeze_time
from provider_fixtures import start, stop
from test_pdfsign import printed, record_xml  # noqa: F401 - fixtures shared with that module

from hocbaso import pdfltv, pdfsign
from hocbaso.errors import ValidationDataError
from hocbaso.signing import ltv as L
from hocbaso.signing import ocsp as O
from security.pki import _rsa_key

AFTER_EXPIRY = dt.timedelta(days=365)  # the school's key expired; the TSA's still valid


@pytest.fixture(scope="module")
def servers(pki_dir):
    started = [start("hocbaso.signing.standins.tsa", pki_dir),
               start("hocbaso.signing.standins.ocsp", pki_dir)]
    yield started[0][1], started[1][1]
    stop(started)


def _collector(servers, test_pki):
    """What the school holds: its root, the issuing CA, the root's CRL, its OCSP responder."""
    return L.Collector([test_pki.root], [test_pki.intermediate], [test_pki.root_crl],
                       O.OcspClient(servers[1], timeout=10))


@pytest.fixture(scope="module")
def school(test_pki):
    """The school's organisation certificate as a Vietnamese CA issues it: it names where its
    status is asked (OCSP) and published (CRL), so a PDF reader requires that status."""
    key = _rsa_key()
    now = test_pki.now
    certificate = (
        x509.CertificateBuilder()
        .subject_name(test_pki.leaf("school").certificate.subject)
        .issuer_name(test_pki.intermediate.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.OCSP,
            x509.UniformResourceIdentifier("http://ocsp.ca.invalid/"))]), critical=False)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.ca.invalid/ca.crl")], None, None,
            None)]), critical=False)
        .sign(test_pki.intermediate_key, hashes.SHA256()))
    return KeySigner(key, certificate)


def _sign(printed, test_pki, school, tsa_url=None):  # noqa: F811 - the fixture's value
    return pdfsign.sign_pdf(printed, school, [test_pki.intermediate, test_pki.root],
                            tsa_url=tsa_url)


@pytest.fixture(scope="module")
def stamped(printed, test_pki, school, servers):  # noqa: F811
    return _sign(printed, test_pki, school, servers[0] + "/")


@pytest.fixture(scope="module")
def kept(stamped, servers, test_pki):
    return pdfltv.add_validation_data(stamped, _collector(servers, test_pki))


def _problems(report):
    return [str(p) for p in report.problems] + [
        str(p) for s in report.signatures for p in s.problems]


def test_the_pdf_keeps_paths_and_status_after_its_signature(stamped, kept, record_xml,  # noqa: F811
                                                           test_pki, school):
    assert kept.startswith(stamped)  # an incremental update: every signed byte stays
    data = pdfltv.kept_validation_data(kept)
    school = school.certificate
    assert school in data.certificates and test_pki.intermediate in data.certificates
    statuses = [asn1_ocsp.OCSPResponse.load(der).basic_ocsp_response["tbs_response_data"]
                ["responses"][0]["cert_id"]["serial_number"].native
                for der in data.ocsp_responses]
    assert school.serial_number in statuses  # the responder's answer for the school's key
    assert pdfltv.kept_validation_data(stamped).certificates == []
    report = pdfsign.verify_pdf(kept, [test_pki.root])
    assert report.ok, _problems(report)
    assert report.record_xml == record_xml
    assert report.signatures[0].certification and report.signatures[0].timestamp_ok
    assert report.signatures[0].long_term
    assert not pdfsign.verify_pdf(stamped, [test_pki.root], [test_pki.intermediate],
                                  [test_pki.root_crl]).signatures[0].long_term


def test_after_expiry_the_kept_data_still_proves_the_signature(stamped, kept, test_pki, school):
    school = school.certificate
    later = school.not_valid_after_utc + AFTER_EXPIRY
    with freeze_time(later):
        report = pdfsign.verify_pdf(kept, [test_pki.root])
        assert report.ok, _problems(report)
        assert report.signatures[0].timestamp_time < school.not_valid_after_utc
        # without the kept data, the same signature cannot be judged once the key expired
        bare = pdfsign.verify_pdf(stamped, [test_pki.root], [test_pki.intermediate],
                                  [test_pki.root_crl])
        assert not bare.ok


def test_a_forged_kept_ocsp_response_is_caught(stamped, servers, test_pki, school):
    """A DSS whose responder's signature was changed: the status it claims is not taken."""
    import io

    from pyhanko.sign.validation.dss import DocumentSecurityStore

    data = pdfltv.collect(stamped, _collector(servers, test_pki))
    forged = []
    for der in data.ocsp_responses:
        response = asn1_ocsp.OCSPResponse.load(der)
        basic = response["response_bytes"]["response"].parsed
        value = bytearray(basic["signature"].native)
        value[10] ^= 0x01
        basic["signature"] = bytes(value)
        response["response_bytes"]["response"] = basic
        forged.append(asn1_ocsp.OCSPResponse.load(response.dump(force=True)))
    output = io.BytesIO(stamped)
    DocumentSecurityStore.add_dss(output, sig_contents=None,
                                  certs=[pdfsign._asn1(c) for c in data.certificates],
                                  ocsps=forged)
    report = pdfsign.verify_pdf(output.getvalue(), [test_pki.root])
    assert not report.ok and not report.signatures[0].trusted
    with freeze_time(school.certificate.not_valid_after_utc + AFTER_EXPIRY):
        report = pdfsign.verify_pdf(output.getvalue(), [test_pki.root])
    assert not report.ok


def test_no_data_for_a_signature_without_proven_time(printed, servers, test_pki,  # noqa: F811
                                                     school):
    unstamped = _sign(printed, test_pki, school)
    with pytest.raises(ValidationDataError, match="no timestamp"):
        pdfltv.add_validation_data(unstamped, _collector(servers, test_pki))
    with pytest.raises(ValidationDataError, match="no signature"):
        pdfltv.add_validation_data(printed, _collector(servers, test_pki))
