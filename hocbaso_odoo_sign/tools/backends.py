"""Between the Odoo models and the plain signing layer: certificates, trust, key backends."""

import base64
import hashlib
import logging

from cryptography import x509

from hocbaso.errors import CertificateError, SigningError
from hocbaso.signing import certs

_logger = logging.getLogger(__name__)


def load_certificate(data):
    """One certificate from PEM or DER bytes (a PEM bundle gives its first certificate)."""
    if isinstance(data, str):
        data = data.encode()
    found = certs.load_certificates(bytes(data or b""))
    if not found:
        raise CertificateError("The file holds no certificate.")
    return found[0]


def certificate_pem(certificate):
    from cryptography.hazmat.primitives.serialization import Encoding

    return certificate.public_bytes(Encoding.PEM).decode()


def trust_material(env, company=None):
    """(roots, intermediates, crls) of the active trusted CAs visible for ``company``."""
    domain = [("active", "=", True)]
    if company:
        domain += ["|", ("company_id", "=", False), ("company_id", "=", company.id)]
    roots, intermediates, crls = [], [], []
    for ca in env["hocbaso.trusted.ca"].sudo().search(domain):
        try:
            cert = ca._certificate()
            crls.extend(ca._crls())
        except (CertificateError, ValueError):
            _logger.warning("Trusted CA %s cannot be read; ignored", ca.id)
            continue
        (roots if ca.is_root else intermediates).append(cert)
    return roots, intermediates, crls


def trust_version(env, company=None):
    """A fingerprint of everything ``trust_material`` reads for ``company``: each trusted CA's
    row (certificate, root or not, active, school) and its CRL file's checksum. Any change to
    the trusted list or a revocation list gives another value, so a verification result kept
    under the old value is no longer used (hocbaso.record.verification)."""
    env["hocbaso.trusted.ca"].flush_model()
    env["ir.attachment"].flush_model()
    env.cr.execute("""
        SELECT ca.id, ca.active, ca.is_root, ca.company_id, md5(ca.pem),
               a.id, a.checksum, a.store_fname, a.file_size
          FROM hocbaso_trusted_ca ca
          LEFT JOIN ir_attachment a ON a.res_model = 'hocbaso.trusted.ca'
                                   AND a.res_field = 'crl_file' AND a.res_id = ca.id
         WHERE %s IS NULL OR ca.company_id IS NULL OR ca.company_id = %s
         ORDER BY ca.id, a.id""", [company.id if company else None] * 2)
    return hashlib.sha256(repr(env.cr.fetchall()).encode()).hexdigest()


def open_signer(certificate_record, secret):
    """Open a signing session on the key of ``certificate_record`` (local backends only).

    ``secret`` is the PKCS#12 password or the token PIN; it is not kept here. The caller must
    close() the signer (in a finally block).
    """
    cert_rec = certificate_record.sudo()
    registered = cert_rec._x509()
    if cert_rec.backend == "pkcs12":
        from hocbaso.signing.pkcs12 import Pkcs12Signer

        if not cert_rec.p12_file:
            raise SigningError("No certificate file (.p12) is stored for this certificate.")
        signer = Pkcs12Signer(base64.b64decode(cert_rec.p12_file), secret or "")
    elif cert_rec.backend == "pkcs11":
        from hocbaso.signing.pkcs11 import Pkcs11Signer

        signer = Pkcs11Signer(cert_rec.pkcs11_module, cert_rec.pkcs11_token_label, secret or "",
                              key_label=cert_rec.pkcs11_key_label or None, cert=registered)
    else:
        raise SigningError("This certificate is used through a remote signing service; it "
                           "cannot be opened locally.")
    if signer.certificate != registered:
        signer.close()
        raise SigningError("The key file or token holds the certificate %(subject)s, not the "
                           "registered one. Check the certificate's settings.",
                           subject=signer.certificate.subject.rfc4514_string())
    return signer


__all__ = ["load_certificate", "certificate_pem", "trust_material", "open_signer", "x509"]
