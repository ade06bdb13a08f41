"""The CSDL envelope and receipt: JSON round trip and validation; the retry back-off helper."""

import base64
import hashlib
import json
import random

import pytest

from hocbaso.csdl.client import backoff_delay
from hocbaso.csdl.protocol import Receipt, SyncEnvelope
from hocbaso.errors import InvalidValueError

XML = "<?xml version='1.0' encoding='UTF-8'?><HOC_BA><HO_TEN>Nguyễn Thị Ánh</HO_TEN></HOC_BA>"
XML_BYTES = XML.encode("utf-8")


def envelope(**overrides):
    values = dict(id_ban_ghi="hb-2024-0001", su_kien="NEW", phien_ban=1,
                  thoi_gian_cap_nhat="2024-05-31T14:30:00", ma_truong="79000001",
                  nam_hoc="2023-2024", so_dinh_danh="079215001234")
    values.update(overrides)
    xml = values.pop("xml", XML_BYTES)
    return SyncEnvelope.for_xml(xml, **values)


def test_for_xml_fills_base64_and_hash():
    env = envelope()
    assert env.sha256 == hashlib.sha256(XML_BYTES).hexdigest()
    assert base64.b64decode(env.xml_b64) == XML_BYTES
    assert env.xml_bytes() == XML_BYTES


def test_validate_checks_the_xml_again_once_it_was_changed():
    """validate() skips decoding and hashing a text it has already checked (a batch is
    validated when built and again before sending), never one changed since."""
    env = envelope()
    env.validate()
    other = base64.b64encode(XML_BYTES.replace(b"Nguy", b"Tr")).decode("ascii")
    env.xml_b64 = other
    with pytest.raises(InvalidValueError, match="sha256 does not match"):
        env.validate()
    env.xml_b64 = base64.b64encode(XML_BYTES).decode("ascii")  # equal text, a new string
    env.validate()
    env.sha256 = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(InvalidValueError, match="sha256 does not match"):
        env.validate()
    env.sha256 = hashlib.sha256(XML_BYTES).hexdigest()
    env.xml_b64 = ""
    with pytest.raises(InvalidValueError, match="must carry the signed XML"):
        env.validate()
    env.xml_b64 = other
    assert env.xml_bytes() == XML_BYTES.replace(b"Nguy", b"Tr"), "decoded again once changed"


def test_json_round_trip_keeps_every_field_and_vietnamese_text():
    env = envelope(su_kien="CANCEL", phien_ban=3, xml=None, reason="Sai điểm môn Toán")
    text = env.to_json()
    assert "Sai điểm môn Toán" in text  # not \u-escaped: readable in logs and the outbox
    assert set(json.loads(text)) == {"id_ban_ghi", "su_kien", "phien_ban", "thoi_gian_cap_nhat",
                                     "ma_truong", "nam_hoc", "so_dinh_danh", "xml_b64", "sha256",
                                     "reason"}
    assert SyncEnvelope.from_json(text) == env
    assert SyncEnvelope.from_json(text.encode("utf-8")) == env


def test_cancel_may_carry_no_xml():
    env = envelope(su_kien="CANCEL", phien_ban=2, xml=b"", reason="Thu hồi")
    assert env.xml_b64 == ""
    assert env.sha256 == hashlib.sha256(b"").hexdigest()


@pytest.mark.parametrize("overrides, fragment", [
    ({"phien_ban": 0}, "at least 1"),
    ({"phien_ban": -3}, "at least 1"),
    ({"phien_ban": "2"}, "whole number"),
    ({"phien_ban": True}, "whole number"),
    ({"su_kien": "DELETE"}, "use NEW, UPDATE or CANCEL"),
    ({"su_kien": "update"}, "use NEW, UPDATE or CANCEL"),
    ({"thoi_gian_cap_nhat": "2024-05-31 14:30:00"}, "must look like 2024-05-31T14:30:00"),
    ({"thoi_gian_cap_nhat": "2024-5-31T14:30:00"}, "must look like"),
    ({"thoi_gian_cap_nhat": "2024-02-30T10:00:00"}, "not a real date"),
    ({"thoi_gian_cap_nhat": "2024-05-31T14:30:00Z"}, "must look like"),
    ({"ma_truong": ""}, "ma_truong is missing"),
    ({"id_ban_ghi": "a/b"}, "may only contain"),
    ({"su_kien": "UPDATE", "xml": b""}, "must carry the signed XML"),
])
def test_invalid_envelopes_are_refused_with_the_field_named(overrides, fragment):
    with pytest.raises(InvalidValueError) as info:
        envelope(**overrides)
    assert fragment in info.value.message


def test_hash_mismatch_and_bad_base64_are_refused():
    data = envelope().to_dict()
    data["xml_b64"] = base64.b64encode(XML_BYTES + b" ").decode()
    with pytest.raises(InvalidValueError, match="sha256 does not match"):
        SyncEnvelope.from_dict(data)
    data["xml_b64"] = "***not base64***"
    with pytest.raises(InvalidValueError, match="not valid base64"):
        SyncEnvelope.from_dict(data)
    data = envelope().to_dict()
    data["sha256"] = data["sha256"].upper()
    with pytest.raises(InvalidValueError, match="64 lowercase hexadecimal"):
        SyncEnvelope.from_dict(data)


def test_from_json_refuses_unknown_missing_fields_and_bad_json():
    data = envelope().to_dict()
    with pytest.raises(InvalidValueError, match="Unknown envelope field"):
        SyncEnvelope.from_dict({**data, "extra": 1})
    del data["phien_ban"]
    with pytest.raises(InvalidValueError, match="missing envelope field.*phien_ban"):
        SyncEnvelope.from_dict(data)
    with pytest.raises(InvalidValueError, match="not valid JSON"):
        SyncEnvelope.from_json("{")
    with pytest.raises(InvalidValueError, match="JSON object"):
        SyncEnvelope.from_json("[1]")


def test_receipt_round_trip_and_validation():
    receipt = Receipt("hb-1", 2, "duplicate", "abc123", "2024-06-01T08:00:00")
    assert Receipt.from_json(receipt.to_json()) == receipt
    assert receipt.delivered
    with pytest.raises(InvalidValueError, match="unknown receipt status 'lost'"):
        Receipt.from_dict({**receipt.to_dict(), "status": "lost"})
    with pytest.raises(InvalidValueError, match="incomplete"):
        Receipt.from_dict({"id_ban_ghi": "hb-1"})
    with pytest.raises(InvalidValueError, match="bad version"):
        Receipt.from_dict({**receipt.to_dict(), "phien_ban": "2"})


def test_backoff_delay_grows_exponentially_then_caps():
    delays = [backoff_delay(n, base=30, cap=3600, jitter=0) for n in range(1, 10)]
    assert delays[:5] == [30, 60, 120, 240, 480]
    assert delays[-1] == 3600 and max(delays) == 3600
    assert all(a <= b for a, b in zip(delays, delays[1:]))
    assert backoff_delay(10_000, jitter=0) == 3600  # no overflow on huge attempt counts
    assert backoff_delay(0, jitter=0) == 30  # "attempt 0" is treated as the first retry


def test_backoff_delay_jitter_stays_within_bounds_and_cap():
    rng = random.Random(7)
    samples = [backoff_delay(3, base=30, cap=3600, jitter=0.1, rng=rng) for _ in range(200)]
    assert all(108 <= s <= 132 for s in samples)
    assert len(set(samples)) > 100  # really spread, not a constant
    capped = [backoff_delay(50, jitter=0.5, rng=rng) for _ in range(50)]
    assert all(s <= 3600 for s in capped)
