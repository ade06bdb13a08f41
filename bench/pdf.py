"""The signed PDF (hocbaso.pdfsign) beside raw RSA signing: `python -m bench --pdf [N]`.

A real printed page (wkhtmltopdf) with the signed sample record attached, as the school's PDF
carries it, certified N times with the test PKI's school key held in memory (what a PKCS#12
file gives once unlocked, through the Signer seam), then checked N times with pyHanko's
validator against the test root. Raw RSA-2048 signatures are made between the PDF signatures,
so both see the same CPU.
"""

import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hocbaso import pdfsign
from hocbaso.signing.pkcs12 import Pkcs12Signer

from .plain import raw_rsa_signer, timed

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "samples" / "signed" / "hocbaso-1.0-primary-signed.xml"
HTML = ("<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'></head><body>"
        "<h1>HỌC BẠ</h1><p>Nguyễn Văn An, lớp 5A, năm học 2024-2025.</p></body></html>")


def printed_pdf() -> bytes:
    """A one-page PDF from wkhtmltopdf with the signed sample XML attached (PyPDF2, as Odoo's
    embed_record_xml does)."""
    from PyPDF2 import PdfReader, PdfWriter

    exe = shutil.which("wkhtmltopdf")
    if not exe:
        raise SystemExit("wkhtmltopdf is not installed (debian-packages.txt)")
    with tempfile.TemporaryDirectory() as tmp:
        page, out = Path(tmp) / "page.html", Path(tmp) / "page.pdf"
        page.write_text(HTML, encoding="utf-8")
        subprocess.run([exe, "-q", str(page), str(out)], check=True, capture_output=True,
                       timeout=120)
        reader = PdfReader(io.BytesIO(out.read_bytes()))
    writer = PdfWriter()
    writer.clone_reader_document_root(reader)
    writer.add_attachment("hocba.xml", SAMPLE.read_bytes())
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def run(count=200):
    if str(REPO) not in sys.path:  # security/ is not installed
        sys.path.insert(0, str(REPO))
    from security.pki import build_test_pki

    pki = build_test_pki()
    school = pki.leaf("school")
    pdf = printed_pdf()
    chain = [pki.intermediate, pki.root]
    raw_sign = raw_rsa_signer()
    with Pkcs12Signer(school.p12, school.password) as signer:
        signed = pdfsign.sign_pdf(pdf, signer, chain)  # warm-up: imports, first parse
        seconds, raw_seconds = 0.0, 0.0
        for _ in range(count):
            start = time.perf_counter()
            signed = pdfsign.sign_pdf(pdf, signer, chain)
            seconds += time.perf_counter() - start
            raw_seconds += timed(raw_sign, 1)[1]
    raw_rate = count / raw_seconds
    assert pdfsign.verify_pdf(signed, pki.trusted, pki.intermediates, pki.crls).ok
    verify_rate, _ = timed(
        lambda _i: pdfsign.verify_pdf(signed, pki.trusted, pki.intermediates, pki.crls),
        max(10, count // 4))
    return [
        {"stage": "raw RSA-2048 sign, between the PDF signatures", "rate": raw_rate,
         "unit": "signatures/s"},
        {"stage": "PDF certified (PAdES B, pyHanko, Signer seam)", "rate": count / seconds,
         "unit": "PDFs/s", "limit": raw_rate,
         "note": f"{len(pdf) // 1024} KiB PDF with the record XML attached, "
                 f"{(len(signed) - len(pdf)) // 1024} KiB added by the signature"},
        {"stage": "PDF checked (pyHanko validator, chain + CRL)", "rate": verify_rate,
         "unit": "PDFs/s"},
    ]
