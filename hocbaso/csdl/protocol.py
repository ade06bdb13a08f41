"""The CSDL sync protocol: JSON over HTTPS, one record event per envelope.

No public API of the MOET sector database (CSDL ngành) was found, so this protocol is our own,
modelled on the TTDLQG record envelope (IdBanGhi / SuKien / PhienBan / ThoiGianCapNhat). A real
endpoint can be plugged in behind :class:`hocbaso.csdl.client.CsdlClient` without touching Odoo.

Endpoints (all bodies are UTF-8 JSON; errors are ``{"error": CODE, "message": TEXT}``)::

    POST /api/v1/auth/token       {client_id, client_secret, ma_truong}
                                  200 {access_token, token_type: "Bearer", expires_in}
                                  401 invalid_client   (unknown client id or wrong secret)
                                  403 school_not_allowed (client not registered for that school)
                                  404 unknown_school   (no school with that code)
    POST /api/v1/hocba            Authorization: Bearer TOKEN
                                  body: one envelope          -> 200 one receipt
                                  body: {"items": [envelopes]} -> 200 {"receipts": [...]}
                                  (1..100 items, same order; the batch is refused as a whole
                                  if any item is invalid: 422 with "index")
                                  400 bad_json, 401 invalid_token, 403 forbidden_school
                                  (envelope for another school), 413 too_large,
                                  422 invalid_envelope / sha256_mismatch / invalid_xml
    GET  /api/v1/hocba/{id}       200 {id_ban_ghi, phien_ban, trang_thai: "active"|"cancelled",
                                  sha256, received_at}; 404 record_not_found
    GET  /api/v1/hocsinh/{sdd}    identity check: 200 {so_dinh_danh, ho_va_ten, ngay_sinh,
                                  gioi_tinh}; 404 student_not_found
    GET  /api/v1/health           200 {status: "ok", service, protocol}

Envelope (JSON keys are the dataclass field names)::

    id_ban_ghi          unique record key (IdBanGhi), stable across versions
    su_kien             "NEW" | "UPDATE" | "CANCEL" (SuKien; CANCEL is a soft delete)
    phien_ban           int >= 1, grows with each event of the record (PhienBan)
    thoi_gian_cap_nhat  "YYYY-MM-DDTHH:mm:ss" (ThoiGianCapNhat, local time of the school)
    ma_truong, nam_hoc ("2024-2025"), so_dinh_danh (student's 12-digit personal ID)
    xml_b64             base64 of the signed record XML (may be empty for CANCEL)
    sha256              lowercase hex SHA-256 of the XML bytes (of b"" when empty)
    reason              why the record was cancelled (CANCEL only)

Receipt: ``{id_ban_ghi, phien_ban, status, receipt_id, received_at}`` where status is
"accepted" (stored as the newest version), "ignored_stale" (a version not above the one held:
acknowledged, nothing stored) or "duplicate" (same version and same sha256 as held: acknowledged,
nothing stored, receipt_id of the first delivery). All three mean "delivered": the sender can
stop resending. Because of this rule, resending after a timeout or a lost answer is always safe.

Receiver rules: the receiver ignores any version not above the one it holds; an UPDATE or CANCEL
for an unknown id is accepted (events may arrive out of order); a NEW for an existing id with a
higher version is treated as an UPDATE.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from ..errors import InvalidValueError

EVENT_NEW = "NEW"
EVENT_UPDATE = "UPDATE"
EVENT_CANCEL = "CANCEL"
EVENTS = (EVENT_NEW, EVENT_UPDATE, EVENT_CANCEL)

STATUS_ACCEPTED = "accepted"
STATUS_IGNORED_STALE = "ignored_stale"
STATUS_DUPLICATE = "duplicate"
RECEIPT_STATUSES = (STATUS_ACCEPTED, STATUS_IGNORED_STALE, STATUS_DUPLICATE)

RECORD_ACTIVE = "active"
RECORD_CANCELLED = "cancelled"

MAX_BATCH = 100
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"
_TIMESTAMP_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # safe in a URL path segment


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_timestamp(moment: datetime) -> str:
    return moment.strftime(TIMESTAMP_FORMAT)


def _check_timestamp(value, field_name, record_id):
    # strptime alone accepts "2024-1-5T1:2:3"; the regex pins the exact width.
    if not isinstance(value, str) or not _TIMESTAMP_RE.fullmatch(value):
        raise InvalidValueError(
            "Record %(id)s: %(field)s '%(value)s' must look like 2024-05-31T14:30:00.",
            id=record_id, field=field_name, value=value,
        )
    try:
        datetime.strptime(value, TIMESTAMP_FORMAT)
    except ValueError:
        raise InvalidValueError(
            "Record %(id)s: %(field)s '%(value)s' is not a real date and time.",
            id=record_id, field=field_name, value=value,
        ) from None


@dataclass
class SyncEnvelope:
    """One record event sent to the CSDL. Build it with :meth:`for_xml` to fill the hash."""

    id_ban_ghi: str
    su_kien: str
    phien_ban: int
    thoi_gian_cap_nhat: str
    ma_truong: str
    nam_hoc: str
    so_dinh_danh: str
    xml_b64: str = ""
    sha256: str = ""
    reason: str = ""

    @classmethod
    def for_xml(cls, xml: bytes | None, **values) -> "SyncEnvelope":
        """Envelope carrying ``xml`` (bytes or None for a CANCEL), with base64 and hash filled."""
        xml = xml or b""
        envelope = cls(
            xml_b64=base64.b64encode(xml).decode("ascii"), sha256=sha256_hex(xml), **values
        )
        # both were just made from the same bytes: validate() need not decode and hash again
        envelope._checked_xml = (envelope.xml_b64, envelope.sha256)
        envelope._decoded_xml = (envelope.xml_b64, xml)
        envelope.validate()
        return envelope

    def xml_bytes(self) -> bytes:
        """The XML carried; decoded once per text (validation, checks and storage all ask)."""
        decoded = getattr(self, "_decoded_xml", None)
        if decoded is not None and decoded[0] is self.xml_b64:
            return decoded[1]
        try:
            xml = base64.b64decode(self.xml_b64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValueError(
                "Record %(id)s: the XML is not valid base64. Build the envelope again.",
                id=self.id_ban_ghi,
            ) from None
        self._decoded_xml = (self.xml_b64, xml)
        return xml

    def validate(self) -> None:
        """Raise InvalidValueError naming the first broken field; also checks the XML hash."""
        record_id = self.id_ban_ghi
        for name in ("id_ban_ghi", "ma_truong", "nam_hoc", "so_dinh_danh", "su_kien"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise InvalidValueError(
                    "Record %(id)s: field %(field)s must be text.", id=record_id, field=name
                )
            if not value.strip():
                raise InvalidValueError(
                    "Record %(id)s: field %(field)s is missing.", id=record_id, field=name
                )
        for name in ("xml_b64", "sha256", "reason"):
            if not isinstance(getattr(self, name), str):
                raise InvalidValueError(
                    "Record %(id)s: field %(field)s must be text.", id=record_id, field=name
                )
        if not _ID_RE.fullmatch(record_id):
            raise InvalidValueError(
                "Record id '%(id)s' may only contain letters, digits and . _ : - "
                "(at most 128 characters).",
                id=record_id,
            )
        if self.su_kien not in EVENTS:
            raise InvalidValueError(
                "Record %(id)s: event '%(value)s' is unknown; use NEW, UPDATE or CANCEL.",
                id=record_id, value=self.su_kien,
            )
        if isinstance(self.phien_ban, bool) or not isinstance(self.phien_ban, int) \
                or self.phien_ban < 1:
            raise InvalidValueError(
                "Record %(id)s: version '%(value)s' must be a whole number of at least 1.",
                id=record_id, value=self.phien_ban,
            )
        _check_timestamp(self.thoi_gian_cap_nhat, "thoi_gian_cap_nhat", record_id)
        if not _SHA256_RE.fullmatch(self.sha256):
            raise InvalidValueError(
                "Record %(id)s: sha256 must be 64 lowercase hexadecimal characters.",
                id=record_id,
            )
        checked = (self.xml_b64, self.sha256)
        if getattr(self, "_checked_xml", None) == checked and \
                (self.xml_b64 or self.su_kien == EVENT_CANCEL):
            return  # this very text and hash were checked already (a batch is validated twice)
        xml = self.xml_bytes()
        if not xml and self.su_kien != EVENT_CANCEL:
            raise InvalidValueError(
                "Record %(id)s: a %(event)s event must carry the signed XML.",
                id=record_id, event=self.su_kien,
            )
        if sha256_hex(xml) != self.sha256:
            raise InvalidValueError(
                "Record %(id)s: the sha256 does not match the XML; the file was changed or "
                "damaged on the way. Send it again.",
                id=record_id,
            )
        self._checked_xml = checked

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data) -> "SyncEnvelope":
        if not isinstance(data, dict):
            raise InvalidValueError("An envelope must be a JSON object.")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidValueError(
                "Unknown envelope field(s): %(fields)s.", fields=", ".join(unknown)
            )
        required = names - {"xml_b64", "sha256", "reason"}
        missing = sorted(required - set(data))
        if missing:
            raise InvalidValueError(
                "Record %(id)s: missing envelope field(s): %(fields)s.",
                id=data.get("id_ban_ghi", "?"), fields=", ".join(missing),
            )
        envelope = cls(**data)
        envelope.validate()
        return envelope

    @classmethod
    def from_json(cls, text: str | bytes) -> "SyncEnvelope":
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise InvalidValueError("The envelope is not valid JSON.") from None
        return cls.from_dict(data)


@dataclass
class Receipt:
    """The CSDL's acknowledgement of one envelope. Every status means "delivered"."""

    id_ban_ghi: str
    phien_ban: int
    status: str
    receipt_id: str
    received_at: str

    @property
    def delivered(self) -> bool:
        return self.status in RECEIPT_STATUSES

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data) -> "Receipt":
        names = [f.name for f in fields(cls)]
        if not isinstance(data, dict) or any(name not in data for name in names):
            raise InvalidValueError("The CSDL receipt is incomplete: %(data)s.", data=data)
        receipt = cls(**{name: data[name] for name in names})
        if receipt.status not in RECEIPT_STATUSES:
            raise InvalidValueError(
                "The CSDL answered with an unknown receipt status '%(value)s'.",
                value=receipt.status,
            )
        if isinstance(receipt.phien_ban, bool) or not isinstance(receipt.phien_ban, int):
            raise InvalidValueError(
                "The CSDL receipt has a bad version '%(value)s'.", value=receipt.phien_ban
            )
        _check_timestamp(receipt.received_at, "received_at", receipt.id_ban_ghi)
        return receipt

    @classmethod
    def from_json(cls, text: str | bytes) -> "Receipt":
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise InvalidValueError("The CSDL receipt is not valid JSON.") from None
        return cls.from_dict(data)
