"""One subject teacher signs N records (600) through each provider stand-in with one approval.

For each stand-in (run as its own process, as in the tests) the clock starts at the approval
(the phone's approve for SmartCA, the submit carrying the password and code for TH, the
submit carrying the PIN for CSC) and stops when every signature is written into its record by
``complete_signature``, which checks each value against the certificate and the exact
SignedInfo. Beside it, the plain library's step-by-step local signing (``sign_slot``, one call
per record) of the same slot on the same records. Target (issue 18): under 30 s for 600.
"""

from __future__ import annotations

import copy
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import requests

from hocbaso import samples
from hocbaso.signing import providers, xmldsig
from hocbaso.signing.batch import DONE, BatchItem
from hocbaso.signing.pkcs12 import Pkcs12Signer
from hocbaso.signing.providers.totp import standin_key, totp
from hocbaso.xmlprofile import get_profile

from .measure import start_standin, stop_standin

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # security/ lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

USER, SUBJECT = "001089007732", "NN1"  # the test PKI's "gvbm" teaches NN1 in the sample
SP = ("bench-sp", "bench-sp-password")
CSC = ("bench-school", "bench-csc-password")



def _documents(count):
    base = samples.sample_primary_record()
    profile = get_profile()
    documents = []
    for i in range(count):
        record = copy.deepcopy(base)
        record.record_uuid = f"00000000-0000-4000-8000-{i:012d}"
        record.student = dataclasses.replace(record.student, full_name=f"Học sinh {i}")
        documents.append(profile.build(record))
    return documents


def _prepare(documents, certificate):
    pendings = {f"HB-{i:04d}": xmldsig.prepare_signature(xml, xmldsig.ROLE_GVBM, certificate,
                                                         SUBJECT)
                for i, xml in enumerate(documents)}
    return pendings, [BatchItem(doc, p.digest) for doc, p in pendings.items()]


def _complete(pendings, transaction):
    if transaction.status != DONE or set(transaction.signatures) != set(pendings):
        raise RuntimeError("the stand-in did not sign the whole batch: %s" % transaction.status)
    return [xmldsig.complete_signature(pendings[doc], value)
            for doc, value in transaction.signatures.items()]


def run(count=600):
    from security.pki import build_test_pki

    rows = []
    with tempfile.TemporaryDirectory(prefix="hocbaso-bench-providers-") as folder:
        pki_dir = Path(folder) / "pki"
        pki = build_test_pki(pki_dir)
        certificate = pki.leaf("gvbm").certificate
        documents = _documents(count)
        started = [
            start_standin("hocbaso.signing.standins.smartca", pki_dir, "--sp-id", SP[0],
                   "--sp-password", SP[1], "--max-batch", str(count)),
            start_standin("hocbaso.signing.standins.csc", pki_dir, "--username", CSC[0],
                   "--password", CSC[1], "--max-batch", str(count)),
        ]
        try:
            smartca_url, csc_url = started[0][1], started[1][1] + "/csc/v2"
            start = time.perf_counter()
            pendings, items = _prepare(documents, certificate)
            prepare_seconds = time.perf_counter() - start
            rows.append({"stage": f"prepare {count} GVBM signatures (prepare_signature)",
                         "rate": count / prepare_seconds, "unit": "signatures/s"})

            # local, step by step: the same slot signed in each record by sign_slot
            with Pkcs12Signer(pki.leaf("gvbm").p12, pki.leaf("gvbm").password) as signer:
                start = time.perf_counter()
                for xml in documents:
                    xmldsig.sign_slot(xml, xmldsig.ROLE_GVBM, signer, SUBJECT)
                local = time.perf_counter() - start
            rows.append({"stage": f"local key, step by step (sign_slot), {count} records",
                         "rate": count / local, "unit": "signatures/s",
                         "note": f"{local:.1f} s for {count}"})

            # SmartCA: submit, then the phone approves; clock from the approval
            client = providers.make("smartca", smartca_url, sp_id=SP[0], sp_password=SP[1],
                                    max_batch=count)
            transaction = client.submit(USER, certificate, items, "bench")
            start = time.perf_counter()
            requests.post(smartca_url + "/_test/approve/" + transaction.ref, json={},
                          timeout=60)
            while (done := client.poll(transaction.ref)).status != DONE:
                time.sleep(0.05)
            _complete(pendings, done)
            rows.append(_row("SmartCA stand-in", count, time.perf_counter() - start, local))
            client.close()

            # SmartCA TH: the password and the code are the approval
            pendings, items = _prepare(documents, certificate)
            client = providers.make("smartca_th", smartca_url, sp_id=SP[0], sp_password=SP[1],
                                    max_batch=count)
            start = time.perf_counter()
            done = client.submit(USER, certificate, items, "bench",
                                 providers.th_secret(pki.leaf("gvbm").password,
                                                     totp(standin_key(USER))))
            _complete(pendings, done)
            rows.append(_row("SmartCA TH stand-in", count, time.perf_counter() - start, local))
            client.close()

            # CSC: the PIN authorises every hash
            pendings, items = _prepare(documents, certificate)
            client = providers.make("csc", csc_url, username=CSC[0], password=CSC[1],
                                    max_batch=count)
            client.certificates(USER)
            start = time.perf_counter()
            done = client.submit(USER, certificate, items, "bench", pki.leaf("gvbm").password)
            _complete(pendings, done)
            rows.append(_row("CSC API v2 stand-in", count, time.perf_counter() - start, local))
            client.close()
        finally:
            for proc, _url in started:
                stop_standin(proc)
    return rows


def _row(name, count, seconds, local):
    return {"stage": f"{name}: one approval -> {count} signatures written",
            "rate": count / seconds, "unit": "signatures/s",
            "note": f"{seconds:.2f} s for {count} (target < 30 s); local step by step "
                    f"{count / local:.0f}/s"}
