"""The clerk's lines come from structured validation errors, not from English messages."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from lxml import etree

from hocbaso.samples import sample_secondary_record
from hocbaso.xmlprofile import get_profile


@pytest.fixture(scope="module")
def profile():
    return get_profile("hocbaso-1.0")


@pytest.fixture(scope="module")
def valid_root(profile):
    return etree.fromstring(profile.build(sample_secondary_record()))


def _explain(profile, root, error_log=None):
    schema = profile.schema()
    assert not schema.validate(root)
    return profile.explain(schema.error_log if error_log is None else error_log, root)


def test_lines_do_not_read_the_validators_messages(profile, valid_root):
    """libxml2's messages may change wording or language: the lines stay the same."""
    root = copy.deepcopy(valid_root)
    root.find(".//SO_DINH_DANH").text = "abc"
    root.find(".//SO_BUOI_NGHI").text = "abc"
    expected = ["Student › personal ID (SO_DINH_DANH): 'abc' must be 12 digits",
                "Year results (TT22) › absences (half-days) (SO_BUOI_NGHI): 'abc' must be a "
                "whole number from 0 to 300"]
    assert _explain(profile, root) == expected
    garbled = [SimpleNamespace(message="Lỗi không rõ", path=e.path, line=e.line)
               for e in profile.schema().error_log]
    assert _explain(profile, root, garbled) == expected


def test_attributes_and_subject_slots(profile, valid_root):
    root = copy.deepcopy(valid_root)
    payload = root.find("DU_LIEU_HOC_BA")
    del payload.attrib["Id"]
    payload.set("Foo", "1")
    root.find("DANH_SACH_THONG_TIN_KY/DANH_SACH_GVBM/GVBM").set("MaMon", "VATLY")
    assert _explain(profile, root) == [
        "Record: attribute Id is missing", "Record: attribute Foo is not allowed",
        "The subject-teacher signature slot for VATLY has no matching subject line"]


def test_a_field_out_of_order(profile, valid_root):
    root = copy.deepcopy(valid_root)
    info = root.find("DU_LIEU_HOC_BA/THONG_TIN_HOC_BA")
    info.insert(0, root.find(".//TEN_LOP").getparent())
    assert _explain(profile, root) == [
        "Class (LOP): record ID (MA_DINH_DANH_HOC_BA) is expected before this field (missing "
        "or out of order)"]
