"""Remote signing in two phases, modelled on VNPT SmartCA and Viettel MySign.

The school's server sends the SHA-256 digest of what must be signed; the signer confirms the
request in the provider's phone app; the signature comes back later. The key never leaves the
provider. ``RemoteSigningClient`` speaks the protocol below; ``RemoteSigner`` wraps it as a
synchronous ``Signer`` that waits (bounded) for the confirmation. The reference server is
``hocbaso.signing.remote_server``.

Protocol (JSON over HTTP, UTF-8). Every request carries ``Authorization: Bearer <api key>``.

``GET /v1/users/<user>/certificate``
    200 ``{"user": ..., "certificate": "<PEM>", "chain": ["<PEM>", ...]}``.
    ``<user>`` is the signer's account at the provider: their personal ID (CCCD), or the
    organisation's tax code (MST).
``POST /v1/signatures`` with ``{"user": ..., "digest": "<base64>", "digest_algorithm":
"sha256", "signature_algorithm": "<XML-DSig SignatureMethod URI>", "description": "..."}``
    202 ``{"id": "<request id>", "status": "pending", "expires_at": "<ISO 8601>"}``.
    The provider signs the digest as is (RSA PKCS#1 v1.5 over a SHA-256 DigestInfo, or ECDSA
    with the signature DER-encoded).
``GET /v1/signatures/<id>``
    200 ``{"id": ..., "status": "pending" | "signed" | "rejected" | "expired",
    "signature": "<base64>"}`` (``signature`` only when signed).
``POST /confirm/<id>`` and ``POST /reject/<id>`` (reference server only)
    Stand-ins for the signer's phone in manual mode.

Errors: a 4xx/5xx status with ``{"error": "<code>", "message": "<English text>"}``. Codes:
``unauthorized`` (401), ``unknown_user``, ``unknown_request`` (404), ``bad_request``,
``algorithm_mismatch`` (400), ``not_pending`` (409).
"""

from __future__ import annotations

import base64
import time

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from ..errors import SigningError
from .base import ECDSA_SHA256, Signer, sha256

STATUS_PENDING, STATUS_SIGNED = "pending", "signed"
STATUS_REJECTED, STATUS_EXPIRED = "rejected", "expired"


class RemoteSigningError(SigningError):
    """The remote signing service refused, expired, or could not be reached."""


