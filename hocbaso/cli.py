"""hocbaso-verify: check the signatures of a record file (XML) or record package (zip).

Exit status: 0 when every signature is valid and the record is intact, 1 on any failure,
2 on a usage or file error. Labels are Vietnamese with the English in parentheses.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import pathlib
import sys

from cryptography import x509

from .errors import CertificateError
from .roles import ROLES
from .signing import certs
from .timeutil import parse_iso, vn_datetime
from .verify import UNPROVEN_TIME, verify_document, verify_package
from .verify_report import VerificationReport

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

ROLE_NAMES = {role.code: role.label_vi for role in ROLES}


class UsageError(Exception):
    """A file could not be read or an option is wrong (exit status 2)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hocbaso-verify",
        description="Kiểm tra chữ ký số của học bạ số (verify the signatures of a digital "
                    "school record: .xml file or .zip package).")
    parser.add_argument("file", help="record XML or record package (zip)")
    parser.add_argument("--trusted", action="append", default=[], metavar="CA.pem",
                        help="trusted root certificate(s), PEM or DER; repeat for several")
    parser.add_argument("--intermediate", action="append", default=[], metavar="CA.pem",
                        help="intermediate CA certificate(s), not trusted by themselves")
    parser.add_argument("--crl", action="append", default=[], metavar="CRL",
                        help="certificate revocation list(s), PEM or DER")
    parser.add_argument("--at", metavar="ISO",
                        help="verification time (ISO 8601, default now; UTC if no offset); a "
                             "timestamped signature's certificate is judged at the time its "
                             "timestamp proves")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--require-complete", action="store_true",
                        help="fail (exit 1) unless every slot is signed")
    return parser


def main(argv=None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    _utf8_output()
    try:
        data = _read(args.file)
        trusted = [c for path in args.trusted for c in _load_certificates(path)]
        intermediates = [c for path in args.intermediate for c in _load_certificates(path)]
        crls = [crl for path in args.crl for crl in _load_crls(path)]
        at = _parse_at(args.at) if args.at else None
    except UsageError as exc:
        print("Lỗi (error): %s" % exc, file=sys.stderr)
        return EXIT_USAGE

    verify = verify_package if data[:4] == b"PK\x03\x04" else verify_document
    report = verify(data, trusted, intermediates, crls, at)
    ok = report.valid and (report.complete or not args.require_complete)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(format_report(report, args.file, args.require_complete)))
    return EXIT_VALID if ok else EXIT_INVALID


