"""Fixtures shared by the signing and verification tests of tests/lib."""

import pytest
from dsig_fixtures import make_pki, record_and_xml

from security.pki import build_test_pki  # dsig_fixtures put the repository on sys.path


@pytest.fixture(scope="module")
def pki():
    """A fresh test PKI (root, issuing CA, CRL, the signers' keys) per test module."""
    return make_pki()


@pytest.fixture(scope="module")
def unsigned():
    """(record, XML) of a sample record, built and schema-valid, not signed yet."""
    return record_and_xml()


@pytest.fixture(scope="module")
def test_pki():
    """The project's test PKI (security/pki.py): the users of the provider stand-ins."""
    return build_test_pki()


@pytest.fixture(scope="module")
def pki_dir(test_pki, tmp_path_factory):
    """That PKI written to a folder with its pki.json, as the stand-ins read it."""
    folder = tmp_path_factory.mktemp("providers") / "pki"
    test_pki.write(folder)
    return folder
