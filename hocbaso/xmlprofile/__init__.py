"""Registry of record XML profiles.

Models and signers ask for a profile by version (:func:`get_profile`) or let the file say which
one it uses (:func:`detect_profile`), so an official MOET schema can be added as a new profile
without touching them.
"""

from __future__ import annotations

from ..errors import InvalidValueError
from .base import (  # noqa: F401  (re-exported for callers)
    ROLE_HOMEROOM_TEACHER,
    ROLE_ISSUANCE,
    ROLE_LEADER,
    ROLE_SUBJECT_TEACHER,
    SIGNING_ORDER,
    Profile,
)
from .v1_0 import PROFILE as _HOCBASO_1_0
from .v1_0 import VERSION_ATTRIBUTE
from .v1_1 import PROFILE as _HOCBASO_1_1

__all__ = [
    "DEFAULT_PROFILE", "PROFILES", "Profile", "detect_profile", "get_profile",
    "ROLE_SUBJECT_TEACHER", "ROLE_HOMEROOM_TEACHER", "ROLE_LEADER", "ROLE_ISSUANCE",
    "SIGNING_ORDER",
]

DEFAULT_PROFILE = "hocbaso-1.0"

#: version (the root's PhienBanDinhDang value) -> profile object
PROFILES: dict[str, Profile] = {profile.version: profile
                                 for profile in (_HOCBASO_1_0, _HOCBASO_1_1)}


def get_profile(version: str = DEFAULT_PROFILE) -> Profile:
    """The profile for ``version``; InvalidValueError when this system does not know it."""
    try:
        return PROFILES[version]
    except KeyError:
        raise InvalidValueError(
            "The record format %(version)s is not known to this system. "
            "Known formats: %(known)s.",
            version=version, known=", ".join(sorted(PROFILES))) from None


def detect_profile(xml) -> Profile:
    """The profile a record file uses, read from its root attribute.

    ``xml`` is the file's bytes (parsed with the hardened parser) or an already parsed element.
    """
    root = Profile.root(xml)
    version = root.get(VERSION_ATTRIBUTE)
    if not version:
        raise InvalidValueError(
            "This file is not a học bạ record: its root element %(tag)s has no "
            "%(attribute)s attribute naming the record format.",
            tag=root.tag, attribute=VERSION_ATTRIBUTE)
    return get_profile(version)
