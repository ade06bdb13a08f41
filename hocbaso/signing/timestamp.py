"""Trusted timestamps (RFC 3161) on signatures: XAdES-T's SignatureTimeStamp.

A signature's own SigningTime is only what its signer claims. A time-stamping authority (TSA)
signs a token saying that a hash existed at its ``genTime``; over the SHA-256 of the
canonicalised ds:SignatureValue element (XAdES 1.3.2, 7.3), the token proves the signature
was made before that time, so it can be judged then, long after its certificate expired.

- :class:`TimestampClient` asks a TSA over HTTP (nonce, certReq) and checks the answer;
- :func:`check_token` checks a token: a CMS SignedData whose TSTInfo has our hash (and nonce),
  signed (signed attributes, ESS signing certificate) by a certificate with the critical
  timeStamping key usage that chains to a root the caller trusts, valid at ``genTime``;
- :func:`add_signature_timestamp` puts a checked token into the signature's
  xades:UnsignedProperties; :func:`timestamp_signature` asks for one and adds it;
- :func:`signature_timestamp` reads and checks the token of a signature (the verifier).

Why asn1crypto + cryptography, not ``rfc3161-client``: asn1crypto is already pinned (the
XAdES IssuerSerialV2) and describes TimeStampReq, TimeStampResp, TSTInfo and CMS, so requests
are built and answers parsed from those definitions (no hand-written DER), and the stand-in
TSA builds its answers with the same definitions. rfc3161-client (a compiled extension)
verifies the TSA's chain with OpenSSL against one flat set of certificates at genTime and
knows no revocation lists; here the chain, the dates and the CRLs go through the same checks
as the signers' certificates (:mod:`hocbaso.signing.certs`), with the same translatable errors.

Nothing signed changes when a timestamp is added, but later signatures reference the earlier
ds:Signature elements as a whole (GVCN covers each GVBM signature, CBQL covers GVCN, the issuer
covers CBQL): a signature must be timestamped right after it is made, before the next role
signs. :func:`add_signature_timestamp` refuses a signature another one already covers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import requests
from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from asn1crypto import tsp as asn1_tsp
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from ..errors import CertificateError, Problem, TimestampError
from ..netio import Refusals, ThreadSessions, post_der
from . import certs
from .dsig_primitives import (
    C14N,
    C14N_METHODS,
    b64,
    b64decode,
    canonicalize,
    children_at,
    ds,
    parse_record,
    serialize,
    xades,
)

MAX_RESPONSE_BYTES = 256 * 1024  # a token with its certificates is a few KiB
DEFAULT_TIMEOUT = 20.0
_HASHES = {"sha256": (hashlib.sha256, hashes.SHA256), "sha384": (hashlib.sha384, hashes.SHA384),
           "sha512": (hashlib.sha512, hashes.SHA512)}
# where a signature's timestamp sits
_TIMESTAMP_TAGS = (ds("Object"), xades("QualifyingProperties"), xades("UnsignedProperties"),
                   xades("UnsignedSignatureProperties"), xades("SignatureTimeStamp"))
TIMESTAMP_PATH = "/".join(_TIMESTAMP_TAGS)


class TimeStampResp(asn1_core.Sequence):
    """RFC 3161 2.4.2, the token OPTIONAL as there (asn1crypto's own definition requires it,
    so a refusal would not parse)."""

    _fields = [("status", asn1_tsp.PKIStatusInfo),
               ("time_stamp_token", asn1_cms.ContentInfo, {"optional": True})]


@dataclass(frozen=True)
class TimestampInfo:
    """A checked token: the proven time and who proved it."""

    gen_time: dt.datetime  # aware UTC
    serial_number: int
    policy: str  # dotted OID
    nonce: int | None
    tsa_certificate: x509.Certificate
    token: bytes  # DER ContentInfo (SignedData), as written in EncapsulatedTimeStamp

    @property
    def tsa_name(self) -> str:
        names = self.tsa_certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.tsa_certificate.subject.rfc4514_string()


# --- request and answer ------------------------------------------------------------------------
def make_request(digest: bytes, nonce: int | None = None) -> tuple[bytes, int]:
    """(DER TimeStampReq over the SHA-256 ``digest`` with certReq true, its nonce)."""
    if len(digest) != 32:
        raise ValueError("a SHA-256 digest is 32 bytes")
    nonce = secrets.randbits(63) | 1 if nonce is None else nonce
    request = asn1_tsp.TimeStampReq({
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": "sha256"}, "hashed_message": digest},
        "nonce": nonce,
        "cert_req": True,
    })
    return request.dump(), nonce


def token_from_response(der: bytes) -> bytes:
    """The token (DER ContentInfo) of a TimeStampResp granted by the TSA; TimestampError
    otherwise (refused, not DER)."""
    try:
        response = TimeStampResp.load(bytes(der), strict=True)
        status_info = response["status"]
        status = status_info["status"].native
        detail = status_info["status_string"].native or []
    except (ValueError, TypeError, KeyError):
        raise TimestampError("The time-stamping authority's answer is not a valid RFC 3161 "
                             "response. Try again later, or check the authority's address.") \
            from None
    if status not in ("granted", "granted_with_mods"):
        raise TimestampError(
            "The time-stamping authority refused the request (%(status)s%(detail)s). Try again "
            "later, or ask the authority.", status=status,
            detail=": " + "; ".join(str(text) for text in detail)[:200] if detail else "")
    try:
        token = response["time_stamp_token"]
        token_der = None if isinstance(token, asn1_core.Void) else token.dump()
    except (ValueError, TypeError, KeyError):
        token_der = None
    if not token_der:
        raise TimestampError("The time-stamping authority granted the request but sent no "
                             "token.")
    return token_der


class TimestampClient:
    """An RFC 3161 TSA over HTTP; ``stamp(digest)`` gives a token already checked.

    ``trusted``/``intermediates``/``crls``: what the TSA's certificate must chain to (the
    caller's trust store). ``auth``: (user, password) for a TSA that asks for HTTP Basic.
    One client may stamp from several threads at once (netio.ThreadSessions)."""

    def __init__(self, url: str, trusted, intermediates=(), crls=(),
                 timeout: float = DEFAULT_TIMEOUT, auth: tuple[str, str] | None = None,
                 session: requests.Session | None = None):
        self.url, self.timeout, self.auth = url, timeout, auth
        self.trusted, self.intermediates, self.crls = list(trusted), list(intermediates), \
            list(crls)
        self._sessions = ThreadSessions(session)

    def __repr__(self) -> str:  # never the credentials
        return "TimestampClient(%r)" % self.url

    @property
    def session(self) -> requests.Session:
        return self._sessions.get()

    def stamp_info(self, digest: bytes) -> TimestampInfo:
        """Ask for a token over ``digest`` and check it (nonce, hash, trust, signature)."""
        request, nonce = make_request(digest)
        answer = self._post(request)
        return check_token(token_from_response(answer), digest, self.trusted,
                           self.intermediates, self.crls, nonce=nonce)

    def stamp(self, digest: bytes) -> bytes:
        """The checked token's DER (the form ``sign_slots_made(timestamp=...)`` takes)."""
        return self.stamp_info(digest).token

    def _post(self, request: bytes) -> bytes:
        return post_der(self.session, self.url, request, "application/timestamp-query",
                        "application/timestamp-reply", MAX_RESPONSE_BYTES, _REFUSALS,
                        self.timeout, auth=self.auth)


