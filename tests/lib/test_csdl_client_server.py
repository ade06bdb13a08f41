"""CsdlClient against the real reference CSDL server, running as its own process on 127.0.0.1."""

import base64
import json
import logging
import socket
import subprocess
import sys
import time

import pytest
import requests

from hocbaso.csdl.client import CsdlClient
from hocbaso.csdl.protocol import SyncEnvelope
from hocbaso.csdl.testing import CsdlServerProcess
from hocbaso.errors import CsdlError

SCHOOL_A, SCHOOL_B = "79000001", "01000002"
SECRET_A = "s3cret:with-colon"
CLIENTS = [("school-a", SECRET_A, SCHOOL_A), ("school-b", "secret-b", SCHOOL_B)]


def record_xml(name="Nguyễn Thị Ánh", math="8.5"):
    return ("<?xml version='1.0' encoding='UTF-8'?>"
            "<HOC_BA xmlns='urn:hocbaso:1.0' phienban='hocbaso-1.0'><DU_LIEU_HOC_BA>"
            f"<HO_TEN>{name}</HO_TEN><MON ma='TOAN'><DIEM>{math}</DIEM></MON>"
            "</DU_LIEU_HOC_BA><CHU_KY/></HOC_BA>").encode("utf-8")


def envelope(record_id="hb-0001", event="NEW", version=1, xml=None, school=SCHOOL_A, **extra):
    if xml is None and event != "CANCEL":
        xml = record_xml(math=f"{5 + version % 5}.0")
    return SyncEnvelope.for_xml(
        xml, id_ban_ghi=record_id, su_kien=event, phien_ban=version,
        thoi_gian_cap_nhat=f"2024-06-0{min(version, 9)}T09:00:00", ma_truong=school,
        nam_hoc="2023-2024", so_dinh_danh="079215001234", **extra)


@pytest.fixture(scope="module")
def csdl(tmp_path_factory):
    with CsdlServerProcess(tmp_path_factory.mktemp("csdl"), clients=CLIENTS) as server:
        yield server


@pytest.fixture(autouse=True)
def clean(csdl):
    csdl.reset()
    yield


@pytest.fixture
def client(csdl):
    return CsdlClient(csdl.base_url, "school-a", SECRET_A, SCHOOL_A, timeout=(2, 5))


def only(csdl, record_id):
    found = csdl.record(record_id)
    assert found is not None, f"the server holds no record {record_id}"
    return found


# -- authentication ------------------------------------------------------------------------------

def test_connection_ok_gives_a_sentence(client):
    sentence = client.test_connection()
    assert "Connected" in sentence and SCHOOL_A in sentence


def test_bad_secret_is_a_clear_permanent_error(csdl, caplog):
    caplog.set_level(logging.DEBUG)
    client = CsdlClient(csdl.base_url, "school-a", "wrong-secret-xyz", SCHOOL_A)
    with pytest.raises(CsdlError) as info:
        client.send(envelope())
    assert info.value.transient is False
    assert info.value.message == ("The CSDL refused the credentials for school 79000001: "
                                  "check the client id and secret.")
    assert "wrong-secret-xyz" not in caplog.text + info.value.message + repr(client)
    assert csdl.records() == []


def test_unknown_school_code_is_named(csdl):
    client = CsdlClient(csdl.base_url, "school-a", SECRET_A, "79999999")
    with pytest.raises(CsdlError) as info:
        client.test_connection()
    assert info.value.transient is False
    assert info.value.message == "The CSDL does not know school code 79999999."


def test_credentials_of_another_school_are_refused(csdl):
    client = CsdlClient(csdl.base_url, "school-a", SECRET_A, SCHOOL_B)
    with pytest.raises(CsdlError) as info:
        client.test_connection()
    assert not info.value.transient
    assert "refused the credentials for school 01000002" in info.value.message


def test_token_is_cached_and_renewed_once_after_401(csdl, caplog):
    caplog.set_level(logging.DEBUG)
    session = requests.Session()
    calls = []
    session.hooks["response"].append(lambda r, *a, **k: calls.append(r.request.path_url))
    client = CsdlClient(csdl.base_url, "school-a", SECRET_A, SCHOOL_A, session=session)
    client.send(envelope("hb-1"))
    client.send(envelope("hb-2"))
    assert calls.count("/api/v1/auth/token") == 1  # cached between calls
    assert csdl.expire_tokens() >= 1
    assert client.send(envelope("hb-3")).status == "accepted"
    assert calls.count("/api/v1/auth/token") == 2  # renewed once after the 401
    assert calls[-3:] == ["/api/v1/hocba", "/api/v1/auth/token", "/api/v1/hocba"]
    assert SECRET_A not in caplog.text


def test_record_of_another_school_is_refused_permanently(client, csdl):
    with pytest.raises(CsdlError) as info:
        client.send(envelope(school=SCHOOL_B))
    assert not info.value.transient and info.value.status_code == 403
    assert "not for school 79000001" in info.value.message
    assert csdl.records() == []


