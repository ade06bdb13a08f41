"""What a verification found, as data: per signature and for the whole document.

Kept apart from the checks (hocbaso.verify) so the Odoo layer, the CLI and a stored report
(``to_data``/``from_data``: a transfer's verification at import, shown later in the reader's
language) share one definition.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .errors import Problem
from .roles import role_label


def _to_data(value):
    if isinstance(value, Problem):
        return value.to_data()
    if isinstance(value, list):
        return [_to_data(item) for item in value]
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    return value


def _from_data(value):
    if isinstance(value, list):
        return [_from_data(item) for item in value]
    if isinstance(value, dict):
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        return Problem.from_data(value)
    return value


@dataclass
class SignatureReport:
    role: str
    slot: str  # XPath of the slot element
    signature_id: str
    subject_code: str = ""  # GVBM only
    signer_name: str = ""
    personal_id: str = ""  # CCCD/CMND number from the certificate
    tax_code: str = ""  # MST of an organisation certificate
    certificate_subject: str = ""
    certificate_issuer: str = ""
    certificate_serial: str = ""
    signing_time: dt.datetime | None = None  # from XAdES SigningTime
    chain_ok: bool = False
    chain_result: str = ""
    digests_ok: bool = False
    signature_ok: bool = False
    xades_ok: bool = False
    coverage_ok: bool = False  # references exactly what the role must cover
    references: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # an RFC 3161 SignatureTimeStamp (XAdES-T): the time it proves, and by which authority
    timestamp_time: dt.datetime | None = None
    timestamp_proven: bool = False
    timestamp_authority: str = ""
    warnings: list[str] = field(default_factory=list)  # do not make the signature invalid
    # the kept validation data (XAdES-LT) that proved each certificate's status, if any
    revocation_sources: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors and self.chain_ok and self.digests_ok and self.signature_ok \
            and self.xades_ok and self.coverage_ok

    @property
    def role_label(self) -> str:
        return role_label(self.role, self.subject_code)

    def to_data(self) -> dict:
        """JSON data to keep and read back with ``from_data``, problems still translatable."""
        return {key: _to_data(value) for key, value in self.__dict__.items()}

    @classmethod
    def from_data(cls, data: dict) -> "SignatureReport":
        names = set(cls.__dataclass_fields__)
        return cls(**{key: _from_data(value) for key, value in data.items() if key in names})

    def to_dict(self) -> dict:
        data = {k: v for k, v in self.__dict__.items()}
        data["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        data["timestamp_time"] = self.timestamp_time.isoformat() if self.timestamp_time else None
        data["valid"] = self.valid
        return data


@dataclass
class VerificationReport:
    signatures: list[SignatureReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # document-level problems
    warnings: list[str] = field(default_factory=list)
    intact: bool = False  # every reference digest of every signature matches
    order_ok: bool = False
    signed_roles: list[str] = field(default_factory=list)  # "gvbm:TOAN", "gvcn", ...
    missing: list[str] = field(default_factory=list)  # labels of slots not signed yet
    source: str = ""  # the file inside a package, when verifying a zip
    # validation data kept in the issuer's signature, and the archive timestamps' times
    kept_certificates: int = 0
    kept_crls: int = 0
    kept_ocsp: int = 0
    archive_times: list[dt.datetime] = field(default_factory=list)
    archive_authorities: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing and bool(self.signatures)

    @property
    def valid(self) -> bool:
        return (not self.errors and bool(self.signatures) and self.intact and self.order_ok
                and all(s.valid for s in self.signatures))

    def to_data(self) -> dict:
        """JSON data to keep (a transfer's verification at import) and read back later with
        ``from_data``, its problems shown in the reader's language."""
        data = {key: _to_data(value) for key, value in self.__dict__.items()
                if key != "signatures"}
        data["signatures"] = [signature.to_data() for signature in self.signatures]
        return data

    @classmethod
    def from_data(cls, data: dict) -> "VerificationReport":
        names = set(cls.__dataclass_fields__) - {"signatures"}
        report = cls(**{key: _from_data(value) for key, value in data.items() if key in names})
        report.signatures = [SignatureReport.from_data(item) for item in data.get("signatures", [])]
        return report

    def to_dict(self) -> dict:
        return {
            "valid": self.valid,
            "intact": self.intact,
            "order_ok": self.order_ok,
            "complete": self.complete,
            "signed_roles": self.signed_roles,
            "missing": self.missing,
            "errors": self.errors,
            "warnings": self.warnings,
            "source": self.source,
            "kept_certificates": self.kept_certificates,
            "kept_crls": self.kept_crls,
            "kept_ocsp": self.kept_ocsp,
            "archive_times": [moment.isoformat() for moment in self.archive_times],
            "archive_authorities": self.archive_authorities,
            "signatures": [s.to_dict() for s in self.signatures],
        }