_REFUSALS = Refusals(
    TimestampError,
    status="The time-stamping authority answered with HTTP status %(status)s. Try again "
           "later, or check the authority's address.",
    too_large="The time-stamping authority's answer is larger than %(limit)s bytes and was "
              "refused.",
    unreachable="The time-stamping authority %(url)s could not be reached (%(detail)s). Try "
                "again later.")


# --- checking a token --------------------------------------------------------------------------
def _certificates(signed_data) -> list[x509.Certificate]:
    found = []
    for choice in signed_data["certificates"] or []:
        if choice.name == "certificate":
            found.append(x509.load_der_x509_certificate(choice.chosen.dump()))
    return found


def _signer_certificate(signer_info, candidates: list[x509.Certificate]) -> x509.Certificate:
    sid = signer_info["sid"]
    for cert in candidates:
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if wanted["serial_number"].native == cert.serial_number and \
                    wanted["issuer"].dump() == cert.issuer.public_bytes():
                return cert
        elif sid.name == "subject_key_identifier":
            try:
                ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            except x509.ExtensionNotFound:
                continue
            if ski.value.digest == sid.chosen.native:
                return cert
    raise TimestampError("The timestamp is not valid: it does not carry the certificate of the "
                         "authority that signed it.")


def _attribute(signed_attrs, name: str):
    values = [attr["values"] for attr in signed_attrs if attr["type"].native == name]
    if len(values) != 1 or len(values[0]) != 1:
        return None
    return values[0][0]


