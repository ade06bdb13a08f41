"""Fixtures shared by the signing and verification tests of tests/lib."""

import pytest
from dsig_fixtures import make_pki, record_and_xml


@pytest.fixture(scope="module")
def pki():
    """A fresh test PKI (root, issuing CA, CRL, the signers' keys) per test module."""
    return make_pki()


@pytest.fixture(scope="module")
def unsigned():
    """(record, XML) of a sample record, built and schema-valid, not signed yet."""
    return record_and_xml()
