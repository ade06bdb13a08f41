"""Stand-in for a Cloud Signature Consortium API v2 service (tests and demo), strict.

    python -m hocbaso.signing.standins.csc --port 0 --pki-dir DIR [--username U --password P]
        [--token T] [--max-batch N] [--sad-ttl S]

Serves ``/csc/v2/{info, auth/login, credentials/list, credentials/info,
credentials/authorize, signatures/signHash}``: the adapter's base URL is
``http://127.0.0.1:<port>/csc/v2``. ``auth/login`` takes HTTP Basic (the school's service
account) and gives a bearer token; ``--token`` is accepted too. Each user of the test PKI has
one credential, ``cred-<personal ID or tax code>``, PIN = the PKCS#12 password, authMode
explicit, ``multisign`` = ``--max-batch``. The SAD of ``credentials/authorize`` is bound to its
hashes and used once. Faults: ``POST /_test/fault`` (see ``common.FAULTS``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import secrets
import threading
import time
from http.server import ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from ..providers.csc import ECDSA_SHA256_OID, EC_KEY_OID, RSA_OID, SHA256_OID, SHA256_RSA_OID
from .common import (
    RESPONSE_FAULTS,
    Faults,
    bound_server,
    JsonHandler,
    b64,
    load_accounts,
    new_id,
    serve,
    sign_batch,
    valid_now,
)

DEFAULT_USERNAME, DEFAULT_PASSWORD = "demo-school", "demo-csc-password"  # test/demo only
PREFIX = "/csc/v2/"
METHODS = ["auth/login", "credentials/list", "credentials/info", "credentials/authorize",
           "signatures/signHash"]


class CscError(Exception):
    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


def _fields(body: dict, required: dict, optional: dict | None = None) -> None:
    optional = optional or {}
    for name in body:
        if name not in required and name not in optional:
            raise CscError(400, "invalid_request", "Unknown parameter %s" % name[:40])
    for name, kind in required.items():
        value = body.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise CscError(400, "invalid_request", "Missing or invalid parameter %s" % name)
    for name, kind in optional.items():
        if name in body and not isinstance(body[name], kind):
            raise CscError(400, "invalid_request", "Invalid parameter %s" % name)


def _hashes(values: list) -> list[bytes]:
    digests = []
    for value in values:
        try:
            digest = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except (binascii.Error, ValueError):
            digest = b""
        if len(digest) != 32:
            raise CscError(400, "invalid_request", "Invalid parameter hashes")
        digests.append(digest)
    return digests


class Service:
    def __init__(self, users, passwords, username, password, token, max_batch, sad_ttl):
        self.users, self.passwords = users, passwords
        self.credentials = {"cred-" + ref: user for ref, user in users.items()}
        self.username, self.password = username, password
        self.tokens = {token} if token else set()
        self.max_batch, self.sad_ttl = max_batch, sad_ttl
        self.faults = Faults()
        self.sads: dict[str, dict] = {}
        self.lock = threading.Lock()

    def credential(self, body: dict):
        user = self.credentials.get(body.get("credentialID"))
        if user is None:
            raise CscError(400, "invalid_request", "Invalid parameter credentialID")
        return user

    @staticmethod
    def algos(user) -> list[str]:
        if isinstance(user.key, ec.EllipticCurvePrivateKey):
            return [ECDSA_SHA256_OID, EC_KEY_OID]
        return [SHA256_RSA_OID, RSA_OID]

    def info(self, body: dict) -> dict:
        _fields(body, {}, {"lang": str})
        return {"specs": "2.0.0.0", "name": "Hocbaso CSC stand-in", "logo": "",
                "region": "VN", "lang": "vi", "description": "Test only", "authType": ["basic"],
                "methods": METHODS}

    def list(self, body: dict) -> dict:
        _fields(body, {"userID": str}, {"maxResults": int, "pageToken": str, "clientData": str,
                                        "credInfo": bool, "certificates": str,
                                        "certInfo": bool, "authInfo": bool,
                                        "onlyValid": bool})
        if body["userID"] not in self.users:
            raise CscError(400, "invalid_request", "Invalid parameter userID")
        return {"credentialIDs": ["cred-" + body["userID"]]}

    def details(self, body: dict) -> dict:
        _fields(body, {"credentialID": str}, {"certificates": str, "certInfo": bool,
                                              "authInfo": bool, "lang": str,
                                              "clientData": str})
        user = self.credential(body)
        chain = {"none": [], "single": [user.certificate]}.get(
            body.get("certificates", "single"), [user.certificate, *user.chain])
        key_size = user.key.key_size if hasattr(user.key, "key_size") else 0
        data = {"key": {"status": "enabled", "algo": self.algos(user), "len": key_size},
                "cert": {"status": "valid" if valid_now(user) else "expired",
                         "certificates": [b64(c.public_bytes(Encoding.DER)) for c in chain],
                         "serialNumber": "%X" % user.certificate.serial_number,
                         "subjectDN": user.certificate.subject.rfc4514_string()},
                "authMode": "explicit", "multisign": self.max_batch, "lang": "vi",
                "SCAL": "2"}
        if body.get("authInfo"):
            data["PIN"] = {"presence": "true", "format": "N", "label": "PIN"}
        return data

    def authorize(self, body: dict) -> dict:
        _fields(body, {"credentialID": str, "numSignatures": int, "hashes": list,
                       "hashAlgorithmOID": str, "PIN": str},
                {"OTP": str, "description": str, "clientData": str})
        user = self.credential(body)
        hashes = _hashes(body["hashes"])
        if body["numSignatures"] != len(hashes) or not hashes:
            raise CscError(400, "invalid_request", "numSignatures does not match hashes")
        if len(hashes) > self.max_batch:
            raise CscError(400, "invalid_request", "numSignatures exceeds multisign")
        if body["hashAlgorithmOID"] != SHA256_OID:
            raise CscError(400, "invalid_request", "Invalid parameter hashAlgorithmOID")
        if not secrets.compare_digest(body["PIN"].encode(), self.passwords[user.ref].encode()):
            raise CscError(400, "invalid_pin", "The PIN is invalid")
        if not valid_now(user):
            raise CscError(400, "invalid_request", "The certificate is not valid")
        fault = self.faults.pop()
        kind = fault.get("kind")
        if kind == "rejected":
            raise CscError(400, "invalid_otp", "The user refused the authorization")
        if kind == "server_error" and fault.get("at") == "submit":
            raise CscError(500, "server_error", "Internal error (injected)")
        if kind == "slow_approval":
            time.sleep(fault.get("seconds") or 1.5)
        sad = secrets.token_urlsafe(32)
        ttl = 0 if kind == "expired" else self.sad_ttl
        with self.lock:
            self.sads[sad] = {"user": user, "hashes": hashes, "fault": fault,
                              "expires": time.time() + ttl, "credential": body["credentialID"]}
        return {"SAD": sad, "expiresIn": int(ttl)}

    def sign_hash(self, body: dict) -> tuple[dict, dict]:
        _fields(body, {"credentialID": str, "SAD": str, "hashes": list,
                       "hashAlgorithmOID": str, "signAlgo": str},
                {"signAlgoParams": str, "clientData": str, "operationMode": str})
        user = self.credential(body)
        with self.lock:
            grant = self.sads.pop(body["SAD"], None)  # used once
        if grant is None or grant["credential"] != body["credentialID"]:
            raise CscError(400, "invalid_request", "Invalid SAD")
        if time.time() >= grant["expires"]:
            raise CscError(400, "invalid_request", "SAD expired")
        hashes = _hashes(body["hashes"])
        if hashes != grant["hashes"]:
            raise CscError(400, "invalid_request", "Hash is not authorized by the SAD")
        if body["hashAlgorithmOID"] != SHA256_OID:
            raise CscError(400, "invalid_request", "Invalid parameter hashAlgorithmOID")
        expected = ECDSA_SHA256_OID if isinstance(user.key, ec.EllipticCurvePrivateKey) \
            else None
        if (expected and body["signAlgo"] != expected) or \
                (not expected and body["signAlgo"] not in (SHA256_RSA_OID, RSA_OID)):
            raise CscError(400, "invalid_request", "Invalid parameter signAlgo")
        fault = grant["fault"]
        items = [(str(i), digest) for i, digest in enumerate(hashes)]
        signed = sign_batch(self.users, user, items, fault)
        response_fault = fault if fault.get("kind") in RESPONSE_FAULTS and \
            fault.get("at") != "submit" else None
        return {"signatures": [b64(value) for _doc, value in signed]}, response_fault


class Handler(JsonHandler):
    service: Service

    def error_body(self, status, message):
        return {"error": "server_error" if status >= 500 else "invalid_request",
                "error_description": message}

    def route(self):
        if not self.path.startswith(PREFIX):
            return self.send_json(404, self.error_body(404, "No such endpoint"))
        method = self.path[len(PREFIX):]
        service = self.service
        try:
            if method == "auth/login":
                return self.login()
            body = self.body()
            if body is None:
                return
            if method == "info":
                return self.send_json(200, service.info(body))
            self.authorised()
            if method == "credentials/list":
                return self.send_json(200, service.list(body))
            if method == "credentials/info":
                return self.send_json(200, service.details(body))
            if method == "credentials/authorize":
                return self.send_json(200, service.authorize(body))
            if method == "signatures/signHash":
                data, fault = service.sign_hash(body)
                return self.send_json(200, data, fault)
            raise CscError(404, "invalid_request", "No such method")
        except CscError as error:
            self.send_json(error.status, {"error": error.error,
                                          "error_description": error.description})

    def login(self):
        given = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(
            ("%s:%s" % (self.service.username, self.service.password)).encode()).decode()
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise CscError(401, "invalid_client", "Invalid credentials")
        body = self.body()
        if body is None:
            return
        _fields(body, {}, {"rememberMe": bool, "clientData": str})
        token = new_id("tok")
        with self.service.lock:
            self.service.tokens.add(token)
        self.send_json(200, {"access_token": token, "expires_in": 3600})

    def authorised(self):
        given = self.headers.get("Authorization", "")
        token = given[7:] if given.startswith("Bearer ") else ""
        with self.service.lock:
            known = any(secrets.compare_digest(token.encode(), t.encode())
                        for t in self.service.tokens)
        if not token or not known:
            raise CscError(401, "invalid_token", "Invalid access token")


def make_server(pki_dir, port=0, username=DEFAULT_USERNAME, password=DEFAULT_PASSWORD,
                token="", max_batch=1000, sad_ttl=300.0) -> ThreadingHTTPServer:
    users, passwords = load_accounts(pki_dir)
    service = Service(users, passwords, username, password, token, max_batch, sad_ttl)
    return bound_server(Handler, port, service=service, faults=service.faults)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hocbaso.signing.standins.csc",
                                     description="CSC API v2 stand-in (test PKI).")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--pki-dir", required=True)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    parser.add_argument("--password", default=DEFAULT_PASSWORD)
    parser.add_argument("--token", default="", help="a bearer token accepted without login")
    parser.add_argument("--max-batch", type=int, default=1000, help="multisign of every key")
    parser.add_argument("--sad-ttl", type=float, default=300.0)
    args = parser.parse_args(argv)
    server = make_server(args.pki_dir, args.port, args.username, args.password, args.token,
                         args.max_batch, args.sad_ttl)
    return serve(server, "CSC API v2 at /csc/v2")


if __name__ == "__main__":
    raise SystemExit(main())
