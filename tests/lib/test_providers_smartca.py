"""VNPT SmartCA (personal accounts): one phone approval signs a batch, against the strict
stand-in process; every fault refused or handled, nothing written that does not verify."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import requests
from provider_fixtures import (
    GVBM,
    GVBM_SUBJECT,
    SP_ID,
    SP_PASSWORD,
    WEBHOOK_SECRET,
    Receiver,
    apply,
    assert_xmlsec1,
    fault,
    free_port,
    pending_batch,
    start,
    stop,
    wait_done,
)

from hocbaso.signing import providers
from hocbaso.signing.batch import DONE, EXPIRED, PENDING, REJECTED, BatchItem
from hocbaso.signing.providers.smartca import SIGNATURE_HEADER, webhook_signature
from hocbaso.errors import RemoteSigningError

MODULE = "hocbaso.signing.standins.smartca"
ACCOUNT = ("--sp-id", SP_ID, "--sp-password", SP_PASSWORD, "--webhook-secret", WEBHOOK_SECRET)


@pytest.fixture(scope="module")
def receiver():
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(scope="module")
def servers(pki_dir, receiver):
    started = {
        "auto": start(MODULE, pki_dir, *ACCOUNT, "--auto-confirm", "--confirm-delay", "0.2",
                      "--callback-url", receiver.url),
        "manual": start(MODULE, pki_dir, *ACCOUNT, "--ttl", "2", "--max-batch", "5"),
    }
    yield {name: url for name, (_proc, url, _log) in started.items()}
    stop(started.values())


def adapter(url, **extra):
    return providers.make("smartca", url, sp_id=SP_ID, sp_password=SP_PASSWORD,
                          webhook_secret=WEBHOOK_SECRET, **extra)


@pytest.fixture(scope="module")
def teacher(servers, test_pki):
    chain = adapter(servers["auto"]).certificates(GVBM)[0]
    assert chain == [test_pki.leaf("gvbm").certificate, test_pki.intermediate, test_pki.root]
    return chain[0]


def test_one_approval_signs_the_whole_batch(servers, teacher, test_pki, receiver, tmp_path):
    pendings, items = pending_batch(teacher, GVBM_SUBJECT, 6)
    client = adapter(servers["auto"])
    transaction = client.submit(GVBM, teacher, items, "Học bạ lớp 9A1 - Tiếng Anh")
    assert transaction.status == PENDING and transaction.code and transaction.expires_at
    shown = requests.post(servers["auto"] + "/_test/transaction/" + transaction.ref,
                          json={}, timeout=5).json()
    assert shown["doc_ids"] == list(pendings)  # the phone lists our doc_ids
    done = wait_done(client, transaction.ref)
    assert done.status == DONE and set(done.timestamps) == set(pendings)
    outcome = apply(done, pendings)
    assert not outcome.refused and not outcome.strangers and not outcome.missing
    assert_xmlsec1(outcome, pendings, test_pki, tmp_path)
    # the webhook came too, authenticated; parsed, it gives the same values
    calls = [call for call in receiver.wait(1) if
             json.loads(call[0])["transaction_id"] == transaction.ref]
    assert len(calls) == 1
    called = client.parse_callback(*calls[0])
    assert called.status == DONE and called.signatures == done.signatures
    client.close()
    client.close()


def test_manual_approval_reject_and_expiry(servers, teacher):
    client = adapter(servers["manual"])
    items = [BatchItem("A-%d" % i, hashlib.sha256(b"%d" % i).digest()) for i in range(2)]
    first = client.submit(GVBM, teacher, items, "x")
    assert client.poll(first.ref).status == PENDING
    requests.post(servers["manual"] + "/_test/approve/" + first.ref, json={}, timeout=5)
    assert set(client.poll(first.ref).signatures) == {"A-0", "A-1"}
    second = client.submit(GVBM, teacher, items, "x")
    requests.post(servers["manual"] + "/_test/reject/" + second.ref, json={}, timeout=5)
    assert client.poll(second.ref).status == REJECTED
    third = client.submit(GVBM, teacher, items, "x")
    time.sleep(2.3)
    assert client.poll(third.ref).status == EXPIRED
    assert not client.poll(third.ref).signatures


def test_strict_stand_in_refuses_what_the_published_shape_forbids(servers, teacher, test_pki):
    items = [BatchItem("B-%d" % i, hashlib.sha256(b"%d" % i).digest()) for i in range(6)]
    with pytest.raises(RemoteSigningError, match="HTTP 400: At most 5 files"):
        adapter(servers["manual"]).submit(GVBM, teacher, items, "x")
    with pytest.raises(RemoteSigningError, match="refused the school's account"):
        providers.make("smartca", servers["manual"], sp_id=SP_ID,
                       sp_password="wrong").submit(GVBM, teacher, items[:1], "x")
    with pytest.raises(RemoteSigningError, match="does not know the user 000000000000"):
        adapter(servers["manual"]).certificates("000000000000")
    with pytest.raises(RemoteSigningError, match="serial_number not found"):  # another cert
        adapter(servers["manual"]).submit(GVBM, test_pki.leaf("gvcn").certificate, items[:1],
                                          "x")
    expired = test_pki.leaf("expired")
    with pytest.raises(RemoteSigningError, match="cannot sign now"):
        adapter(servers["manual"]).submit(expired.user_ref, expired.certificate, items[:1], "x")
    # raw calls: a reused transaction_id, a short digest, an unknown field, a wrong type
    client = adapter(servers["manual"])
    body = client._sign_body(GVBM, teacher, items[:1], "x")
    url = servers["manual"] + "/v1/signatures/sign"
    account = {"sp_id": SP_ID, "sp_password": SP_PASSWORD}
    assert requests.post(url, json={**account, **body}, timeout=5).status_code == 200
    assert "already used" in requests.post(url, json={**account, **body},
                                           timeout=5).json()["message"]
    for change in ({"sign_files": [{**body["sign_files"][0], "data_to_be_signed": "ab" * 20}]},
                   {"extra": 1}, {"sign_files": "x"}, {"time_stamp": "20200101000000"},
                   {"sign_files": [{**body["sign_files"][0], "sign_type": "file"}]}):
        fresh = {**account, **client._sign_body(GVBM, teacher, items[:1], "x"), **change}
        assert requests.post(url, json=fresh, timeout=5).status_code == 400, change


# --- faults -----------------------------------------------------------------------------------
def _batch(servers, teacher, kind, count=4, timeout=20, **params):
    fault(servers["auto"], kind, **params)
    pendings, items = pending_batch(teacher, GVBM_SUBJECT, count, prefix=kind[:6].upper())
    client = adapter(servers["auto"], timeout=timeout)
    return client, pendings, client.submit(GVBM, teacher, items, kind)


def test_fault_rejected_and_expired(servers, teacher):
    for kind, status in (("rejected", REJECTED), ("expired", EXPIRED)):
        client, _pendings, transaction = _batch(servers, teacher, kind)
        done = wait_done(client, transaction.ref)
        assert done.status == status and not done.signatures


def test_fault_signatures_that_do_not_verify_are_not_written(servers, teacher, test_pki,
                                                             tmp_path):
    client, pendings, transaction = _batch(servers, teacher, "wrong_signature")
    outcome = apply(wait_done(client, transaction.ref), pendings)
    assert list(outcome.refused) == [min(pendings)] and len(outcome.written) == 3
    assert "does not match the certificate" in outcome.refused[min(pendings)]
    assert_xmlsec1(outcome, pendings, test_pki, tmp_path)
    client, pendings, transaction = _batch(servers, teacher, "other_certificate")
    outcome = apply(wait_done(client, transaction.ref), pendings)
    assert not outcome.written and len(outcome.refused) == 4


def test_fault_partial_and_unknown_doc_ids(servers, teacher, test_pki, tmp_path):
    client, pendings, transaction = _batch(servers, teacher, "partial")
    outcome = apply(wait_done(client, transaction.ref), pendings)
    assert outcome.missing == [max(pendings)] and len(outcome.written) == 3
    client, pendings, transaction = _batch(servers, teacher, "unknown_doc")
    outcome = apply(wait_done(client, transaction.ref), pendings)
    assert outcome.strangers == ["NOT-SENT-1"] and len(outcome.written) == 4
    assert_xmlsec1(outcome, pendings, test_pki, tmp_path, limit=1)


@pytest.mark.parametrize("kind, message", [
    ("server_error", "internal error"),
    ("malformed_json", "not a JSON object"),
    ("huge", "more than 8 MiB"),
    ("timeout", "did not answer within 1 seconds"),
])
def test_fault_hostile_answers_then_a_clean_poll(servers, teacher, kind, message):
    params = {"seconds": 2.5, "timeout": 1} if kind == "timeout" else {}
    client, pendings, transaction = _batch(servers, teacher, kind, **params)
    time.sleep(0.5)
    with pytest.raises(RemoteSigningError, match=message):
        wait_done(client, transaction.ref)
    time.sleep(2.5 if kind == "timeout" else 0)
    again = adapter(servers["auto"]).poll(transaction.ref)  # the fault came once
    assert again.status == DONE and set(again.signatures) == set(pendings)


def test_fault_slow_approval_stays_pending(servers, teacher):
    client, _pendings, transaction = _batch(servers, teacher, "slow_approval", seconds=1.5)
    time.sleep(0.6)
    assert client.poll(transaction.ref).status == PENDING
    assert wait_done(client, transaction.ref).status == DONE


def test_fault_duplicate_webhook_gives_the_same_values(servers, teacher, receiver):
    client, pendings, transaction = _batch(servers, teacher, "duplicate_webhook")
    wait_done(client, transaction.ref)
    deadline = time.monotonic() + 10
    while len(receiver.for_transaction(transaction.ref)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    calls = receiver.for_transaction(transaction.ref)
    assert len(calls) == 2
    first, second = (client.parse_callback(body, headers) for body, headers in calls)
    assert first.signatures == second.signatures and set(first.signatures) == set(pendings)


def test_callbacks_must_be_authenticated(servers, teacher, receiver):
    client, _pendings, transaction = _batch(servers, teacher, "partial", count=1)
    wait_done(client, transaction.ref)
    deadline = time.monotonic() + 10
    while not receiver.for_transaction(transaction.ref) and time.monotonic() < deadline:
        time.sleep(0.05)
    body, headers = receiver.for_transaction(transaction.ref)[0]
    assert client.parse_callback(body, headers).ref == transaction.ref
    for bad_headers in ({}, {SIGNATURE_HEADER: "sha256=" + "0" * 64},
                        {SIGNATURE_HEADER: webhook_signature("guess", body)}):
        with pytest.raises(RemoteSigningError, match="signature is missing or wrong"):
            client.parse_callback(body, bad_headers)
    tampered = body.replace(b'"signed_files": [', b'"signed_files": [{"doc_id": "X", '
                                                  b'"signature_value": "AAAA"}, ')
    with pytest.raises(RemoteSigningError, match="missing or wrong"):
        client.parse_callback(tampered, headers)
    other_sp = json.dumps({**json.loads(body), "sp_id": "another"}).encode()
    with pytest.raises(RemoteSigningError, match="another school"):
        client.parse_callback(other_sp, {SIGNATURE_HEADER: webhook_signature(WEBHOOK_SECRET,
                                                                             other_sp)})
    for junk in (b"[]", b"{not json", b"\xff\xfe", json.dumps(
            {"sp_id": SP_ID, "transaction_id": "../x", "message": "SUCCESS"}).encode()):
        with pytest.raises(RemoteSigningError):
            client.parse_callback(junk, {SIGNATURE_HEADER: webhook_signature(WEBHOOK_SECRET,
                                                                             junk)})


def test_damaged_items_fail_alone(servers, teacher):
    """A callback (authenticated, so the provider's own bug) with base64 garbage, a doc_id given
    twice and a wrong type: item-level failures, or a RemoteSigningError, nothing else."""
    client = adapter(servers["auto"])
    good = "A" * 344
    body = json.dumps({"sp_id": SP_ID, "status_code": 200, "message": "SUCCESS",
                       "transaction_id": "tr1", "signed_files": [
                           {"doc_id": "D1", "signature_value": "!!notbase64"},
                           {"doc_id": "D2", "signature_value": good},
                           {"doc_id": "D2", "signature_value": good},
                           {"doc_id": "D3", "signature_value": good,
                            "timestamp_signature": 12}]}).encode()
    parsed = client.parse_callback(body, {SIGNATURE_HEADER: webhook_signature(WEBHOOK_SECRET,
                                                                              body)})
    assert parsed.signatures == {} and set(parsed.item_errors) == {"D1", "D2", "D3"}
    for files in ([1], "x", [{"doc_id": 5}], [{"signature_value": good}]):
        body = json.dumps({"sp_id": SP_ID, "message": "SUCCESS", "transaction_id": "tr1",
                           "signed_files": files}).encode()
        with pytest.raises(RemoteSigningError, match="wrong or missing"):
            client.parse_callback(body, {SIGNATURE_HEADER: webhook_signature(WEBHOOK_SECRET,
                                                                              body)})


def test_unreachable_provider_and_bad_settings():
    with pytest.raises(RemoteSigningError, match="cannot be reached"):
        adapter("http://127.0.0.1:%d" % free_port(), timeout=2).certificates(GVBM)
    with pytest.raises(RemoteSigningError, match="not a web address"):
        adapter("file:///etc/passwd")
    with pytest.raises(RemoteSigningError, match="is not set"):
        providers.make("smartca", "http://127.0.0.1:1", sp_id="", sp_password="")
    with pytest.raises(RemoteSigningError, match="incomplete or hold unknown keys"):
        providers.make("smartca", "http://127.0.0.1:1", sp_id="a", sp_password="b", pin="1")
    with pytest.raises(RemoteSigningError, match="Unknown signing provider"):
        providers.make("viettel", "http://127.0.0.1:1")
    assert SP_PASSWORD not in repr(adapter("http://127.0.0.1:1"))