def _check_signing_certificate(signed_attrs, certificate: x509.Certificate) -> None:
    """ESS signing-certificate(-v2): the token names the certificate that signed it."""
    der = certificate.public_bytes(Encoding.DER)
    v2 = _attribute(signed_attrs, "signing_certificate_v2")
    if v2 is not None:
        first = v2["certs"][0]
        algorithm = first["hash_algorithm"]["algorithm"].native
        hasher = _HASHES.get(algorithm, (None,))[0]
        if hasher is not None and first["cert_hash"].native == hasher(der).digest():
            return
    v1 = _attribute(signed_attrs, "signing_certificate")
    if v1 is not None and v1["certs"][0]["cert_hash"].native == hashlib.sha1(der).digest():
        return
    raise TimestampError("The timestamp is not valid: it does not name the certificate that signed "
                         "it (ESS signing certificate).")


def _signed_attributes_der(signer_info) -> bytes:
    """The DER SET OF the signer signed: the [0] IMPLICIT tag (0xA0) back to SET (0x31), the
    length and content as received. Taken before any attribute is read: asn1crypto then
    re-encodes the whole structure on dump (untag().dump() did: about 18 ms a token)."""
    tagged = signer_info["signed_attrs"].dump()
    if tagged[:1] != b"\xa0":
        raise TimestampError("The timestamp is not valid: it is not a readable RFC 3161 token.")
    return b"\x31" + tagged[1:]


def _verify_cms_signature(signer_info, certificate: x509.Certificate, hash_name: str,
                          signed: bytes) -> None:
    signature = signer_info["signature"].native
    algorithm = signer_info["signature_algorithm"]["algorithm"].native
    key = certificate.public_key()
    hash_cls = _HASHES[hash_name][1]
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm in (
                "rsassa_pkcs1v15", "sha256_rsa", "sha384_rsa", "sha512_rsa"):
            key.verify(signature, signed, padding.PKCS1v15(), hash_cls())
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm in (
                "ecdsa", "sha256_ecdsa", "sha384_ecdsa", "sha512_ecdsa"):
            key.verify(signature, signed, ec.ECDSA(hash_cls()))
        else:
            raise TimestampError("The timestamp is not valid: its signature algorithm "
                                 "%(algorithm)s is not accepted.", algorithm=algorithm)
    except InvalidSignature:
        raise TimestampError("The timestamp is not valid: its signature does not match its content "
                             "(it was changed or forged).") from None


def check_token(token: bytes, digest: bytes, trusted, intermediates=(), crls=(),
                nonce: int | None = None) -> TimestampInfo:
    """Check an RFC 3161 token over the SHA-256 ``digest``; TimestampError when it fails.

    Checked: a CMS SignedData of a TSTInfo; its message imprint is SHA-256 ``digest``; its
    nonce is ``nonce`` (when given); one signer, whose certificate the token carries (or
    ``intermediates`` holds) and names in its signed attributes; the signature over the signed
    attributes, whose message digest is the TSTInfo's; and that certificate is a TSA's
    (timeStamping, critical), chains to ``trusted`` and is neither expired nor revoked
    (``crls``) at genTime."""
    if not trusted:
        raise TimestampError("The timestamp cannot be checked: no trusted root certificate "
                             "was given for time-stamping authorities.")
    try:
        info = asn1_cms.ContentInfo.load(bytes(token), strict=True)
        if info["content_type"].native != "signed_data":
            raise TimestampError("The timestamp is not valid: it is not CMS signed data.")
        signed_data = info["content"]
        encap = signed_data["encap_content_info"]
        if encap["content_type"].native != "tst_info":
            raise TimestampError("The timestamp is not valid: it holds no TSTInfo.")
        tst_der = encap["content"].contents  # the TSTInfo's DER, as the message digest covers
        tst = asn1_tsp.TSTInfo.load(tst_der, strict=True)
        imprint = tst["message_imprint"]
        imprint_algorithm = imprint["hash_algorithm"]["algorithm"].native
        imprint_value = imprint["hashed_message"].native
        gen_time = tst["gen_time"].native
        token_nonce = tst["nonce"].native
        serial, policy = tst["serial_number"].native, tst["policy"].native
        signer_infos = signed_data["signer_infos"]
        carried = _certificates(signed_data)
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError):
        raise TimestampError(
            "The timestamp is not valid: it is not a readable RFC 3161 token.") from None
    if imprint_algorithm != "sha256" or imprint_value != bytes(digest):
        raise TimestampError("The timestamp is not valid: it was issued for other content than "
                             "this signature (the hash differs).")
    if nonce is not None and token_nonce != nonce:
        raise TimestampError("The timestamp is not valid: its nonce is not the one asked for (it "
                             "may be a replayed answer).")
    if len(signer_infos) != 1:
        raise TimestampError("The timestamp is not valid: it has %(count)s signers instead of "
                             "one.", count=len(signer_infos))
    signer_info = signer_infos[0]
    try:
        hash_name = signer_info["digest_algorithm"]["algorithm"].native
        signed_der = _signed_attributes_der(signer_info)
        signed_attrs = signer_info["signed_attrs"]
        if hash_name not in _HASHES or not signed_attrs:
            raise TimestampError("The timestamp is not valid: it uses an unsupported digest or has "
                                 "no signed attributes.")
        certificate = _signer_certificate(signer_info, [*carried, *intermediates])
        content_type = _attribute(signed_attrs, "content_type")
        message_digest = _attribute(signed_attrs, "message_digest")
        if content_type is None or content_type.native != "tst_info" or \
                message_digest is None or \
                message_digest.native != _HASHES[hash_name][0](tst_der).digest():
            raise TimestampError("The timestamp is not valid: its signed attributes do not match "
                                 "its content (it was changed or forged).")
        _check_signing_certificate(signed_attrs, certificate)
        _verify_cms_signature(signer_info, certificate, hash_name, signed_der)
    except TimestampError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        raise TimestampError(
            "The timestamp is not valid: it is not a readable RFC 3161 token.") from None
    if not isinstance(gen_time, dt.datetime):
        raise TimestampError("The timestamp is not valid: it has no time.")
    gen_time = gen_time.astimezone(dt.timezone.utc)
    try:
        certs.check_certificate(certificate, trusted=list(trusted),
                                intermediates=[*intermediates, *carried], crls=list(crls),
                                at=gen_time, purpose=certs.PURPOSE_TIMESTAMPING)
    except CertificateError as exc:
        raise TimestampError("The timestamp's authority is not trusted: %(problem)s",
                             problem=Problem(exc)) from None
    return TimestampInfo(gen_time=gen_time, serial_number=serial, policy=policy or "",
                         nonce=token_nonce, tsa_certificate=certificate, token=bytes(token))


