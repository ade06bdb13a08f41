"""Trusted timestamps (issue 20): the rate of timestamping beside its raw limits.

The TSA stand-in runs as its own process (as in the tests) and signs with the test PKI's
RSA-2048 TSA key. Limits: a raw RSA-2048 signature (what each token costs the authority), the
stand-in's own rate (requests posted back to back, answers not checked) and its in-process
answer (no HTTP). Stages: one token asked for and fully checked (nonce, imprint, CMS signature,
TSA chain at genTime), one signature of a record timestamped (parse, c14n of SignatureValue,
token, insert, serialise), and whole records signed with and without a timestamp on each
signature (``sign_slots(..., timestamp=client.stamp)``). Requests are sequential: one client,
as one signing session is. The last row projects a 2,000-student school.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
import time
from pathlib import Path

import requests

from hocbaso.signing import concurrent
from hocbaso.signing import timestamp as T
from hocbaso.signing import xmldsig
from hocbaso.signing.standins.tsa import Authority
from hocbaso.xmlprofile import get_profile

from .measure import start_standin, stop_standin
from .plain import SoftwareKeySigner, make_records, raw_rsa_signer, signing_steps, timed

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # security/ lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

SCHOOL = 2000  # students, one record each



def run(count=200, records=20):
    from security.pki import build_test_pki

    rows = []
    raw_rate = timed(raw_rsa_signer(), count)[0]
    rows.append({"stage": "raw RSA-2048 signature (the TSA's key operation)",
                 "rate": raw_rate, "unit": "signatures/s"})
    with tempfile.TemporaryDirectory(prefix="hocbaso-bench-tsa-") as folder:
        pki_dir = Path(folder) / "pki"
        pki = build_test_pki(pki_dir)
        digests = [hashlib.sha256(b"%d" % i).digest() for i in range(count)]
        authority = Authority(pki_dir)
        requests_der = [T.make_request(digest)[0] for digest in digests]
        rate = timed(lambda i: authority.answer(requests_der[i], {}), count)[0]
        rows.append({"stage": "stand-in TSA, in process (parse, TSTInfo, CMS, sign)",
                     "rate": rate, "unit": "tokens/s", "limit": raw_rate})
        proc, url = start_standin("hocbaso.signing.standins.tsa", pki_dir)
        try:
            session = requests.Session()
            headers = {"Content-Type": "application/timestamp-query"}

            def post(i):
                session.post(url, data=requests_der[i], headers=headers, timeout=30).content

            post(0)  # connection set up
            tsa_rate = timed(post, count)[0]
            rows.append({"stage": "stand-in TSA over HTTP, answers not checked",
                         "rate": tsa_rate, "unit": "tokens/s", "limit": raw_rate})
            client = T.TimestampClient(url, pki.trusted, pki.intermediates, timeout=30)
            rate = timed(lambda i: client.stamp_info(digests[i]), count)[0]
            rows.append({"stage": "TimestampClient.stamp_info: ask + check every token",
                         "rate": rate, "unit": "tokens/s", "limit": tsa_rate})

            profile = get_profile("hocbaso-1.0")
            made = make_records(records)
            signers = {"gvbm": SoftwareKeySigner("GVBM"), "gvcn": SoftwareKeySigner("GVCN"),
                       "cbql": SoftwareKeySigner("CBQL"), "phathanh": SoftwareKeySigner("TRUONG")}
            signers.update({xmldsig.ROLE_GVCN: signers["gvcn"], xmldsig.ROLE_CBQL: signers["cbql"],
                            xmldsig.ROLE_ISSUER: signers["phathanh"]})
            xmls = [profile.build(record) for record in made]
            first = [(xmldsig.sign_slot(xml, xmldsig.ROLE_GVBM, signers["gvbm"],
                                        record.subjects[0].code),
                      xmldsig.subject_signature_id(record.subjects[0].code))
                     for xml, record in zip(xmls, made)]
            rate = timed(lambda i: T.timestamp_signature(*first[i], client), records)[0]
            rows.append({"stage": "timestamp_signature: one signature of a record",
                         "rate": rate, "unit": "signatures/s", "limit": tsa_rate})
            steps = [signing_steps(record, signers) for record in made]
            signatures = sum(len(s) for s in steps)
            start = time.perf_counter()
            for xml, record_steps in zip(xmls, steps):
                xmldsig.sign_slots(xml, record_steps)
            plain = time.perf_counter() - start
            start = time.perf_counter()
            for xml, record_steps in zip(xmls, steps):
                xmldsig.sign_slots(xml, record_steps, timestamp=client.stamp)
            stamped = time.perf_counter() - start
            rows.append({"stage": "whole records signed (sign_slots), no timestamp",
                         "rate": signatures / plain, "unit": "signatures/s",
                         "limit": raw_rate})
            rows.append({"stage": "whole records signed, each signature timestamped",
                         "rate": signatures / stamped, "unit": "signatures/s",
                         "limit": signatures / plain})
            per_record = signatures / records
            school = SCHOOL * stamped / records
            rows.append({"stage": f"{SCHOOL:,}-student school, every role, timestamped",
                         "rate": SCHOOL / school, "unit": "records/s",
                         "note": f"{school:.0f} s for {SCHOOL * per_record:,.0f} signatures "
                                 f"({per_record:.0f} per record), one client"})
        finally:
            stop_standin(proc)
        rows.extend(_far_authority(pki_dir, pki, made, xmls, signers["gvbm"]))
    return rows


FAR = 0.1  # seconds: a round trip to an authority on the Internet


def _far_authority(pki_dir, pki, made, xmls, signer, class_size=40):
    """A subject teacher signs her class of ``class_size`` with the authority ``FAR`` away:
    one record after another, then side by side as a signing run in Odoo does
    (hocbaso.signing.concurrent). Limit of the first: the round trips alone; of the second:
    the same signatures with the authority next door."""
    proc, url = start_standin("hocbaso.signing.standins.tsa", pki_dir, "--latency", str(FAR))
    try:
        client = T.TimestampClient(url, pki.trusted, pki.intermediates, timeout=30)
        client.stamp(hashlib.sha256(b"warm").digest())  # connection set up
        jobs = [(xmls[i % len(xmls)], made[i % len(made)].subjects[0].code)
                for i in range(class_size)]

        def sign(job):
            return xmldsig.sign_slot(job[0], xmldsig.ROLE_GVBM, serial, job[1],
                                     timestamp=client.stamp)

        serial = concurrent.SerialSigner(signer)
        start = time.perf_counter()
        for job in jobs:
            sign(job)
        one_by_one = time.perf_counter() - start
        start = time.perf_counter()
        outcomes = concurrent.each(jobs, sign)
        side_by_side = time.perf_counter() - start
        if any(isinstance(outcome, Exception) for outcome in outcomes):
            raise RuntimeError(f"a record was not signed: {outcomes}")
        most = requests.get(f"{url}/_test/stats", timeout=5).json()["most_at_once"]
    finally:
        stop_standin(proc)
    note = f"a class of {class_size}, the authority {FAR * 1000:.0f} ms away"
    return [
        {"stage": "class signed one record after another, each timestamped",
         "rate": class_size / one_by_one, "unit": "records/s", "limit": 1 / FAR,
         "note": f"{note}: {one_by_one:.1f} s; limit: one round trip a record"},
        {"stage": f"class signed {concurrent.AT_ONCE} records at once, each timestamped",
         "rate": class_size / side_by_side, "unit": "records/s",
         "limit": class_size / one_by_one,
         "note": f"{note}: {side_by_side:.1f} s, {most} requests at the authority at once; "
                 f"the ratio is the speed-up over one after another"},
    ]
