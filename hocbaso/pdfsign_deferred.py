"""The printed record certified by a key the server does not hold (a remote signing service,
a USB token at the user's computer): pyHanko's interrupted signing.

:func:`prepare` writes the PDF with its signature placeholder and the CMS signed attributes
(PAdES: the signer's certificate and the byte range's digest), and gives the SHA-256 digest
of those attributes: the only thing that leaves the server, signed like an XML SignedInfo
digest (RSA PKCS#1 v1.5, or ECDSA). :func:`finish` takes the answer, which is untrusted: it
checks the prepared PDF against its digest and the value against the certificate and the
signed attributes before anything is embedded, then adds the timestamp (with a URL) and
returns the certified PDF, which :func:`hocbaso.pdfsign.verify_pdf` checks like any other.

    prepared, digest = prepare(pdf, certificate, chain, reason="...", location="...")
    kept = prepared.to_json()                     # between the request and the approval
    signed = finish(PreparedPdf.from_json(kept), value, certificate)
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

from .errors import SigningError
from .pdfsign import FIELD_NAME, TOKEN_ROOM, _asn1, _common_name, certification_metadata
#: what a kept state may hold at most (the PDF is printed by us: a few hundred kB)
MAX_PREPARED_PDF = 64 * 1024 * 1024


@dataclass(frozen=True)
class PreparedPdf:
    """What :func:`finish` needs, kept between the request and the signer's answer: the PDF
    with its placeholder, where the placeholder is, the byte range's digest, the DER signed
    attributes, the signer's certificate and chain (DER) and the TSA to use (or "")."""

    pdf: bytes
    region_start: int
    region_end: int
    document_digest: bytes
    signed_attrs: bytes
    certificate: bytes
    chain: tuple = ()
    tsa_url: str = ""

    @property
    def digest(self) -> bytes:
        """What the key signs: SHA-256 of the DER signed attributes."""
        return hashlib.sha256(self.signed_attrs).digest()

    def to_json(self) -> str:
        def b64(data):
            return base64.b64encode(data).decode("ascii")

        return json.dumps({
            "pdf": b64(self.pdf), "region": [self.region_start, self.region_end],
            "document_digest": b64(self.document_digest),
            "signed_attrs": b64(self.signed_attrs), "certificate": b64(self.certificate),
            "chain": [b64(der) for der in self.chain], "tsa_url": self.tsa_url})

    @classmethod
    def from_json(cls, text: str) -> PreparedPdf:
        try:
            data = json.loads(text)
            start, end = (int(value) for value in data["region"])
            return cls(
                pdf=base64.b64decode(data["pdf"], validate=True),
                region_start=start, region_end=end,
                document_digest=base64.b64decode(data["document_digest"], validate=True),
                signed_attrs=base64.b64decode(data["signed_attrs"], validate=True),
                certificate=base64.b64decode(data["certificate"], validate=True),
                chain=tuple(base64.b64decode(der, validate=True) for der in data["chain"]),
                tsa_url=str(data.get("tsa_url") or ""))
        except (ValueError, KeyError, TypeError):
            raise SigningError("The PDF prepared for signing was kept in a wrong form: "
                               "prepare it again.") from None


def _mechanism(certificate: x509.Certificate) -> str:
    return "sha256_ecdsa" if isinstance(certificate.public_key(), ec.EllipticCurvePublicKey) \
        else "sha256_rsa"


def _external_signer(certificate: x509.Certificate, chain, value: bytes):
    from asn1crypto.algos import SignedDigestAlgorithm
    from pyhanko.sign.signers.pdf_cms import ExternalSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return ExternalSigner(
        signing_cert=_asn1(certificate),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),
        signature_value=value,
        signature_mechanism=SignedDigestAlgorithm({"algorithm": _mechanism(certificate)}),
        embed_roots=True)


