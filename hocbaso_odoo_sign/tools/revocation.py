"""The revocation statement: a small XML saying which record version is revoked, why and when,
signed (XML-DSig, RSA/ECDSA-SHA256, C14N) with the school's organisation certificate."""

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from lxml import etree

from hocbaso.safexml import parse_untrusted
from hocbaso.signing import timestamp as T
from hocbaso.signing import xmldsig as X

STATEMENT_ID = "thuhoi"
SIGNATURE_ID = "sig-thuhoi"


def build_revocation_statement(record, reason, moment):
    root = etree.Element("THU_HOI_HOC_BA")
    data = etree.SubElement(root, "NOI_DUNG", Id=STATEMENT_ID)
    for tag, value in (
        ("MA_DINH_DANH_HOC_BA", record.record_uuid),
        ("PHIEN_BAN", str(record.version)),
        ("MA_TRUONG", record.company_id.hocbaso_school_code or ""),
        ("TEN_TRUONG", record.company_id.name or ""),
        ("SO_DDCN_HOC_SINH", record.student_id.personal_id or ""),
        ("HO_TEN_HOC_SINH", record.student_id.name or ""),
        ("NAM_HOC", record.school_year_id.name or ""),
        ("SHA256_HOC_BA", hashlib.sha256(record._get_xml()).hexdigest()),
        ("LY_DO", reason),
        ("THOI_GIAN", X.format_signing_time(moment)),
    ):
        etree.SubElement(data, tag).text = value
    etree.SubElement(root, "CHU_KY")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sign_statement(xml_bytes, signer, moment):
    """Sign the statement; returns (signed bytes, signature Id, SignedInfo SHA-256 hex)."""
    root = parse_untrusted(xml_bytes)
    data = root.find("NOI_DUNG")
    slot = root.find("CHU_KY")
    certificate = signer.certificate
    signature = etree.SubElement(slot, X.ds("Signature"), {"Id": SIGNATURE_ID},
                                 nsmap={"ds": X.DS_NS})
    signed_info = etree.SubElement(signature, X.ds("SignedInfo"))
    etree.SubElement(signed_info, X.ds("CanonicalizationMethod"), Algorithm=X.C14N)
    etree.SubElement(signed_info, X.ds("SignatureMethod"),
                     Algorithm=X.algorithm_for(certificate))
    X.append_reference(signed_info, "#" + STATEMENT_ID,
                 hashlib.sha256(X.canonicalize(data)).digest())
    etree.SubElement(signature, X.ds("SignatureValue"))
    x509_data = etree.SubElement(etree.SubElement(signature, X.ds("KeyInfo")), X.ds("X509Data"))
    etree.SubElement(x509_data, X.ds("X509Certificate")).text = X.b64(
        certificate.public_bytes(serialization.Encoding.DER))
    # canonicalise SignedInfo as a verifier will see it: from the serialised document
    reread = parse_untrusted(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    c14n = X.canonicalize(reread.find("CHU_KY/" + X.ds("Signature") + "/" + X.ds("SignedInfo")))
    value = X.to_xmldsig_value(certificate, signer.sign(c14n))
    if not X.check_signature_value(certificate, X.algorithm_for(certificate), c14n, value):
        from hocbaso.errors import SigningError

        raise SigningError("The signature value returned by the key does not match the "
                           "certificate. Check that the right key was used.")
    signature.find(X.ds("SignatureValue")).text = base64.b64encode(value).decode()
    signed = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return signed, SIGNATURE_ID, hashlib.sha256(c14n).hexdigest()


def timestamp_statement(xml_bytes, timestamp=None):
    """The signed statement with a trusted timestamp: ``timestamp(digest)`` gives an RFC 3161
    token over the SHA-256 of its canonical SignatureValue (as XAdES's SignatureTimeStamp),
    kept in an unsigned ds:Object of the signature (which its SignedInfo does not reference, so
    the signature is unchanged); ``hocbaso.signing.timestamp.signature_timestamp`` reads it.
    No ``timestamp``: the statement as it is."""
    if timestamp is None:
        return xml_bytes
    root = parse_untrusted(xml_bytes)
    signature = root.find("CHU_KY/" + X.ds("Signature"))
    token = timestamp(T.signature_value_digest(signature))
    qualifying = etree.SubElement(etree.SubElement(signature, X.ds("Object")),
                                  X.xades("QualifyingProperties"),
                                  {"Target": "#" + SIGNATURE_ID}, nsmap={"xades": X.XADES_NS})
    properties = etree.SubElement(etree.SubElement(qualifying, X.xades("UnsignedProperties")),
                                  X.xades("UnsignedSignatureProperties"))
    stamp = etree.SubElement(properties, X.xades("SignatureTimeStamp"))
    etree.SubElement(stamp, X.ds("CanonicalizationMethod"), Algorithm=X.C14N)
    etree.SubElement(stamp, X.xades("EncapsulatedTimeStamp")).text = X.b64(token)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def verify_statement(xml_bytes):
    """(ok, errors, certificate) for a revocation statement (cryptography only; no trust)."""
    root = parse_untrusted(xml_bytes)
    signature = root.find("CHU_KY/" + X.ds("Signature"))
    if signature is None:
        return False, ["The statement carries no signature."], None
    errors = X.signature_crypto_errors(signature, X.id_index(root))
    certificates = X.signature_certificates(signature)
    return not errors, errors, certificates[0] if certificates else None