# -- version rules -------------------------------------------------------------------------------

def test_new_then_update_then_stale_then_duplicate_then_cancel(client, csdl):
    first = client.send(envelope(version=1))
    assert first.status == "accepted" and first.phien_ban == 1
    v2 = envelope(event="UPDATE", version=2)
    second = client.send(v2)
    assert second.status == "accepted"
    assert client.status("hb-0001")["phien_ban"] == 2

    stale = client.send(envelope(version=1))
    assert stale.status == "ignored_stale"
    assert only(csdl, "hb-0001")["phien_ban"] == 2

    again = client.send(v2)
    assert again.status == "duplicate" and again.receipt_id == second.receipt_id
    stored = only(csdl, "hb-0001")
    assert [v["phien_ban"] for v in stored["versions"]] == [1, 2]
    assert stored["versions"][1]["accepted_deliveries"] == 1
    assert stored["deliveries"] == {"accepted": 2, "ignored_stale": 1, "duplicate": 1}

    # Same version with other content is not a duplicate: it is stale, nothing replaced.
    changed = envelope(event="UPDATE", version=2, xml=record_xml(math="2.0"))
    assert client.send(changed).status == "ignored_stale"
    assert only(csdl, "hb-0001")["sha256"] == v2.sha256

    cancel = client.send(envelope(event="CANCEL", version=3, reason="Nhập sai điểm Toán"))
    assert cancel.status == "accepted"
    state = client.status("hb-0001")
    assert state["trang_thai"] == "cancelled" and state["phien_ban"] == 3
    history = only(csdl, "hb-0001")["versions"]
    assert [(v["phien_ban"], v["su_kien"]) for v in history] == \
        [(1, "NEW"), (2, "UPDATE"), (3, "CANCEL")]
    assert history[1]["xml_size"] == len(v2.xml_bytes()) and history[2]["xml_size"] == 0
    assert history[2]["reason"] == "Nhập sai điểm Toán"
    assert "xml_b64" not in history[1]  # the listing reads the documents only when asked
    with_xml = next(r for r in csdl.records(with_xml=True) if r["id_ban_ghi"] == "hb-0001")
    assert base64.b64decode(with_xml["versions"][1]["xml_b64"]) == v2.xml_bytes()


def test_out_of_order_events_are_accepted(client, csdl):
    assert client.send(envelope("hb-late", event="UPDATE", version=4)).status == "accepted"
    assert client.send(envelope("hb-gone", event="CANCEL", version=2)).status == "accepted"
    assert client.status("hb-gone")["trang_thai"] == "cancelled"
    # A NEW with a higher version than held behaves like an UPDATE.
    assert client.send(envelope("hb-late", event="NEW", version=5)).status == "accepted"
    assert only(csdl, "hb-late")["phien_ban"] == 5
    assert client.send(envelope("hb-late", event="NEW", version=1)).status == "ignored_stale"


def test_status_and_lookup_of_unknown_items_give_none(client, csdl):
    assert client.status("hb-never-sent") is None
    csdl.seed_students([{"so_dinh_danh": "079215001234", "ho_va_ten": "Nguyễn Thị Ánh",
                         "ngay_sinh": "2015-09-02", "gioi_tinh": "Nữ"}])
    found = client.lookup_student("079215001234")
    assert found == {"so_dinh_danh": "079215001234", "ho_va_ten": "Nguyễn Thị Ánh",
                     "ngay_sinh": "2015-09-02", "gioi_tinh": "Nữ"}
    assert client.lookup_student("001099000000") is None


def test_other_school_cannot_read_the_record(client, csdl):
    client.send(envelope())
    other = CsdlClient(csdl.base_url, "school-b", "secret-b", SCHOOL_B)
    assert other.status("hb-0001") is None


@pytest.mark.parametrize("xml, fragment", [
    (b"<HOC_BA><unclosed></HOC_BA>", "well-formed"),
    (b"<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><r>&x;</r>",
     "Record hb-0001:"),
])
def test_bad_xml_is_refused_permanently(client, csdl, xml, fragment):
    with pytest.raises(CsdlError) as info:
        client.send(envelope(xml=xml))
    assert info.value.transient is False and info.value.status_code == 422
    assert info.value.error_code == "invalid_xml"
    assert "hb-0001" in info.value.message and fragment in info.value.message
    assert "root:" not in info.value.message  # /etc/passwd never read
    assert csdl.records() == []


def test_batch_send_in_chunks_keeps_order_and_is_idempotent(client, csdl):
    envelopes = [envelope(f"hb-{n:04d}") for n in range(150)]
    receipts = client.send_batch(envelopes)
    assert [r.id_ban_ghi for r in receipts] == [e.id_ban_ghi for e in envelopes]
    assert {r.status for r in receipts} == {"accepted"}
    assert len(csdl.records()) == 150
    again = client.send_batch(envelopes[:100])
    assert {r.status for r in again} == {"duplicate"}
    assert all(r["versions"][0]["accepted_deliveries"] == 1 for r in csdl.records())