def _reserved(certificate: x509.Certificate, chain, timestamped: bool) -> int:
    """Hex digits for the CMS: the certificates, the value, the attributes (and the TSA's
    token, whose size cannot be tried first: the digest is signed before the token exists),
    with a margin."""
    der = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in [certificate, *chain])
    der += (certificate.public_key().key_size + 7) // 8 + 4096
    if timestamped:
        der += TOKEN_ROOM
    return 2 * (der + der // 4)


def prepare(pdf: bytes, certificate: x509.Certificate, chain=(), reason: str = "",
            location: str = "", tsa_url: str | None = None, *, contact: str = "",
            field_name: str = FIELD_NAME) -> tuple[PreparedPdf, bytes]:
    """(state to keep, 32-byte digest to sign) for certifying ``pdf`` (PAdES, DocMDP "no
    changes", as :func:`hocbaso.pdfsign.sign_pdf`) with ``certificate``'s key, held
    elsewhere. Nothing is sent anywhere. Raises SigningError."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    if not pdf or pdf[:5] != b"%PDF-" or len(pdf) > MAX_PREPARED_PDF:
        raise SigningError("The file to sign is not a PDF.")
    meta = certification_metadata(field_name, reason, location, contact)
    size = (certificate.public_key().key_size + 7) // 8
    signer = _external_signer(certificate, chain, bytes(size))
    output = io.BytesIO()

    async def run():
        writer = IncrementalPdfFileWriter(io.BytesIO(bytes(pdf)), strict=False)
        prepared, _tbs, _out = await signers.PdfSigner(meta, signer=signer) \
            .async_digest_doc_for_signing(
                writer, output=output,
                bytes_reserved=_reserved(certificate, chain, bool(tsa_url)))
        attrs = await signer.signed_attrs(prepared.document_digest, "sha256", use_pades=True)
        return prepared, attrs

    try:
        prepared, attrs = asyncio.run(run())
    except SigningError:
        raise
    except Exception as err:  # noqa: BLE001 - pyHanko's reader on a damaged PDF
        raise SigningError("The PDF could not be signed: %(detail)s",
                           detail=f"{type(err).__name__}: {err}") from None
    state = PreparedPdf(
        pdf=output.getvalue(), region_start=prepared.reserved_region_start,
        region_end=prepared.reserved_region_end, document_digest=prepared.document_digest,
        signed_attrs=attrs.dump(),
        certificate=certificate.public_bytes(serialization.Encoding.DER),
        chain=tuple(c.public_bytes(serialization.Encoding.DER) for c in chain),
        tsa_url=tsa_url or "")
    return state, state.digest


def _check_prepared(prepared: PreparedPdf, certificate: x509.Certificate):
    """The kept state is whole: the PDF around its placeholder hashes to the digest the
    signed attributes name, for this certificate. Returns the signed attributes."""
    from asn1crypto import cms

    pdf, start, end = prepared.pdf, prepared.region_start, prepared.region_end
    if prepared.certificate != certificate.public_bytes(serialization.Encoding.DER):
        raise SigningError("The PDF was prepared for another certificate than %(subject)s: "
                           "nothing was signed.", subject=_common_name(certificate))
    placeholder = pdf[start:end] if 0 < start < end <= len(pdf) else b""
    digest = hashlib.sha256()
    digest.update(pdf[:start])
    digest.update(pdf[end:])
    if len(placeholder) < 3 or placeholder[:1] != b"<" or placeholder[-1:] != b">" \
            or placeholder[1:-1].strip(b"0") or digest.digest() != prepared.document_digest:
        raise SigningError("The PDF prepared for signing was changed since: nothing was "
                           "signed. Prepare it again.")
    try:
        attrs = cms.CMSAttributes.load(prepared.signed_attrs)
        named = [attr["values"][0].native for attr in attrs
                 if attr["type"].native == "message_digest"]
    except (ValueError, TypeError, KeyError):
        named = []
    if named != [prepared.document_digest]:
        raise SigningError("The PDF prepared for signing was changed since: nothing was "
                           "signed. Prepare it again.")
    return attrs


def _check_value(value: bytes, prepared: PreparedPdf, certificate: x509.Certificate):
    public = certificate.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(value, prepared.digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        else:
            public.verify(value, prepared.digest, padding.PKCS1v15(),
                          utils.Prehashed(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError, AttributeError):
        raise SigningError("The signature made for the PDF does not match the certificate "
                           "%(subject)s: nothing was signed.",
                           subject=_common_name(certificate)) from None


def finish(prepared: PreparedPdf, signature_value: bytes, certificate: x509.Certificate, *,
           timeout: int = 20) -> bytes:
    """The certified PDF: ``signature_value`` (the signer's answer for ``prepared.digest``)
    put in the placeholder once it is checked, with the TSA's token when the state names
    one. Raises SigningError, and then nothing was made."""
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
    from pyhanko.sign.timestamps import HTTPTimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    if not isinstance(signature_value, bytes) or not 0 < len(signature_value) <= 1024:
        raise SigningError("The signature made for the PDF does not match the certificate "
                           "%(subject)s: nothing was signed.",
                           subject=_common_name(certificate))
    attrs = _check_prepared(prepared, certificate)
    _check_value(signature_value, prepared, certificate)
    chain = [x509.load_der_x509_certificate(der) for der in prepared.chain]
    signer = _external_signer(certificate, chain, signature_value)
    timestamper = HTTPTimeStamper(prepared.tsa_url, timeout=timeout) \
        if prepared.tsa_url else None
    output = io.BytesIO(prepared.pdf)

    async def run():
        signed_cms = await signer.async_sign_prescribed_attributes(
            "sha256", attrs, timestamper=timestamper)
        await PdfTBSDocument.async_finish_signing(
            output, PreparedByteRangeDigest(prepared.document_digest, prepared.region_start,
                                            prepared.region_end), signed_cms)

    try:
        asyncio.run(run())
    except (TimestampRequestError, ConnectionError) as err:
        raise SigningError("The time-stamping authority %(url)s did not give a timestamp: "
                           "%(detail)s. Nothing was signed.", url=prepared.tsa_url,
                           detail=str(err)) from None
    except Exception as err:  # noqa: BLE001 - pyHanko: a signature larger than its room
        raise SigningError("The PDF could not be signed: %(detail)s",
                           detail=f"{type(err).__name__}: {err}") from None
    return output.getvalue()