class RemoteSigningClient:
    def __init__(self, base_url: str, api_key: str, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.headers.update({"Authorization": "Bearer " + api_key,
                                      "Accept": "application/json"})

    def request_signature(self, user_ref: str, digest: bytes, algorithm: str,
                          description: str = "") -> str:
        """Send a SHA-256 digest to be signed by ``user_ref``; returns the request id."""
        if len(digest) != 32:
            raise RemoteSigningError("Only SHA-256 digests (32 bytes) can be sent for remote "
                                     "signing.")
        body = {"user": user_ref, "digest": base64.b64encode(digest).decode("ascii"),
                "digest_algorithm": "sha256", "signature_algorithm": algorithm,
                "description": description}
        data = self._call("POST", "/v1/signatures", json=body, user=user_ref)
        request_id = data.get("id")
        if not isinstance(request_id, str) or not request_id:
            raise RemoteSigningError("The remote signing service gave no request number.")
        return request_id

    def fetch_signature(self, request_id: str) -> bytes | None:
        """The signature once confirmed; None while pending; RemoteSigningError if refused."""
        data = self._call("GET", "/v1/signatures/" + requests.utils.quote(request_id, safe=""))
        status = data.get("status")
        if status == STATUS_PENDING:
            return None
        if status == STATUS_SIGNED:
            try:
                return base64.b64decode(data["signature"], validate=True)
            except (KeyError, TypeError, ValueError):
                raise RemoteSigningError("The remote signing service returned a damaged "
                                         "signature.") from None
        if status == STATUS_REJECTED:
            raise RemoteSigningError("The signer refused the signature request on their phone.")
        if status == STATUS_EXPIRED:
            raise RemoteSigningError("The signature request expired before the signer confirmed "
                                     "it. Send it again and confirm it in the signing app.")
        raise RemoteSigningError("The remote signing service answered with an unknown status "
                                 "%(status)s.", status=str(status))

    def get_certificates(self, user_ref: str) -> list[x509.Certificate]:
        """The signer's certificate first, then the chain the service sends with it."""
        data = self._call("GET", "/v1/users/%s/certificate" % requests.utils.quote(user_ref,
                                                                                   safe=""),
                          user=user_ref)
        try:
            pems = [data["certificate"], *data.get("chain", [])]
            return [x509.load_pem_x509_certificate(pem.encode("ascii")) for pem in pems]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise RemoteSigningError("The remote signing service returned a damaged "
                                     "certificate for %(user)s.", user=user_ref) from None

    def get_certificate(self, user_ref: str) -> x509.Certificate:
        return self.get_certificates(user_ref)[0]

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, user: str = "", **kwargs) -> dict:
        try:
            response = self._session.request(method, self.base_url + path, timeout=self.timeout,
                                             **kwargs)
        except requests.RequestException:
            raise RemoteSigningError("The remote signing service at %(url)s cannot be reached. "
                                     "Check the address in the signing settings and the network, "
                                     "then try again.", url=self.base_url) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise RemoteSigningError("The remote signing service at %(url)s answered with "
                                     "something that is not JSON (HTTP %(status)s).",
                                     url=self.base_url, status=response.status_code)
        if response.status_code < 400:
            return data
        code = data.get("error", "")
        if response.status_code == 401 or code == "unauthorized":
            raise RemoteSigningError("The remote signing service refused the API key. Check the "
                                     "key in the signing settings.")
        if code == "unknown_user":
            raise RemoteSigningError("The remote signing service has no account %(user)s. Check "
                                     "the signer's account (personal ID or tax code) at the "
                                     "provider.", user=user)
        if code == "unknown_request":
            raise RemoteSigningError("The remote signing service does not know this signature "
                                     "request. Send it again.")
        raise RemoteSigningError("The remote signing service refused the request (HTTP "
                                 "%(status)s: %(detail)s).", status=response.status_code,
                                 detail=str(data.get("message") or code)[:200])


class RemoteSigner(Signer):
    """Signs by sending the digest and waiting up to ``wait`` seconds for the confirmation.

    For tests, the demo and batch jobs; the Odoo layer uses the client's two phases directly so
    no worker waits on a phone.
    """

    def __init__(self, client: RemoteSigningClient, user_ref: str,
                 certificate: x509.Certificate | None = None, wait: float = 120,
                 poll_interval: float = 0.5, description: str = ""):
        self.client = client
        self.user_ref = user_ref
        self.certificate = certificate or client.get_certificate(user_ref)
        self.wait = wait
        self.poll_interval = poll_interval
        self.description = description
        self.last_request_id = ""

    def sign(self, data: bytes) -> bytes:
        request_id = self.client.request_signature(self.user_ref, sha256(data), self.algorithm,
                                                   self.description)
        self.last_request_id = request_id
        deadline = time.monotonic() + self.wait
        while True:
            signature = self.client.fetch_signature(request_id)
            if signature is not None:
                break
            if time.monotonic() >= deadline:
                raise RemoteSigningError("The signer did not confirm the request within "
                                         "%(seconds)s seconds. Confirm it in the signing app, "
                                         "then try again.", seconds=int(self.wait))
            time.sleep(self.poll_interval)
        self._check(signature, data)
        return signature

    def _check(self, signature: bytes, data: bytes) -> None:
        """A signature from the wrong key must fail here, not at the verifier's desk."""
        public = self.certificate.public_key()
        try:
            if self.algorithm == ECDSA_SHA256:
                public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            else:
                public.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        except Exception:  # noqa: BLE001 - InvalidSignature
            raise RemoteSigningError("The signature returned by the remote signing service does "
                                     "not match the certificate of %(user)s.",
                                     user=self.user_ref) from None