def test_batch_with_one_bad_item_is_refused_whole(client, csdl):
    items = [envelope("hb-ok"), envelope("hb-bad", xml=b"<oops>")]
    with pytest.raises(CsdlError) as info:
        client.send_batch(items)
    assert not info.value.transient and "hb-bad" in info.value.message
    assert info.value.id_ban_ghi == "hb-bad"  # the cron can fail that entry, resend the rest
    assert csdl.records() == []
    assert [r.status for r in client.send_batch(items[:1])] == ["accepted"]


# -- faults --------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode, committed", [
    ("http500", False), ("http429", False), ("malformed", True), ("drop_after_commit", True),
])
def test_fault_is_transient_and_resend_stores_once(client, csdl, mode, committed):
    csdl.set_faults(mode, count=1, delay=1)
    env = envelope()
    with pytest.raises(CsdlError) as info:
        client.send(env)
    assert info.value.transient is True
    assert (csdl.record("hb-0001") is not None) == committed
    receipt = client.send(env)  # the retry the cron would do
    assert receipt.status == ("duplicate" if committed else "accepted")
    stored = only(csdl, "hb-0001")
    assert len(stored["versions"]) == 1 and stored["versions"][0]["accepted_deliveries"] == 1


def test_429_reads_retry_after(client, csdl):
    csdl.set_faults("http429", count=1, delay=7)
    with pytest.raises(CsdlError) as info:
        client.send(envelope())
    assert info.value.transient and info.value.status_code == 429
    assert info.value.retry_after == 7.0
    assert "7 seconds" in info.value.message


def test_timeout_is_transient_and_nothing_is_stored_twice(csdl):
    client = CsdlClient(csdl.base_url, "school-a", SECRET_A, SCHOOL_A, timeout=(2, 0.3))
    client.test_connection()
    csdl.set_faults("timeout", count=1, delay=1.0)
    env = envelope()
    started = time.monotonic()
    with pytest.raises(CsdlError) as info:
        client.send(env)
    assert info.value.transient and "did not answer in time" in info.value.message
    assert time.monotonic() - started < 1.0  # the client's timeout, not the server's sleep
    assert client.send(env).status in ("accepted", "duplicate")
    deadline = time.monotonic() + 10  # let the slow request finish on the server
    while sum(only(csdl, "hb-0001")["deliveries"].values()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    stored = only(csdl, "hb-0001")
    assert stored["versions"][0]["accepted_deliveries"] == 1
    assert sum(stored["deliveries"].values()) == 2


def test_slow_answer_within_timeout_succeeds(client, csdl):
    csdl.set_faults("slow", count=1, delay=0.3)
    started = time.monotonic()
    assert client.send(envelope()).status == "accepted"
    assert time.monotonic() - started >= 0.3
    assert csdl.faults()["mode"] == "none"


def test_fault_count_then_back_to_normal(client, csdl):
    csdl.set_faults("http500", count=2)
    for _ in range(2):
        with pytest.raises(CsdlError) as info:
            client.send(envelope())
        assert info.value.transient and info.value.status_code == 500
    assert client.send(envelope()).status == "accepted"


def test_unreachable_server_is_transient():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = CsdlClient(f"http://127.0.0.1:{port}", "x", "y", SCHOOL_A, timeout=(1, 1))
    with pytest.raises(CsdlError) as info:
        client.test_connection()
    assert info.value.transient and "Could not reach the CSDL" in info.value.message


# -- the server process itself -------------------------------------------------------------------

def test_clients_file_startup_faults_and_persistence(tmp_path):
    clients_file = tmp_path / "clients.json"
    clients_file.write_text(json.dumps({"clients": [
        {"client_id": "f1", "client_secret": "file-secret", "ma_truong": SCHOOL_B}]}))
    args = ["--clients", str(clients_file), "--fault-mode", "http500", "--fault-count", "1"]
    with CsdlServerProcess(tmp_path, extra_args=args) as server:
        client = CsdlClient(server.base_url, "f1", "file-secret", SCHOOL_B)
        with pytest.raises(CsdlError) as info:
            client.send(envelope(school=SCHOOL_B))
        assert info.value.status_code == 500
        assert client.send(envelope(school=SCHOOL_B)).status == "accepted"
    with CsdlServerProcess(tmp_path, extra_args=["--clients", str(clients_file)]) as server:
        client = CsdlClient(server.base_url, "f1", "file-secret", SCHOOL_B)
        assert client.status("hb-0001")["phien_ban"] == 1  # survived the restart


def test_server_refuses_to_bind_beyond_loopback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hocbaso.csdl.server", "--host", "0.0.0.0", "--port", "0",
         "--db", str(tmp_path / "x.sqlite")], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2
    assert "only binds to 127.0.0.1" in result.stderr