# --- the timestamp in a signature --------------------------------------------------------------
def signature_value_digest(signature: etree._Element, algorithm: str = C14N) -> bytes:
    """SHA-256 of the canonicalised ds:SignatureValue element: what SignatureTimeStamp
    covers."""
    value = signature.find(ds("SignatureValue"))
    if value is None or not (value.text or "").strip():
        raise TimestampError("The signature has no value yet, so it cannot be timestamped.")
    return hashlib.sha256(canonicalize(value, algorithm)).digest()


def _find_signature(root: etree._Element, signature_id: str) -> etree._Element:
    found = [sig for sig in root.iter(ds("Signature")) if sig.get("Id") == signature_id]
    if len(found) != 1:
        raise TimestampError("The record has no signature %(id)s to timestamp.",
                             id=signature_id)
    return found[0]


def _covered_by(root: etree._Element, signature: etree._Element) -> str | None:
    """Id of a later signature that references ``signature`` (or a part of it), if any."""
    inside = {el.get("Id") for el in signature.iter() if el.get("Id")}
    for other in root.iter(ds("Signature")):
        if other is signature:
            continue
        for ref in other.iterfind(ds("SignedInfo") + "/" + ds("Reference")):
            if (ref.get("URI") or "")[1:] in inside:
                return other.get("Id") or "?"
    return None


def add_timestamp_element(signature: etree._Element, token: bytes) -> None:
    """Append xades:UnsignedProperties/UnsignedSignatureProperties/SignatureTimeStamp with
    ``token`` to the signature's QualifyingProperties (nothing signed changes)."""
    qualifying = signature.find(ds("Object") + "/" + xades("QualifyingProperties"))
    if qualifying is None or qualifying.find(xades("SignedProperties")) is None:
        raise TimestampError("The signature %(id)s has no XAdES properties, so it cannot carry "
                             "a timestamp.", id=signature.get("Id") or "?")
    if signature.find(TIMESTAMP_PATH) is not None:
        raise TimestampError("The signature %(id)s already carries a timestamp.",
                             id=signature.get("Id") or "?")
    unsigned = qualifying.find(xades("UnsignedProperties"))
    if unsigned is None:
        unsigned = etree.SubElement(qualifying, xades("UnsignedProperties"))
    properties = unsigned.find(xades("UnsignedSignatureProperties"))
    if properties is None:
        properties = etree.SubElement(unsigned, xades("UnsignedSignatureProperties"))
    stamp = etree.SubElement(properties, xades("SignatureTimeStamp"))
    etree.SubElement(stamp, ds("CanonicalizationMethod"), Algorithm=C14N)
    etree.SubElement(stamp, xades("EncapsulatedTimeStamp")).text = b64(token)


