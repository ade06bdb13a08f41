"""Stand-in for an RFC 3161 time-stamping authority (tests, demo and bench), strict.

    python -m hocbaso.signing.standins.tsa --port 0 --pki-dir DIR [--policy OID]

``POST /`` with a DER TimeStampReq (``Content-Type: application/timestamp-query``) answers a
TimeStampResp (``application/timestamp-reply``) signed with the test PKI's TSA key
(``tsa.pem``/``tsa.key.pem`` of a folder written by ``python -m security.pki``): TSTInfo and
SignedData built with asn1crypto's definitions, signed with cryptography, the certificate
included when the request asks (certReq), signing-certificate-v2 among the signed attributes.
A request that is not a TimeStampReq over SHA-256/384/512 gets status rejection
(badDataFormat / badAlg).

Faults (loopback, no credentials): ``POST /_test/fault {"kind": K}`` queues K for the next
request (one per request, in order); ``POST /_test/reset`` empties the queue; ``GET
/_test/stats`` gives the number of tokens issued and the most requests answered at once.
Kinds: see :data:`FAULTS`. ``--latency S`` makes each answer wait S seconds, as the round trip
to an authority on the Internet does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import secrets
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from asn1crypto import algos as asn1_algos
from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as asn1_tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import Encoding

from ..timestamp import TimeStampResp
from .common import DerHandler, Faults, bound_server, serve

MAX_REQUEST = 64 * 1024
DEFAULT_POLICY = "1.3.6.1.4.1.55555.1.1"  # a private test policy OID
FAULTS = {
    "unreachable": "the connection is closed without an answer",
    "wrong_nonce": "the token carries another nonce than the request's",
    "wrong_hash": "the token's message imprint is the hash of something else",
    "untrusted_tsa": "the token is signed by a TSA certificate outside the test root",
    "rejection": "status rejection (granted=false), no token",
    "malformed": "the answer is not DER",
    "huge": "a 9 MiB answer, without Content-Length",
}
_HASH_NAMES = {"sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


class Authority:
    """The TSA's keys and counters; ``answer(request)`` gives the DER response."""

    def __init__(self, pki_dir, policy: str = DEFAULT_POLICY):
        folder = Path(pki_dir)
        self.certificate, self.key = _load(folder, "tsa")
        self.other_certificate, self.other_key = _load(folder, "other-tsa")
        self.policy = policy
        self.faults = Faults()
        self.lock = threading.Lock()
        self.issued = 0
        self.in_flight = self.most_in_flight = 0  # requests being answered; the most at once

    def answer(self, body: bytes, fault: dict) -> bytes:
        kind = fault.get("kind")
        try:
            request = asn1_tsp.TimeStampReq.load(body, strict=True)
            algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
            imprint = request["message_imprint"]["hashed_message"].native
            nonce = request["nonce"].native
            cert_req = bool(request["cert_req"].native)
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "not a TimeStampReq")
        if algorithm not in _HASH_NAMES or len(imprint) != _HASH_NAMES[algorithm]().digest_size:
            return _rejection("bad_alg", "unsupported hash algorithm")
        if kind == "rejection":
            return _rejection("system_failure", "rejected (injected fault)")
        if kind == "wrong_hash":
            imprint = _HASH_NAMES[algorithm](b"something else" + imprint).digest()
        if kind == "wrong_nonce" and nonce is not None:
            nonce += 1
        certificate, key = (self.other_certificate, self.other_key) if kind == "untrusted_tsa" \
            else (self.certificate, self.key)
        with self.lock:
            self.issued += 1
        serial = secrets.randbits(64)
        return self.token_response(certificate, key, algorithm, imprint, nonce, cert_req,
                                   serial)

    def token_response(self, certificate, key, algorithm, imprint, nonce, cert_req,
                       serial) -> bytes:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        tst = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": {"hash_algorithm": {"algorithm": algorithm},
                                "hashed_message": imprint},
            "serial_number": serial,
            "gen_time": now,
            "accuracy": {"seconds": 1},
            "ordering": False,
        }
        if nonce is not None:
            tst["nonce"] = nonce
        tst_info = asn1_tsp.TSTInfo(tst)
        tst_der = tst_info.dump()
        cert_der = certificate.public_bytes(Encoding.DER)
        asn1_cert = asn1_x509.Certificate.load(cert_der)
        signed_attrs = asn1_cms.CMSAttributes([
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
            {"type": "signing_certificate_v2", "values": [{"certs": [{
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": hashlib.sha256(cert_der).digest()}]}]},
        ])
        signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        signer_info = asn1_cms.SignerInfo({
            "version": "v1",
            "sid": asn1_cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": asn1_cert.issuer, "serial_number": asn1_cert.serial_number}),
            "digest_algorithm": asn1_algos.DigestAlgorithm({"algorithm": "sha256"}),
            "signed_attrs": signed_attrs,
            "signature_algorithm": asn1_algos.SignedDigestAlgorithm(
                {"algorithm": "sha256_rsa"}),
            "signature": signature,
        })
        signed_data = {
            "version": "v3",
            "digest_algorithms": [asn1_algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {"content_type": "tst_info", "content": tst_info},
            "signer_infos": [signer_info],
        }
        if cert_req:
            signed_data["certificates"] = [asn1_cert]
        token = asn1_cms.ContentInfo({"content_type": "signed_data",
                                      "content": asn1_cms.SignedData(signed_data)})
        return TimeStampResp({"status": {"status": "granted"},
                                       "time_stamp_token": token}).dump()


def _rejection(failure: str, text: str) -> bytes:
    return TimeStampResp({"status": {
        "status": "rejection", "status_string": [text], "fail_info": {failure}}}).dump()


def _load(folder: Path, name: str):
    certificate = x509.load_pem_x509_certificate((folder / (name + ".pem")).read_bytes())
    key = serialization.load_pem_private_key((folder / (name + ".key.pem")).read_bytes(), None)
    return certificate, key


class Handler(DerHandler):
    server_version = "HocbasoTsaStandIn/1.0"
    request_type, reply_type = "application/timestamp-query", "application/timestamp-reply"
    max_request = MAX_REQUEST
    known_faults = frozenset(FAULTS)
    authority: Authority

    latency = 0.0

    def answer(self, body: bytes, fault: dict) -> bytes:
        authority = self.authority
        with authority.lock:
            authority.in_flight += 1
            authority.most_in_flight = max(authority.most_in_flight, authority.in_flight)
        try:
            time.sleep(self.latency)  # a real authority is a network round trip away
            return authority.answer(body, fault)
        finally:
            with authority.lock:
                authority.in_flight -= 1

    def stats(self) -> dict:
        return {"issued": self.authority.issued, "most_at_once": self.authority.most_in_flight}


def make_server(pki_dir, port: int = 0, policy: str = DEFAULT_POLICY,
                latency: float = 0.0) -> ThreadingHTTPServer:
    authority = Authority(pki_dir, policy)
    return bound_server(Handler, port, authority=authority, faults=authority.faults,
                        latency=latency)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hocbaso.signing.standins.tsa",
                                     description="RFC 3161 time-stamping stand-in (test PKI).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pki-dir", required=True)
    parser.add_argument("--policy", default=DEFAULT_POLICY)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds each answer waits, as a distant authority's round trip")
    args = parser.parse_args(argv)
    return serve(make_server(args.pki_dir, args.port, args.policy, args.latency),
                 "RFC 3161 TSA at /")


if __name__ == "__main__":
    raise SystemExit(main())
