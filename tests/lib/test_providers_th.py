"""VNPT SmartCA TH: the user's password and a TOTP code sign a batch at once, against the
strict stand-in process; faults refused or handled, nothing written that does not verify."""

from __future__ import annotations

import hashlib
import time

import pytest
from provider_fixtures import (
    GVBM,
    GVBM_SUBJECT,
    SP_ID,
    SP_PASSWORD,
    apply,
    assert_xmlsec1,
    fault,
    pending_batch,
    start,
    stop,
)

from hocbaso.signing import providers
from hocbaso.signing.batch import DONE, EXPIRED, REJECTED, BatchItem
from hocbaso.signing.providers.smartca_th import split_secret
from hocbaso.signing.providers.totp import check_totp, standin_key, totp
from hocbaso.errors import RemoteSigningError

MODULE = "hocbaso.signing.standins.smartca"
PASSWORD = "1234"  # the test PKI's password, the stand-in's account password

OTHER = "001186004521"  # Lê Thị Minh Nguyệt: batches of plain digests, no record
_used: set = set()


def fresh_otp(user: str = GVBM) -> str:
    """A code the stand-in accepts and has not seen yet: the current step's, or the one just
    before or after it (the window the stand-in allows); else wait for the next step."""
    while True:
        now = time.time()
        for shift in (0, -1, 1):
            step = int(now // 30) + shift
            if (user, step) not in _used and 2 < now % 30 < 28:
                _used.add((user, step))
                return totp(standin_key(user), step * 30)
        time.sleep(1)


@pytest.fixture(scope="module")
def server(pki_dir):
    started = [start(MODULE, pki_dir, "--sp-id", SP_ID, "--sp-password", SP_PASSWORD)]
    yield started[0][1]
    stop(started)


def adapter(url, **extra):
    return providers.make("smartca_th", url, sp_id=SP_ID, sp_password=SP_PASSWORD, **extra)


def test_totp_follows_rfc_6238():
    key = b"12345678901234567890"  # the RFC's SHA-1 test vectors, 8 digits
    for at, code in ((59, "94287082"), (1111111109, "07081804"), (2000000000, "69279037")):
        assert totp(key, at, digits=8) == code
    assert check_totp(key, totp(key, 1000), at=1029) and not check_totp(key, "000000", 1000)


def test_password_and_code_sign_the_batch_at_once(server, test_pki, tmp_path):
    client = adapter(server)
    assert client.approval == "otp"
    certificate = client.certificates(GVBM)[0][0]
    pendings, items = pending_batch(certificate, GVBM_SUBJECT, 5, prefix="TH")
    transaction = client.submit(GVBM, certificate, items, "Học bạ 9A1",
                                secret=providers.th_secret(PASSWORD, fresh_otp()))
    assert transaction.status == DONE
    outcome = apply(transaction, pendings)
    assert len(outcome.written) == 5 and not outcome.refused
    assert_xmlsec1(outcome, pendings, test_pki, tmp_path, limit=2)
    again = client.poll(transaction.ref)  # the status endpoint gives the same values
    assert again.signatures == transaction.signatures


def test_wrong_password_code_reuse_and_secret_shape(server):
    client = adapter(server)
    certificate = client.certificates(OTHER)[0][0]
    items = [BatchItem("T-1", hashlib.sha256(b"1").digest())]
    code = fresh_otp(OTHER)
    with pytest.raises(RemoteSigningError, match="refused the school's account .* or does "
                                                 "not know the user"):
        client.submit(OTHER, certificate, items, "x", providers.th_secret("9999", code))
    with pytest.raises(RemoteSigningError, match="Invalid OTP"):
        client.submit(OTHER, certificate, items, "x",
                      providers.th_secret(PASSWORD, "%06d" % ((int(code) + 1) % 10 ** 6)))
    assert client.submit(OTHER, certificate, items, "x",
                         providers.th_secret(PASSWORD, code)).status == DONE
    with pytest.raises(RemoteSigningError, match="OTP already used"):
        client.submit(OTHER, certificate, items, "x", providers.th_secret(PASSWORD, code))
    for secret in ("", "123456", PASSWORD + "\nabcdef", PASSWORD + "\n12"):
        with pytest.raises(RemoteSigningError, match="one-time code"):
            client.submit(OTHER, certificate, items, "x", secret)
    assert split_secret("pass\nword\n123456") == ("pass\nword", "123456")


@pytest.mark.parametrize("kind, status", [("rejected", REJECTED), ("expired", EXPIRED)])
def test_fault_rejected_and_expired(server, kind, status):
    fault(server, kind)
    client = adapter(server)
    certificate = client.certificates(OTHER)[0][0]
    items = [BatchItem("F-1", hashlib.sha256(b"1").digest())]
    transaction = client.submit(OTHER, certificate, items, "x",
                                providers.th_secret(PASSWORD, fresh_otp(OTHER)))
    assert transaction.status == status and not transaction.signatures


def test_fault_hostile_confirm_answer_and_wrong_value(server):
    """A confirm answer that is not JSON refuses the batch; a value of another hash is not
    written, the others are."""
    fault(server, "malformed_json")
    client = adapter(server)
    certificate = client.certificates(GVBM)[0][0]
    pendings, items = pending_batch(certificate, GVBM_SUBJECT, 3, prefix="THM")
    with pytest.raises(RemoteSigningError, match="not a JSON object"):
        client.submit(GVBM, certificate, items, "x", providers.th_secret(PASSWORD, fresh_otp()))
    fault(server, "wrong_signature")
    pendings, items = pending_batch(certificate, GVBM_SUBJECT, 3, prefix="THW")
    transaction = client.submit(GVBM, certificate, items, "x",
                                providers.th_secret(PASSWORD, fresh_otp()))
    outcome = apply(transaction, pendings)
    assert list(outcome.refused) == [min(pendings)] and len(outcome.written) == 2