def add_signature_timestamp(xml_bytes: bytes, signature_id: str, token: bytes, trusted,
                            intermediates=(), crls=()) -> bytes:
    """The record with ``token`` (from our TSA, or a provider's ``timestamp_signature``) added
    to signature ``signature_id`` once it checks out (:func:`check_token` over that
    signature's value); TimestampError and nothing added otherwise, or when a later signature
    already covers this one (the timestamp would break it)."""
    root = parse_record(xml_bytes)
    signature = _find_signature(root, signature_id)
    later = _covered_by(root, signature)
    if later:
        raise TimestampError(
            "The signature %(id)s is already covered by the later signature %(later)s; adding "
            "a timestamp now would break it. Timestamp each signature before the next role "
            "signs.", id=signature_id, later=later)
    check_token(token, signature_value_digest(signature), trusted, intermediates, crls)
    add_timestamp_element(signature, token)
    return serialize(root)


def timestamp_signature(xml_bytes: bytes, signature_id: str,
                        client: TimestampClient) -> tuple[bytes, TimestampInfo]:
    """Ask ``client``'s TSA for a token over signature ``signature_id`` and add it."""
    root = parse_record(xml_bytes)
    signature = _find_signature(root, signature_id)
    later = _covered_by(root, signature)
    if later:
        raise TimestampError(
            "The signature %(id)s is already covered by the later signature %(later)s; adding "
            "a timestamp now would break it. Timestamp each signature before the next role "
            "signs.", id=signature_id, later=later)
    info = client.stamp_info(signature_value_digest(signature))
    add_timestamp_element(signature, info.token)
    return serialize(root), info


def signature_timestamp(signature: etree._Element, trusted, intermediates=(),
                        crls=()) -> TimestampInfo | None:
    """The checked timestamp of a signature; None when it has none; TimestampError when it
    has one that does not check (changed, forged, untrusted, over something else)."""
    stamps = children_at(signature, *_TIMESTAMP_TAGS)
    if not stamps:
        return None
    if len(stamps) > 1:
        raise TimestampError("The signature carries %(count)s signature timestamps instead of "
                             "one.", count=len(stamps))
    stamp = stamps[0]
    method = stamp.find(ds("CanonicalizationMethod"))
    algorithm = method.get("Algorithm") if method is not None else C14N
    if algorithm not in C14N_METHODS:
        raise TimestampError("The timestamp is not valid: its canonicalisation method %(method)s "
                             "is not accepted.", method=algorithm)
    encapsulated = stamp.findall(xades("EncapsulatedTimeStamp"))
    if len(encapsulated) != 1:
        raise TimestampError("The timestamp is not valid: it must hold exactly one encapsulated "
                             "token.")
    try:
        token = b64decode(encapsulated[0].text)
    except ValueError:
        raise TimestampError("The timestamp cannot be read: it was changed or damaged.") from None
    return check_token(token, signature_value_digest(signature, algorithm), trusted,
                       intermediates, crls)


def record_timestamps(xml_bytes: bytes, trusted, intermediates=(), crls=()
                      ) -> dict[str, TimestampInfo | None]:
    """Signature Id -> its checked timestamp (None: none) for every signature of a record;
    TimestampError on the first that does not check."""
    root = parse_record(xml_bytes)
    return {sig.get("Id", ""): signature_timestamp(sig, trusted, intermediates, crls)
            for sig in root.iter(ds("Signature"))}


def token_certificate(token: bytes) -> x509.Certificate | None:
    """The certificate that signed ``token``, as the token carries it, UNCHECKED (to find its
    kept status or its expiry); None when the token cannot be read."""
    try:
        signed_data = asn1_cms.ContentInfo.load(bytes(token))["content"]
        return _signer_certificate(signed_data["signer_infos"][0], _certificates(signed_data))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, TimestampError):
        return None


def token_signer(signature: etree._Element) -> x509.Certificate | None:
    """The TSA certificate of a signature's SignatureTimeStamp, unchecked; None without one."""
    text = signature.findtext(TIMESTAMP_PATH + "/" + xades("EncapsulatedTimeStamp"))
    try:
        return token_certificate(b64decode(text)) if text else None
    except ValueError:
        return None
