"""Stand-in for an OCSP responder (RFC 6960) of the test PKI's issuing CA (tests, demo, bench).

    python -m hocbaso.signing.standins.ocsp --port 0 --pki-dir DIR

``POST /`` with a DER OCSPRequest (``Content-Type: application/ocsp-request``) answers an
OCSPResponse (``application/ocsp-response``) signed by the delegated responder of a folder
written by ``python -m security.pki`` (``ocsp.pem``/``ocsp.key.pem``: issued by the issuing CA,
extended key usage OCSPSigning): the ResponseData built with asn1crypto's definitions, signed
with cryptography, the request's nonce echoed. A certificate of the issuing CA is "revoked"
when the CA's CRL (``intermediate.crl``) lists it and "good" otherwise (the stand-in keeps no
register of issued serials); a request about another CA's certificate is answered
``unauthorized``, as a real responder does.

Faults (loopback, no credentials): ``POST /_test/fault {"kind": K}`` queues K for the next
request; ``POST /_test/reset``; ``GET /_test/stats`` (answers given). Kinds: :data:`FAULTS`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from asn1crypto import core as asn1_core
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from .common import DerHandler, Faults, bound_server, serve
from .tsa import _load

MAX_REQUEST = 16 * 1024
FAULTS = {
    "unreachable": "the connection is closed without an answer",
    "unknown": "the certificate's status is unknown",
    "revoked": "the certificate is said revoked since yesterday",
    "wrong_nonce": "the answer carries another nonce than the request's",
    "forged": "the answer's signature does not match its content",
    "untrusted_responder": "the answer is signed by a responder the CA did not authorise",
    "unsigned": "status tryLater: no signed answer at all",
    "malformed": "the answer is not DER",
}
_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}


def _key_bits(certificate: x509.Certificate) -> bytes:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER)).public_key[
        "public_key"].contents[1:]


class Responder:
    """The responder's keys, the CA's revoked serials and a counter."""

    def __init__(self, pki_dir):
        folder = Path(pki_dir)
        self.issuer = x509.load_pem_x509_certificate((folder / "intermediate.pem").read_bytes())
        self.certificate, self.key = _load(folder, "ocsp")
        self.other_certificate, self.other_key = _load(folder, "other-tsa")
        crl = x509.load_der_x509_crl((folder / "intermediate.crl").read_bytes())
        self.revoked = {entry.serial_number: entry.revocation_date_utc for entry in crl}
        self.faults = Faults()
        self.lock = threading.Lock()
        self.answered = 0

    def serves(self, cert_id) -> bool:
        algorithm = cert_id["hash_algorithm"]["algorithm"].native
        hasher = _HASHES.get(algorithm)
        return hasher is not None and \
            cert_id["issuer_name_hash"].native == hasher(self.issuer.subject.public_bytes()
                                                         ).digest() and \
            cert_id["issuer_key_hash"].native == hasher(_key_bits(self.issuer)).digest()

    def answer(self, body: bytes, kind: str | None) -> bytes:
        try:
            request = asn1_ocsp.OCSPRequest.load(body, strict=True)
            requests_ = request["tbs_request"]["request_list"]
            nonce = request.nonce_value.native if request.nonce_value is not None else None
            cert_ids = [item["req_cert"] for item in requests_]
        except (ValueError, TypeError, KeyError):
            return asn1_ocsp.OCSPResponse({"response_status": "malformed_request"}).dump()
        if not cert_ids or not all(self.serves(cert_id) for cert_id in cert_ids):
            return asn1_ocsp.OCSPResponse({"response_status": "unauthorized"}).dump()
        if kind == "unsigned":
            return asn1_ocsp.OCSPResponse({"response_status": "try_later"}).dump()
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        singles = [self._single(cert_id, now, kind) for cert_id in cert_ids]
        certificate, key = (self.other_certificate, self.other_key) \
            if kind == "untrusted_responder" else (self.certificate, self.key)
        data = {
            "responder_id": asn1_ocsp.ResponderId(
                name="by_key", value=hashlib.sha1(_key_bits(certificate)).digest()),
            "produced_at": now,
            "responses": singles,
        }
        if nonce is not None:
            data["response_extensions"] = [{
                "extn_id": "nonce", "critical": False,
                "extn_value": nonce + b"-other" if kind == "wrong_nonce" else nonce}]
        response_data = asn1_ocsp.ResponseData(data)
        signature = key.sign(response_data.dump(), padding.PKCS1v15(), hashes.SHA256())
        if kind == "forged":
            signature = bytes([signature[0] ^ 0x01]) + signature[1:]
        basic = asn1_ocsp.BasicOCSPResponse({
            "tbs_response_data": response_data,
            "signature_algorithm": {"algorithm": "sha256_rsa"},
            "signature": signature,
            "certs": [asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))],
        })
        with self.lock:
            self.answered += 1
        return asn1_ocsp.OCSPResponse({
            "response_status": "successful",
            "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
        }).dump()

    def _single(self, cert_id, now: dt.datetime, kind: str | None):
        serial = cert_id["serial_number"].native
        revoked_at = self.revoked.get(serial)
        if kind == "revoked":
            revoked_at = now - dt.timedelta(days=1)
        if kind == "unknown":
            status = asn1_ocsp.CertStatus(name="unknown", value=asn1_core.Null())
        elif revoked_at is not None:
            status = asn1_ocsp.CertStatus(name="revoked", value={
                "revocation_time": revoked_at.replace(microsecond=0),
                "revocation_reason": "superseded"})
        else:
            status = asn1_ocsp.CertStatus(name="good", value=asn1_core.Null())
        return {"cert_id": cert_id, "cert_status": status, "this_update": now,
                "next_update": now + dt.timedelta(days=1)}


class Handler(DerHandler):
    server_version = "HocbasoOcspStandIn/1.0"
    request_type, reply_type = "application/ocsp-request", "application/ocsp-response"
    max_request = MAX_REQUEST
    known_faults = frozenset(FAULTS)
    responder: Responder

    def answer(self, body: bytes, fault: dict) -> bytes:
        return self.responder.answer(body, fault.get("kind"))

    def stats(self) -> dict:
        return {"answered": self.responder.answered}


def make_server(pki_dir, port: int = 0) -> ThreadingHTTPServer:
    responder = Responder(pki_dir)
    return bound_server(Handler, port, responder=responder, faults=responder.faults)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hocbaso.signing.standins.ocsp",
                                     description="OCSP responder stand-in (test PKI).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pki-dir", required=True)
    args = parser.parse_args(argv)
    return serve(make_server(args.pki_dir, args.port), "OCSP responder at /")


if __name__ == "__main__":
    raise SystemExit(main())
