"""The building blocks of the signatures, checked against independent encodings."""

import datetime as dt
import random

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from hocbaso.signing.dsig_primitives import children_at, first_child, issuer_serial_v2


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


def test_child_lookups_answer_as_lxml_find_does():
    """The verifier's own child lookups give what ``find``/``findall`` give, on random trees
    with namespaced and plain tags, comments, text and repeated names, for paths that match
    at several places, nowhere, or only part of the way."""
    tags = ["{urn:a}x", "{urn:a}y", "{urn:b}x", "z"]
    chooser = random.Random(19)

    def grow(element, depth):
        for _ in range(chooser.randrange(4)):
            if chooser.random() < 0.15:
                element.append(etree.Comment("c"))
                continue
            child = etree.SubElement(element, chooser.choice(tags))
            child.text = chooser.choice([None, "", "t"])
            if depth < 3:
                grow(child, depth + 1)

    for _ in range(400):
        root = etree.Element("root")
        grow(root, 0)
        for length in (1, 2, 3):
            path = [chooser.choice(tags) for _ in range(length)]
            assert children_at(root, *path) == root.findall("/".join(path))
        tag = chooser.choice(tags)
        assert first_child(root, tag) is root.find(tag)