def format_report(report: VerificationReport, name: str,
                  require_complete: bool = False) -> list[str]:
    """The report as plain lines a clerk can read."""
    lines = ["Tệp (file): %s%s" % (name, " → %s" % report.source if report.source else "")]
    for number, sig in enumerate(report.signatures, 1):
        role = ROLE_NAMES.get(sig.role, sig.role)
        if sig.subject_code:
            role += " " + sig.subject_code
        lines.append("Chữ ký %d (signature %d): %s — %s (%s)"
                     % (number, number, sig.signature_id, role, sig.role_label))
        ident = []
        if sig.personal_id:
            ident.append("số định danh (personal ID) %s" % sig.personal_id)
        if sig.tax_code:
            ident.append("MST (tax code) %s" % sig.tax_code)
        signer = sig.signer_name or sig.certificate_subject or "?"
        lines.append("  Người ký (signer): %s%s"
                     % (signer, ", " + ", ".join(ident) if ident else ""))
        lines.append("  Thời điểm ký (signing time): %s" % (
            vn_datetime(sig.signing_time) + " (giờ Việt Nam)" if sig.signing_time
            else "không có (none)"))
        lines.append("  Thời điểm ký được chứng thực (proven signing time): %s" % (
            "%s (giờ Việt Nam), dấu thời gian của (timestamp by) %s"
            % (vn_datetime(sig.timestamp_time), sig.timestamp_authority)
            if sig.timestamp_proven and sig.timestamp_time
            else "không chứng minh được (cannot be proven: no trusted timestamp)"))
        lines.append("  Chứng thư số (certificate chain): %s — %s"
                     % (_yes_no(sig.chain_ok, "HỢP LỆ (valid)", "KHÔNG HỢP LỆ (invalid)"),
                        sig.chain_result))
        if sig.revocation_sources:
            lines.append("  Trạng thái thu hồi (revocation status): theo dữ liệu lưu kèm (from "
                         "the kept data): %s" % "; ".join(sig.revocation_sources))
        lines.append("  Chữ ký (signature): %s" % _yes_no(
            sig.valid, "HỢP LỆ (valid)", "KHÔNG HỢP LỆ (invalid)"))
        lines.extend("  Lỗi (error): %s" % error for error in sig.errors)
        # the proven-time line above already says when a signature has no timestamp
        lines.extend("  Cảnh báo (warning): %s" % warning for warning in sig.warnings
                     if warning.template != UNPROVEN_TIME.template)
    lines.append("Toàn vẹn (document intact): %s"
                 % _yes_no(report.intact, "CÓ (yes)", "KHÔNG (no)"))
    lines.append("Thứ tự ký (signing order): %s" % _yes_no(
        report.order_ok, "ĐÚNG (respected)", "SAI (not respected)"))
    lines.append("Đủ chữ ký (complete): %s" % (
        "ĐỦ (yes)" if report.complete else "THIẾU (missing): %s" % ", ".join(report.missing)))
    lines.extend(_kept_lines(report))
    lines.extend("Lỗi (error): %s" % error for error in report.errors)
    lines.extend("Cảnh báo (warning): %s" % warning for warning in report.warnings)
    ok = report.valid and (report.complete or not require_complete)
    lines.append("Kết luận (result): %s" % _yes_no(ok, "HỢP LỆ (VALID)", "KHÔNG HỢP LỆ (INVALID)"))
    return lines


def _kept_lines(report: VerificationReport) -> list[str]:
    """The validation data the record keeps (XAdES-LT) and its archive timestamps."""
    lines = []  # a record without either prints nothing more
    if report.kept_certificates or report.kept_crls or report.kept_ocsp:
        lines.append("Dữ liệu kiểm tra lưu kèm (kept validation data): %d chứng thư "
                     "(certificates), %d danh sách thu hồi (CRLs), %d phản hồi OCSP (OCSP "
                     "responses)" % (report.kept_certificates, report.kept_crls,
                                     report.kept_ocsp))
    for number, (moment, authority) in enumerate(
            zip(report.archive_times, report.archive_authorities), 1):
        lines.append("Dấu thời gian lưu trữ %d (archive timestamp %d): %s (giờ Việt Nam), của "
                     "(by) %s" % (number, number, vn_datetime(moment), authority))
    return lines


def _yes_no(flag: bool, yes: str, no: str) -> str:
    return yes if flag else no


def _utf8_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):
            pass


def _read(path: str) -> bytes:
    try:
        return pathlib.Path(path).read_bytes()
    except OSError as exc:
        raise UsageError("cannot read %s: %s" % (path, exc.strerror or exc)) from None


def _load_certificates(path: str) -> list[x509.Certificate]:
    try:
        return certs.load_certificates(_read(path))
    except CertificateError:
        raise UsageError("%s is not a PEM or DER certificate" % path) from None


def _load_crls(path: str) -> list[x509.CertificateRevocationList]:
    try:
        return certs.load_crls(_read(path))
    except CertificateError:
        raise UsageError("%s is not a PEM or DER certificate revocation list" % path) from None


def _parse_at(text: str) -> dt.datetime:
    try:
        return parse_iso(text)
    except ValueError:
        raise UsageError("--at %s is not an ISO 8601 date and time" % text) from None


if __name__ == "__main__":
    sys.exit(main())
