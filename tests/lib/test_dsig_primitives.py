"""The building blocks of the signatures, checked against independent encodings."""

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hocbaso.signing.dsig_primitives import issuer_serial_v2


def _certificate(serial: int) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CA")])
    now = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(serial)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def test_issuer_serial_v2_der():
    """SEQUENCE { SEQUENCE { [4] { Name } }, INTEGER }; a serial with its top bit set gets a
    leading zero byte so it stays positive."""
    certificate = _certificate(0x80FF)
    name = certificate.issuer.public_bytes()
    general_names = bytes([0x30, len(name) + 2, 0xA4, len(name)]) + name
    serial = bytes([0x02, 3, 0x00, 0x80, 0xFF])
    body = general_names + serial
    assert issuer_serial_v2(certificate) == bytes([0x30, len(body)]) + body
    small = issuer_serial_v2(_certificate(0x7F))
    assert small.endswith(bytes([0x02, 1, 0x7F]))
