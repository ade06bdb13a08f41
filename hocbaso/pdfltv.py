"""Validation data kept in the school's signed PDF (PAdES B-LT): a Document Security Store.

A certified and timestamped PDF (:func:`hocbaso.pdfsign.sign_pdf` with a TSA) proves when the
school signed it, but a reader years later also needs the certificate paths and the revocation
status of the school's certificate and of the time-stamping authority's as they were at that
time: by then the CA's CRL endpoint may be gone and the certificates expired. This module adds
them as the PDF's DSS (an incremental update after the signature, which the certification's
"no changes" permission allows), gathered by the same :class:`hocbaso.signing.ltv.Collector`
that keeps the XML record's validation data: the school's OCSP responder first, the trusted
CAs' CRLs otherwise, each status judged at the proven signing time.

    signed = sign_pdf(pdf, signer, chain, tsa_url=url)
    kept = add_validation_data(signed, collector)
    verify_pdf(kept, [root])   # valid after the school's certificate expired

pyHanko writes the DSS (``DocumentSecurityStore.add_dss``) and reads it when verifying
(``validate_pdf_ltv_signature``); what goes in comes from our collector, so a refusal reads
in Vietnamese like the XML record's (pyHanko's own collection, ``embed_validation_info``,
fetches by itself and reports in English).
"""

from __future__ import annotations

import hashlib
import io

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography.hazmat.primitives import serialization

from .errors import HocbasoError, Problem, ValidationDataError
from .signing import timestamp
from .signing.ltv import Collector, ValidationData


def _embedded_signature(pdf: bytes):
    """The PDF's last regular signature (the school's, made just before)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        embedded = list(reader.embedded_regular_signatures)
    except Exception:  # noqa: BLE001 - pyHanko's reader on a damaged PDF
        embedded = []
    if not embedded:
        raise ValidationDataError("The PDF carries no signature to keep validation data for.")
    return embedded[-1]


def _signature_timestamp(embedded, collector: Collector):
    """The checked timestamp token of the PDF signature (TimestampInfo), or None."""
    from pyhanko.sign.general import find_unique_cms_attribute, NonexistentAttributeError

    signer_info = embedded.signer_info
    try:
        token = find_unique_cms_attribute(signer_info["unsigned_attrs"],
                                          "signature_time_stamp_token")
    except NonexistentAttributeError:
        return None
    except Exception:  # noqa: BLE001 - more than one, or unreadable
        raise ValidationDataError("The timestamp of the PDF signature cannot be read.") from None
    digest = hashlib.sha256(signer_info["signature"].native).digest()
    try:
        return timestamp.check_token(token.dump(), digest, collector.trusted,
                                     collector.intermediates, collector.crls)
    except HocbasoError as exc:
        raise ValidationDataError("The timestamp of the PDF signature does not verify: "
                                  "%(problem)s", problem=Problem(exc)) from None


def collect(pdf: bytes, collector: Collector) -> ValidationData:
    """The paths and revocation status of the PDF signature's signer (at the time its timestamp
    proves) and of its time-stamping authority. A PDF signature without a timestamp gets none:
    PAdES B-LT builds on B-T, and without a proven time the data proves nothing later.
    Raises ValidationDataError."""
    from .pdfsign import _crypto

    embedded = _embedded_signature(pdf)
    stamp = _signature_timestamp(embedded, collector)
    if stamp is None:
        raise ValidationDataError("The PDF signature has no timestamp: validation data is "
                                  "kept only for a signature whose time is proven.")
    carried = [_crypto(choice.chosen) for choice in embedded.signed_data["certificates"]
               if choice.name == "certificate"]
    data = collector.for_certificate(_crypto(embedded.signer_cert), carried, stamp.gen_time)
    data.extend(collector.for_certificate(stamp.tsa_certificate, (), stamp.gen_time))
    return data


def add_validation_data(pdf: bytes, collector: Collector) -> bytes:
    """``pdf`` with a DSS holding :func:`collect`'s data, appended as an incremental update
    (every signed byte stays). Raises ValidationDataError; the PDF given is then unchanged."""
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    from .pdfsign import _asn1

    data = collect(pdf, collector)
    output = io.BytesIO(bytes(pdf))
    try:
        DocumentSecurityStore.add_dss(
            output, sig_contents=None,  # no per-signature VRI: PAdES baseline does not use it
            certs=[_asn1(certificate) for certificate in data.certificates],
            crls=[asn1_crl.CertificateList.load(crl.public_bytes(serialization.Encoding.DER))
                  for crl in data.crls],
            ocsps=[asn1_ocsp.OCSPResponse.load(der) for der in data.ocsp_responses])
    except Exception as err:  # noqa: BLE001 - pyHanko's writer on an odd PDF
        raise ValidationDataError("The validation data could not be written into the PDF: "
                                  "%(detail)s", detail=f"{type(err).__name__}: {err}") from None
    return output.getvalue()


def kept_validation_data(pdf: bytes) -> ValidationData:
    """What the PDF's DSS holds (certificates, CRLs, OCSP responses), for display and tests;
    an empty ValidationData when the PDF keeps none."""
    from cryptography import x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    data = ValidationData()
    try:
        reader = PdfFileReader(io.BytesIO(bytes(pdf)), strict=False)
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # noqa: BLE001 - no DSS, or an unreadable one
        return data
    for certificate in dss.load_certs():
        data.add_certificate(x509.load_der_x509_certificate(certificate.dump()))
    for ref in dss.crls:
        data.add_crl(x509.load_der_x509_crl(ref.get_object().data))
    for ref in dss.ocsps:
        data.add_ocsp(ref.get_object().data)
    return data
