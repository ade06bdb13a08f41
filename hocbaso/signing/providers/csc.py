"""Cloud Signature Consortium API v2: one authorisation (PIN or OTP) for many hashes.

    adapter = CscProvider("https://ca.example/csc/v2", username="...", password="...")
    chains = adapter.certificates("001186004521")      # credentials/list + credentials/info
    tx = adapter.submit("001186004521", chains[0][0], items, "Học bạ 4A3", secret=pin)
    tx.status == "done"; tx.signatures in doc_id order of ``items``

``base_url`` is the API root (the part before ``info``, e.g. ``https://host/csc/v2``).
Authentication: a bearer ``token`` given in the settings, or ``auth/login`` with HTTP Basic
``username``/``password`` (the school's service account) whose access token is kept for this
adapter's life only. ``user_ref`` is the CSC ``userID`` the service account lists credentials
for. ``credentials/authorize`` binds the SAD to the exact hashes, ``signatures/signHash``
returns the signatures in the order of the hashes. ``multisign`` of ``credentials/info``
bounds one transaction (:meth:`limit_for`).
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ...errors import Problem
from ..batch import DONE, BatchProvider, Transaction, check_items
from ...errors import RemoteSigningError
from .http import DEFAULT_TIMEOUT, JsonHttp, b64bytes, bad_answer, der_certificate, get

SHA256_OID = "2.16.840.1.101.3.4.2.1"
RSA_OID = "1.2.840.113549.1.1.1"
SHA256_RSA_OID = "1.2.840.113549.1.1.11"
ECDSA_SHA256_OID = "1.2.840.10045.4.3.2"
EC_KEY_OID = "1.2.840.10045.2.1"


def _fingerprint(certificate: x509.Certificate) -> bytes:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).digest()


class CscProvider(BatchProvider):
    kind = "csc"
    approval = "pin"

    def __init__(self, base_url: str, username: str = "", password: str = "", token: str = "",
                 timeout: float = DEFAULT_TIMEOUT, max_batch: int = 1000):
        if not token and not (username and password):
            raise RemoteSigningError("The school's account at the signing provider (user name "
                                     "and password, or an access token) is not set. Fill it "
                                     "in the signing settings.")
        self.http = JsonHttp(base_url, timeout)
        self._username, self._password, self._token = str(username), str(password), str(token)
        self.max_batch = int(max_batch)
        # fingerprint -> (credential ID, key algorithm OIDs, authMode, multisign)
        self._credentials: dict[bytes, tuple[str, list, str, int]] = {}

    def __repr__(self):
        return "<CscProvider %s>" % self.http.base_url

    # --- calls --------------------------------------------------------------------------------
    def _login(self) -> None:
        status, data = self.http.post("auth/login", {"rememberMe": False},
                                      auth=(self._username, self._password))
        if status >= 400:
            self._refused(status, data, "")
        token = get(data, "access_token", str)
        if not token or len(token) > 8192:
            raise bad_answer("access_token")
        self._token = token

    def _call(self, path: str, body: dict, user: str = "") -> dict:
        if not self._token:
            self._login()
        status, data = self.http.post(path, body,
                                      headers={"Authorization": "Bearer " + self._token})
        if status >= 400:
            self._refused(status, data, user, path)
        return data

    @staticmethod
    def _refused(status: int, data: dict, user: str, path: str = ""):
        code = str(data.get("error") or "")[:100]
        detail = str(data.get("error_description") or code)[:200]
        if status == 401 or code in ("invalid_token", "access_denied", "unauthorized_client"):
            raise RemoteSigningError("The signing provider refused the school's account (user "
                                     "name and password, or access token). Check the signing "
                                     "settings.")
        if path == "credentials/authorize" and status < 500:
            raise RemoteSigningError("The signing provider refused the PIN or one-time code, or "
                                     "the authorisation (%(detail)s). Nothing was signed.",
                                     detail=detail)
        if status >= 500:
            raise RemoteSigningError("The signing provider had an internal error (HTTP "
                                     "%(status)s). Try again later.", status=status)
        raise RemoteSigningError("The signing provider refused the request (HTTP %(status)s: "
                                 "%(detail)s).", status=status, detail=detail)

    def info(self) -> dict:
        status, data = self.http.post("info", {"lang": "vi"})
        if status >= 400:
            self._refused(status, data, "")
        return data

    def certificates(self, user_ref: str) -> list[list[x509.Certificate]]:
        listed = self._call("credentials/list", {"userID": user_ref, "maxResults": 20},
                            user=user_ref)
        ids = get(listed, "credentialIDs", list)
        chains = []
        for credential_id in ids[:20]:
            if not isinstance(credential_id, str) or not credential_id or len(credential_id) > 256:
                raise bad_answer("credentialIDs")
            data = self._call("credentials/info",
                              {"credentialID": credential_id, "certificates": "chain",
                               "certInfo": True, "authInfo": True}, user=user_ref)
            key = get(data, "key", dict)
            if get(key, "status", str, required=False) not in (None, "enabled"):
                continue
            algos = [a for a in get(key, "algo", list) if isinstance(a, str)]
            cert = get(data, "cert", dict)
            if get(cert, "status", str, required=False) not in (None, "valid"):
                continue
            texts = get(cert, "certificates", list)
            if not texts:
                raise bad_answer("certificates")
            chain = [der_certificate(text) for text in texts[:5]]
            mode = get(data, "authMode", str, required=False) or "explicit"
            multisign = get(data, "multisign", int, required=False) or 1
            if multisign < 1:
                raise bad_answer("multisign")
            self._credentials[_fingerprint(chain[0])] = (credential_id, algos, mode, multisign)
            chains.append(chain)
        if not chains:
            raise RemoteSigningError("The signing provider has no certificate for %(user)s.",
                                     user=user_ref)
        return chains

    def _credential(self, user_ref: str, certificate: x509.Certificate):
        found = self._credentials.get(_fingerprint(certificate))
        if found is None:
            self.certificates(user_ref)
            found = self._credentials.get(_fingerprint(certificate))
        if found is None:
            raise RemoteSigningError("The signing provider holds no key for the certificate "
                                     "chosen for %(user)s.", user=user_ref)
        return found

    def limit_for(self, certificate: x509.Certificate) -> int:
        found = self._credentials.get(_fingerprint(certificate))
        return min(self.max_batch, found[3]) if found else self.max_batch

    @staticmethod
    def _sign_algo(certificate: x509.Certificate, algos: list) -> str:
        key = certificate.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            wanted = (ECDSA_SHA256_OID, EC_KEY_OID)
        elif isinstance(key, rsa.RSAPublicKey):
            wanted = (SHA256_RSA_OID, RSA_OID)
        else:
            wanted = ()
        for oid in wanted:
            if oid in algos:
                return ECDSA_SHA256_OID if oid == EC_KEY_OID else oid
        raise RemoteSigningError("The key at the signing provider signs with none of the "
                                 "algorithms records use (RSA or ECDSA with SHA-256).")

    def submit(self, user_ref, certificate, items, description, secret=""):
        credential_id, algos, mode, multisign = self._credential(user_ref, certificate)
        check_items(items, min(self.max_batch, multisign))
        if mode == "oauth2code":
            raise RemoteSigningError("This certificate must be unlocked through the provider's "
                                     "own web page, which is not supported yet.")
        if mode == "explicit" and not secret:
            raise RemoteSigningError("Type the PIN (or one-time code) of the signing "
                                     "certificate.")
        sign_algo = self._sign_algo(certificate, algos)
        hashes = [base64.b64encode(item.digest).decode("ascii") for item in items]
        authorize = {"credentialID": credential_id, "numSignatures": len(items),
                     "hashes": hashes, "hashAlgorithmOID": SHA256_OID,
                     "description": str(description or "")[:500]}
        if mode == "explicit":
            authorize["PIN"] = str(secret)
        data = self._call("credentials/authorize", authorize, user=user_ref)
        sad = get(data, "SAD", str)
        if not sad or len(sad) > 8192:
            raise bad_answer("SAD")
        data = self._call("signatures/signHash",
                          {"credentialID": credential_id, "SAD": sad, "hashes": hashes,
                           "hashAlgorithmOID": SHA256_OID, "signAlgo": sign_algo},
                          user=user_ref)
        values = get(data, "signatures", list)
        if len(values) != len(items):
            raise RemoteSigningError("The signing provider returned %(got)s signatures for "
                                     "%(sent)s documents; none was used.", got=len(values),
                                     sent=len(items))
        transaction = Transaction(ref=uuid.uuid4().hex, status=DONE)
        for item, value in zip(items, values):
            try:
                transaction.signatures[item.doc_id] = b64bytes(value, "signatures", 4096)
            except RemoteSigningError as error:
                transaction.item_errors[item.doc_id] = Problem(error)
        return transaction

    def poll(self, ref: str) -> Transaction:
        raise RemoteSigningError("This signing provider signs at once; there is nothing to "
                                 "wait for. Sign the batch again if it was interrupted.")

    def close(self) -> None:
        self.http.close()
