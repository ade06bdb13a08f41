"""Cloud Signature Consortium API v2: one PIN authorises a batch of hashes, against the strict
stand-in process; every fault refused or handled, nothing written that does not verify."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests
from provider_fixtures import (
    CSC_PASSWORD,
    CSC_USER,
    ECDSA,
    ECDSA_SUBJECT,
    GVBM,
    GVBM_SUBJECT,
    apply,
    assert_xmlsec1,
    fault,
    pending_batch,
    start,
    stop,
)

from hocbaso.signing import providers
from hocbaso.signing.batch import DONE, BatchItem
from hocbaso.signing.providers.csc import ECDSA_SHA256_OID, SHA256_OID
from hocbaso.errors import RemoteSigningError

MODULE = "hocbaso.signing.standins.csc"
PIN = "1234"  # the test PKI's password, the stand-in's PIN


@pytest.fixture(scope="module")
def servers(pki_dir):
    started = {
        "main": start(MODULE, pki_dir, "--username", CSC_USER, "--password", CSC_PASSWORD,
                      "--token", "static-test-token"),
        "small": start(MODULE, pki_dir, "--username", CSC_USER, "--password", CSC_PASSWORD,
                       "--max-batch", "3"),
    }
    yield {name: url + "/csc/v2" for name, (_proc, url, _log) in started.items()}
    stop(started.values())


def adapter(url, **extra):
    account = {"username": CSC_USER, "password": CSC_PASSWORD}
    return providers.make("csc", url, **{**account, **extra})


def test_one_pin_signs_a_batch_rsa_and_ecdsa(servers, test_pki, tmp_path):
    client = adapter(servers["main"])
    assert client.approval == "pin" and client.info()["specs"].startswith("2.")
    for user, subject, leaf in ((GVBM, GVBM_SUBJECT, "gvbm"), (ECDSA, ECDSA_SUBJECT, "ecdsa")):
        chain = client.certificates(user)[0]
        assert chain == [test_pki.leaf(leaf).certificate, test_pki.intermediate, test_pki.root]
        pendings, items = pending_batch(chain[0], subject, 5, prefix=leaf.upper())
        transaction = client.submit(user, chain[0], items, "Học bạ 9A1", secret=PIN)
        assert transaction.status == DONE and list(transaction.signatures) == list(pendings)
        outcome = apply(transaction, pendings)
        assert len(outcome.written) == 5 and not outcome.refused
        assert_xmlsec1(outcome, pendings, test_pki, tmp_path, limit=2)
    with pytest.raises(RemoteSigningError, match="signs at once"):
        client.poll(transaction.ref)
    client.close()


def test_bearer_token_and_refused_accounts(servers, test_pki):
    chain = providers.make("csc", servers["main"], token="static-test-token").certificates(GVBM)
    assert chain[0][0] == test_pki.leaf("gvbm").certificate
    for account in ({"token": "guess"}, {"username": CSC_USER, "password": "wrong"}):
        with pytest.raises(RemoteSigningError, match="refused the school's account"):
            providers.make("csc", servers["main"], **account).certificates(GVBM)
    with pytest.raises(RemoteSigningError, match="is not set"):
        providers.make("csc", servers["main"], username=CSC_USER)
    with pytest.raises(RemoteSigningError, match="HTTP 400: Invalid parameter userID"):
        adapter(servers["main"]).certificates("000000000000")


def test_pin_and_batch_limit(servers):
    client = adapter(servers["small"])
    certificate = client.certificates(GVBM)[0][0]
    assert client.limit_for(certificate) == 3  # multisign of credentials/info
    items = [BatchItem("C-%d" % i, hashlib.sha256(b"%d" % i).digest()) for i in range(4)]
    with pytest.raises(RemoteSigningError, match="at most 3 signatures"):
        client.submit(GVBM, certificate, items, "x", secret=PIN)
    with pytest.raises(RemoteSigningError, match="refused the PIN"):
        client.submit(GVBM, certificate, items[:3], "x", secret="0000")
    with pytest.raises(RemoteSigningError, match="Type the PIN"):
        client.submit(GVBM, certificate, items[:3], "x", secret="")


def test_strict_stand_in(servers):
    """Raw calls the adapter never makes: the SAD binds the hashes and is used once."""
    client = adapter(servers["main"])
    client.certificates(ECDSA)
    headers = {"Authorization": "Bearer static-test-token"}
    url = servers["main"]
    digest = base64.b64encode(b"\x01" * 32).decode()
    authorize = {"credentialID": "cred-" + ECDSA, "numSignatures": 1, "hashes": [digest],
                 "hashAlgorithmOID": SHA256_OID, "PIN": PIN}
    for change in ({"numSignatures": 2}, {"hashes": ["AAAA"]}, {"PIN": 1234}, {"extra": 1},
                   {"hashAlgorithmOID": "1.3.14.3.2.26"}, {"credentialID": "cred-x"}):
        reply = requests.post(url + "/credentials/authorize", json={**authorize, **change},
                              headers=headers, timeout=5)
        assert reply.status_code == 400, change
    sad = requests.post(url + "/credentials/authorize", json=authorize, headers=headers,
                        timeout=5).json()["SAD"]
    sign = {"credentialID": "cred-" + ECDSA, "SAD": sad, "hashes": [digest],
            "hashAlgorithmOID": SHA256_OID, "signAlgo": ECDSA_SHA256_OID}
    other = base64.b64encode(b"\x02" * 32).decode()
    assert requests.post(url + "/signatures/signHash", json={**sign, "hashes": [other]},
                         headers=headers, timeout=5).status_code == 400  # the SAD is spent
    sad = requests.post(url + "/credentials/authorize", json=authorize, headers=headers,
                        timeout=5).json()["SAD"]
    reply = requests.post(url + "/signatures/signHash", json={**sign, "SAD": sad},
                          headers=headers, timeout=5)
    assert reply.status_code == 200 and len(reply.json()["signatures"]) == 1
    assert requests.post(url + "/signatures/signHash", json={**sign, "SAD": sad},
                         headers=headers, timeout=5).status_code == 400


# --- faults -----------------------------------------------------------------------------------
def _submit(servers, kind, count=4, timeout=20, **params):
    fault(servers["main"].rsplit("/csc/", 1)[0], kind, **params)
    client = adapter(servers["main"], timeout=timeout)
    certificate = client.certificates(GVBM)[0][0]
    pendings, items = pending_batch(certificate, GVBM_SUBJECT, count, prefix=kind[:6].upper())
    return pendings, lambda: client.submit(GVBM, certificate, items, kind, secret=PIN)


@pytest.mark.parametrize("kind, message", [
    ("rejected", "refused the PIN or one-time code"),
    ("expired", "SAD expired"),
    ("server_error", "internal error"),
    ("malformed_json", "not a JSON object"),
    ("huge", "more than 8 MiB"),
    ("timeout", "did not answer within 1 seconds"),
    ("partial", "returned 3 signatures for 4 documents"),
    ("unknown_doc", "returned 5 signatures for 4 documents"),
])
def test_fault_refused_as_a_whole(servers, kind, message):
    params = {"seconds": 2, "timeout": 1} if kind == "timeout" else {}
    _pendings, submit = _submit(servers, kind, **params)
    with pytest.raises(RemoteSigningError, match=message):
        submit()


def test_fault_server_error_at_submit(servers):
    _pendings, submit = _submit(servers, "server_error", at="submit")
    with pytest.raises(RemoteSigningError, match="internal error"):
        submit()


def test_fault_values_that_do_not_verify_are_not_written(servers, test_pki, tmp_path):
    pendings, submit = _submit(servers, "wrong_signature")
    outcome = apply(submit(), pendings)
    assert list(outcome.refused) == [min(pendings)] and len(outcome.written) == 3
    assert_xmlsec1(outcome, pendings, test_pki, tmp_path, limit=1)
    pendings, submit = _submit(servers, "other_certificate")
    outcome = apply(submit(), pendings)
    assert not outcome.written and len(outcome.refused) == 4


def test_fault_slow_authorisation_still_signs(servers):
    pendings, submit = _submit(servers, "slow_approval", seconds=1)
    assert len(apply(submit(), pendings).written) == 4
