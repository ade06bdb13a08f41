"""Kept validation data and archive timestamps (issue 20, items 2 and 3): their rate per
record beside the raw rates of the stand-ins they wait on.

The TSA and OCSP stand-ins run as their own processes (as in the tests), on the test PKI. Records
are signed with the test PKI's users (issued by the CA the OCSP stand-in answers for), every
signature timestamped, before the clock starts. Limits: the stand-ins posted to back to back,
answers not checked. Stages, per record: ``add_validation_data`` with one collector per
record (every status asked again: 5 OCSP requests) and with one collector for the whole run
(the same teachers and TSA on every record of a class: their status asked once),
``archive_timestamp`` with the new token's validation data, and ``verify_document`` of the
result with no CRL nor intermediate from the caller. Sequential: one client, as the issuance
job and the nightly renewal are. The last row projects a 2,000-student school.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import requests

from hocbaso import pdfltv, pdfsign
from hocbaso.signing import archive, ltv, ocsp, xmldsig
from hocbaso.signing import timestamp as T
from hocbaso.signing.base import Signer
from hocbaso.verify import verify_document
from hocbaso.xmlprofile import get_profile

from .measure import start_standin, stop_standin
from .plain import make_records, signing_steps, timed

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # security/ lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

SCHOOL = 2000  # students, one record each


class LeafSigner(Signer):
    """A test PKI user's key in memory."""

    def __init__(self, leaf):
        self._key, self.certificate = leaf.key, leaf.certificate

    def sign(self, data):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())



def _post_rate(url, body, content_type, count):
    session = requests.Session()
    headers = {"Content-Type": content_type}

    def post(_i):
        session.post(url, data=body, headers=headers, timeout=30).content

    post(0)  # connection set up
    return timed(post, count)[0]


def run(records=20, count=200):
    from security.pki import build_test_pki

    rows = []
    with tempfile.TemporaryDirectory(prefix="hocbaso-bench-ltv-") as folder:
        pki_dir = Path(folder) / "pki"
        pki = build_test_pki(pki_dir)
        started = [start_standin("hocbaso.signing.standins.tsa", pki_dir),
                   start_standin("hocbaso.signing.standins.ocsp", pki_dir)]
        try:
            tsa_url, ocsp_url = started[0][1], started[1][1]
            tsa_rate = _post_rate(tsa_url, T.make_request(bytes(32))[0],
                                  "application/timestamp-query", count)
            rows.append({"stage": "stand-in TSA over HTTP, answers not checked",
                         "rate": tsa_rate, "unit": "tokens/s"})
            ocsp_rate = _post_rate(ocsp_url, ocsp.make_request(
                pki.leaf("gvcn").certificate, pki.intermediate)[0],
                "application/ocsp-request", count)
            rows.append({"stage": "stand-in OCSP responder over HTTP, answers not checked",
                         "rate": ocsp_rate, "unit": "responses/s"})
            client = T.TimestampClient(tsa_url, pki.trusted, pki.intermediates, timeout=30)
            responder = ocsp.OcspClient(ocsp_url, timeout=30)
            rate = timed(lambda i: responder.status(pki.leaf("gvcn").certificate,
                                                    pki.intermediate), count)[0]
            rows.append({"stage": "OcspClient.status: ask + check (nonce, CertID, signature)",
                         "rate": rate, "unit": "responses/s", "limit": ocsp_rate})

            signers = {"gvbm": LeafSigner(pki.leaf("gvbm")),
                       xmldsig.ROLE_GVCN: LeafSigner(pki.leaf("gvcn")),
                       xmldsig.ROLE_CBQL: LeafSigner(pki.leaf("hieutruong")),
                       xmldsig.ROLE_ISSUER: LeafSigner(pki.leaf("school"))}
            profile = get_profile("hocbaso-1.0")
            made = make_records(records)
            issued = [xmldsig.sign_slots(profile.build(record), signing_steps(record, signers),
                                         timestamp=client.stamp) for record in made]

            def collector():
                return ltv.Collector(pki.trusted, pki.intermediates, [pki.root_crl], responder)

            rate = timed(lambda i: ltv.add_validation_data(issued[i], collector()), records)[0]
            rows.append({"stage": "add_validation_data, statuses asked per record",
                         "rate": rate, "unit": "records/s", "limit": ocsp_rate / 5})
            shared = collector()
            kept = [None] * records

            def keep(i):
                kept[i] = ltv.add_validation_data(issued[i], shared)[0]

            per_run = timed(keep, records)[0]
            rows.append({"stage": "add_validation_data, one collector for the run",
                         "rate": per_run, "unit": "records/s"})
            archived = [None] * records

            def stamp(i):
                archived[i] = archive.archive_timestamp(kept[i], client, shared)[0]

            archive_rate = timed(stamp, records)[0]
            rows.append({"stage": "archive_timestamp (+ its validation data)",
                         "rate": archive_rate, "unit": "records/s", "limit": tsa_rate})
            verify_rate = timed(lambda i: verify_document(archived[i], pki.trusted), records)[0]
            rows.append({"stage": "verify_document: kept data + archive timestamp checked",
                         "rate": verify_rate, "unit": "records/s"})
            school = SCHOOL / per_run + SCHOOL / archive_rate
            rows.append({"stage": f"{SCHOOL:,}-student school: kept data + archive timestamp",
                         "rate": SCHOOL / school, "unit": "records/s",
                         "note": f"{school:.0f} s, one client; renewing only: "
                                 f"{SCHOOL / archive_rate:.0f} s"})
            rows.extend(_pdf_rows(pki, tsa_url, shared, records, tsa_rate))
        finally:
            for proc, _url in started:
                stop_standin(proc)
    return rows


def _pdf_rows(pki, tsa_url, collector, count, tsa_rate):
    """The school's printed PDF: certified with a timestamp (B-T), then its validation data
    kept (B-LT, the run's collector: statuses asked once), then checked at its proven time
    with the kept data only. One token per PDF (pdfsign sizes the signature itself)."""
    from .pdf import printed_pdf

    pdf, school = printed_pdf(), LeafSigner(pki.leaf("school"))
    chain = [pki.intermediate, pki.root]
    stamped, kept = [None] * count, [None] * count

    def certify(i):
        stamped[i] = pdfsign.sign_pdf(pdf, school, chain, tsa_url=tsa_url)

    def keep(i):
        kept[i] = pdfltv.add_validation_data(stamped[i], collector)

    certify_rate = timed(certify, count)[0]
    keep_rate = timed(keep, count)[0]
    assert pdfsign.verify_pdf(kept[0], pki.trusted).ok
    check_rate = timed(lambda i: pdfsign.verify_pdf(kept[i], pki.trusted), count)[0]
    return [
        {"stage": "PDF certified with a timestamp (PAdES B-T)", "rate": certify_rate,
         "unit": "PDFs/s", "limit": tsa_rate},
        {"stage": "PDF validation data kept (B-LT, one collector)", "rate": keep_rate,
         "unit": "PDFs/s", "note": f"{(len(kept[0]) - len(stamped[0])) // 1024} KiB added"},
        {"stage": "PDF checked at its proven time with the kept data", "rate": check_rate,
         "unit": "PDFs/s"},
    ]
