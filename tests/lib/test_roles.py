"""The roles table is the one definition of the signing steps; the rest derives from it."""

import pytest

from hocbaso import cli, roles
from hocbaso.signing import xmldsig as X
from hocbaso.xmlprofile import SIGNING_ORDER, get_profile


def test_table_order_and_steps():
    assert roles.SIGNING_ORDER == ("gvbm", "gvcn", "cbql", "phathanh")
    assert [role.step for role in roles.ROLES] == [1, 2, 3, 4]
    # each step starts in the state the previous one ends in
    for before, after in zip(roles.ROLES, roles.ROLES[1:]):
        assert after.state_before == before.state_after
    assert [roles.role_rank(code) for code in ("phathanh", "gvbm", "nobody")] == [3, 0, 4]


@pytest.mark.parametrize("code,subject,signature_id", [
    ("gvbm", "TOAN", "sig-gvbm-TOAN"), ("gvcn", "", "sig-gvcn"), ("cbql", "", "sig-cbql"),
    ("phathanh", "", "sig-phathanh")])
def test_signature_id_round_trip(code, subject, signature_id):
    assert roles.signature_id(code, subject) == signature_id
    assert roles.parse_signature_id(signature_id) == (code, subject)


@pytest.mark.parametrize("signature_id", [None, "", "sig-thuhoi", "sig-gvbm-", "gvcn",
                                          "sig-gvcn-x", "xades-sig-gvcn"])
def test_parse_signature_id_refuses_other_ids(signature_id):
    assert roles.parse_signature_id(signature_id) == ("", "")


def test_library_copies_derive_from_the_table():
    assert X.SIGNING_ORDER == SIGNING_ORDER == roles.SIGNING_ORDER
    assert X.SIGNATURE_IDS == {"gvcn": "sig-gvcn", "cbql": "sig-cbql",
                               "phathanh": "sig-phathanh"}
    assert X.subject_signature_id("TV") == "sig-gvbm-TV"
    assert X.role_label("cbql") == "school leader (CBQL)"
    assert X.role_label("gvbm", "TOAN") == "subject teacher (GVBM) of TOAN"
    profile = get_profile("hocbaso-1.0")
    for role in roles.ROLES:
        assert profile.signature_id(role.code, "TOAN") == role.signature_id("TOAN")
    assert cli.ROLE_NAMES["cbql"] == "Cán bộ quản lý (giám hiệu)"
    assert roles.SELECTION[0] == ("gvbm", "Subject Teacher (GVBM)")
