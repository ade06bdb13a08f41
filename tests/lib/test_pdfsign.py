"""The signed PDF of a record (hocbaso.pdfsign): a real PDF printed by wkhtmltopdf, the signed
record XML attached as Odoo attaches it, certified with the school's key from a PKCS#12 file
and from a SoftHSM2 token, checked with pyHanko's validator against the test PKI."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from dsig_fixtures import KeySigner, sign_all
from PyPDF2 import PdfReader, PdfWriter

from hocbaso import pdfsign
from hocbaso.errors import SigningError
from hocbaso.signing.pkcs11 import Pkcs11Signer
from hocbaso.signing.pkcs12 import Pkcs12Signer
from hocbaso.verify import verify_document
from security import softhsm
from security.pki import _rsa_key, vn_name

HTML = """<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"></head><body>
<h1>HỌC BẠ</h1><p>Họ và tên học sinh: Nguyễn Văn An. Lớp 5A. Năm học 2024-2025.</p>
<table><tr><td>Toán</td><td>9</td></tr><tr><td>Tiếng Việt</td><td>8</td></tr></table>
</body></html>"""
XML_NAME = "hocba_001234567890_2024-2025_v1.xml"


@pytest.fixture(scope="module")
def record_xml(pki, unsigned):
    """A record signed in every slot (the issuer's included), as issued."""
    record, xml = unsigned
    return sign_all(xml, record, pki)


def _attach(pdf: bytes, name: str, data: bytes) -> bytes:
    """The XML attached as hocbaso_odoo's embed_record_xml does (Odoo's PdfFileWriter is
    PyPDF2's)."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    writer.clone_reader_document_root(reader)
    writer.add_attachment(name, data)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def printed(tmp_path_factory, record_xml):
    """The printed record: wkhtmltopdf's PDF with the signed XML attached."""
    wkhtmltopdf = shutil.which("wkhtmltopdf")
    assert wkhtmltopdf, "wkhtmltopdf is not installed (debian-packages.txt)"
    folder = tmp_path_factory.mktemp("pdf")
    (folder / "record.html").write_text(HTML, encoding="utf-8")
    subprocess.run([wkhtmltopdf, "-q", str(folder / "record.html"), str(folder / "record.pdf")],
                   check=True, capture_output=True, timeout=120)
    pdf = _attach((folder / "record.pdf").read_bytes(), XML_NAME, record_xml)
    assert pdfsign.record_xml(pdf) == record_xml
    return pdf


@pytest.fixture(scope="module")
def token(test_pki):
    """The school's key on a SoftHSM2 token, made before any PKCS#11 session."""
    school = test_pki.leaf("school")
    return softhsm.create_token("hb-school-pdf", school.key, school.certificate, pin="8642")


def _chain(test_pki):
    return [test_pki.intermediate, test_pki.root]


def _check(pdf, test_pki, roots=None):
    return pdfsign.verify_pdf(pdf, roots or test_pki.trusted, test_pki.intermediates,
                              test_pki.crls)


def _assert_school_signed(report, test_pki, record_xml, pki):
    school = test_pki.leaf("school")
    assert report.ok, [str(p) for s in report.signatures for p in s.problems]
    (signature,) = report.signatures
    assert signature.certificate == school.certificate
    assert signature.signer_name == school.spec.common_name
    assert signature.intact and signature.trusted and signature.covers_document
    assert signature.certification and signature.timestamp_ok is None
    assert abs(signature.signing_time - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    # the attachment is still there, and is the issued record: it verifies on its own
    assert report.record_xml == record_xml
    verified = verify_document(report.record_xml, [pki.root], [pki.intermediate])
    assert verified.valid, verified.errors


def test_pkcs12_key_certifies_the_pdf_and_keeps_the_record(printed, record_xml, test_pki, pki):
    school = test_pki.leaf("school")
    with Pkcs12Signer(school.p12, school.password) as signer:
        signed = pdfsign.sign_pdf(printed, signer, _chain(test_pki), reason="Phát hành học bạ",
                                  location="Hà Nội")
    assert signed.startswith(printed), "an incremental update: every byte printed is kept"
    _assert_school_signed(_check(signed, test_pki), test_pki, record_xml, pki)
    assert pdfsign.embedded_files(signed) == [(XML_NAME, record_xml)]
    # the chain is in the signature: a reader that trusts the root alone builds the path
    assert _check_without_intermediates(signed, test_pki).ok


def _check_without_intermediates(pdf, test_pki):
    return pdfsign.verify_pdf(pdf, test_pki.trusted, (), test_pki.crls)


def test_softhsm_token_key_certifies_the_pdf(printed, record_xml, test_pki, pki, token):
    with Pkcs11Signer(token.module_path, token.token_label, token.pin) as signer:
        assert signer.certificate == test_pki.leaf("school").certificate
        signed = pdfsign.sign_pdf(printed, signer, _chain(test_pki))
    _assert_school_signed(_check(signed, test_pki), test_pki, record_xml, pki)


def test_ecdsa_key_signs_through_the_seam(printed, test_pki):
    leaf = test_pki.leaf("ecdsa")
    with Pkcs12Signer(leaf.p12, leaf.password) as signer:
        signed = pdfsign.sign_pdf(printed, signer, _chain(test_pki))
    report = _check(signed, test_pki)
    assert report.ok and report.signatures[0].signer_name == leaf.spec.common_name


@pytest.fixture(scope="module")
def school_signed(printed, test_pki):
    school = test_pki.leaf("school")
    with Pkcs12Signer(school.p12, school.password) as signer:
        return pdfsign.sign_pdf(printed, signer, _chain(test_pki))


def test_a_changed_byte_is_caught(school_signed, test_pki):
    at = school_signed.index(b"/MediaBox")  # inside the printed page, under the signature
    tampered = school_signed[:at] + b"/MediaBoy" + school_signed[at + 9:]
    report = _check(tampered, test_pki)
    assert not report.ok
    (signature,) = report.signatures
    assert not signature.intact
    assert any("no longer matches" in problem for problem in signature.problems)
    # the school's certificate is not blamed for a change to the file
    assert not any("trusted certificate authority" in problem
                   for problem in signature.problems), signature.problems


def test_one_flipped_byte_in_the_attached_record_blames_the_change_only(school_signed,
                                                                         test_pki):
    at = school_signed.index(b"<?xml") + 200  # inside the attached record, under the signature
    tampered = school_signed[:at] + bytes([school_signed[at] ^ 1]) + school_signed[at + 1:]
    (signature,) = _check(tampered, test_pki).signatures
    assert not signature.intact
    assert [str(problem) for problem in signature.problems] == [
        f"The PDF was changed after {signature.signer_name} signed it: its signature no longer "
        "matches its content."]


def _replace_attachment(pdf: bytes, data: bytes) -> bytes:
    """An incremental update after the signature that swaps the attached XML's bytes (what a
    forger would do to keep the school's signature in sight)."""
    from pyhanko.pdf_utils import generic

    return _swap_attachment(pdf, generic.StreamObject(
        {generic.NameObject("/Type"): generic.NameObject("/EmbeddedFile")}, stream_data=data))


def _swap_attachment(pdf: bytes, stream) -> bytes:
    """``pdf`` with an incremental update pointing its first attachment at ``stream``."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    embedded = writer.root["/Names"]["/EmbeddedFiles"]["/Names"][1]["/EF"]
    embedded[generic.NameObject("/F")] = writer.add_object(stream)
    writer.update_container(embedded)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_update_swapping_the_attached_record_is_flagged(school_signed, record_xml,
                                                           test_pki):
    forged_xml = record_xml.replace(b"Nguy", b"Ngu\xe1\xbb\xb3", 1)
    assert forged_xml != record_xml
    forged = _replace_attachment(school_signed, forged_xml)
    assert forged.startswith(school_signed)
    assert pdfsign.record_xml(forged) == forged_xml  # what the reader's attachment panel shows
    report = _check(forged, test_pki)
    assert not report.ok
    (signature,) = report.signatures
    assert signature.intact and signature.trusted, "the signed revision itself is untouched"
    assert not signature.covers_document
    assert any("signature covers an earlier version only" in p for p in signature.problems)
    assert report.record_xml == record_xml, "the report gives the XML the signature covers"


def test_a_key_outside_the_trusted_roots_is_refused(printed, test_pki, school_signed):
    intruder = test_pki.leaf("untrusted")
    with Pkcs12Signer(intruder.p12, intruder.password) as signer:
        signed = pdfsign.sign_pdf(printed, signer, [test_pki.other_root])
    report = _check(signed, test_pki)
    assert not report.ok
    (signature,) = report.signatures
    assert signature.intact and not signature.trusted
    assert signature.signer_name == intruder.spec.common_name
    assert any("not issued by a trusted" in problem for problem in signature.problems)
    # and the school's own PDF checked by someone who trusts another root only
    assert not _check(school_signed, test_pki, roots=[test_pki.other_root]).ok


def test_a_revoked_certificate_is_refused(printed, test_pki):
    revoked = test_pki.leaf("revoked")
    with Pkcs12Signer(revoked.p12, revoked.password) as signer:
        signed = pdfsign.sign_pdf(printed, signer, _chain(test_pki))
    (signature,) = _check(signed, test_pki).signatures
    assert signature.intact and not signature.trusted
    assert any("was revoked" in problem for problem in signature.problems)


def test_a_key_that_is_not_the_certificates_signs_nothing(printed, test_pki):
    mismatched = KeySigner(test_pki.leaf("gvcn").key, test_pki.leaf("school").certificate)
    with pytest.raises(SigningError, match="does not match the certificate"):
        pdfsign.sign_pdf(printed, mismatched, _chain(test_pki))


def test_what_is_not_a_signed_pdf(printed, record_xml, test_pki):
    school = test_pki.leaf("school")
    with Pkcs12Signer(school.p12, school.password) as signer:
        with pytest.raises(SigningError, match="not a PDF"):
            pdfsign.sign_pdf(b"<xml/>", signer)
        with pytest.raises(SigningError, match="could not be signed"):
            pdfsign.sign_pdf(b"%PDF-1.4\n" + bytes(200), signer)
    unsigned = _check(printed, test_pki)
    assert not unsigned.signed and not unsigned.ok and not unsigned.problems
    assert unsigned.record_xml == record_xml
    for junk in (b"", b"PK\x03\x04", b"%PDF-1.7\n%%EOF", b"%PDF-" + bytes(1000)):
        report = _check(junk, test_pki)
        assert not report.ok and report.problems and report.record_xml is None


def test_a_flate_bomb_attachment_is_not_inflated(printed):
    import zlib

    bomb = zlib.compress(bytes(pdfsign.MAX_XML_BYTES + 1), 9)
    from pyhanko.pdf_utils import generic

    swapped = _swap_attachment(printed, generic.StreamObject(
        {generic.NameObject("/Filter"): generic.NameObject("/FlateDecode")}, encoded_data=bomb))
    assert len(swapped) < len(printed) + 64 * 1024
    assert pdfsign.embedded_files(swapped) == []
    assert pdfsign.record_xml(swapped) is None


# --- a timestamp from a time-stamping authority over HTTP ----------------------------------------
TSA_REQUESTS = []  # what the authority below was asked, in order

@pytest.fixture(scope="module")
def tsa_url(test_pki):
    """An RFC 3161 authority over real HTTP: pyHanko's own token maker (DummyTimeStamper, real
    CMS signatures) behind a loopback server, with a TSA certificate of the test root."""
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = _rsa_key()
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(vn_name("Hocbaso Test TSA", organisation="Hocbaso Test PKI"))
        .issuer_name(test_pki.root.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(test_pki.root_key, hashes.SHA256()))
    stamper = DummyTimeStamper(
        tsa_cert=pdfsign._asn1(certificate),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())),
        certs_to_embed=SimpleCertificateStore.from_certs([pdfsign._asn1(test_pki.root)]))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            TSA_REQUESTS.append(body)
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_timestamped_signature_proves_its_time(printed, test_pki, tsa_url):
    school = test_pki.leaf("school")
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    asked = len(TSA_REQUESTS)
    with Pkcs12Signer(school.p12, school.password) as signer:
        signed = pdfsign.sign_pdf(printed, signer, _chain(test_pki), tsa_url=tsa_url)
    assert len(TSA_REQUESTS) == asked + 1, "one token per PDF: the signature's room is known"
    report = _check(signed, test_pki)
    assert report.ok, [str(p) for s in report.signatures for p in s.problems]
    (signature,) = report.signatures
    assert signature.timestamp_ok is True
    assert before - dt.timedelta(seconds=1) <= signature.timestamp_time \
        <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)
    with Pkcs12Signer(school.p12, school.password) as signer:
        with pytest.raises(SigningError, match="did not give a timestamp"):
            pdfsign.sign_pdf(printed, signer, _chain(test_pki), tsa_url="http://127.0.0.1:9/",
                             timeout=2)


def test_a_token_larger_than_its_room_is_sized_by_a_trial_run(printed, test_pki, tsa_url,
                                                              monkeypatch):
    """An authority whose tokens outgrow the room kept for them: the PDF is still signed, its
    signature sized by pyHanko's trial run (one more request to the authority)."""
    monkeypatch.setattr(pdfsign, "TOKEN_ROOM", -4096)  # less room than any token needs
    school = test_pki.leaf("school")
    asked = len(TSA_REQUESTS)
    with Pkcs12Signer(school.p12, school.password) as signer:
        signed = pdfsign.sign_pdf(printed, signer, _chain(test_pki), tsa_url=tsa_url)
    assert len(TSA_REQUESTS) > asked + 1
    report = _check(signed, test_pki)
    assert report.ok and report.signatures[0].timestamp_ok is True
