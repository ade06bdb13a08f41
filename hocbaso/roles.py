"""The signing roles of a record, in one table: code, step, signature Id, labels.

A record is signed in four steps: every subject teacher (GVBM) signs the results of their
subject, then the homeroom teacher (GVCN), then the school leader (giám hiệu, CBQL), then the
school seals the issuance (phát hành). Everything else derives from :data:`ROLES`: the XML
layout (hocbaso.signing.dsig_layout), the profiles (hocbaso.xmlprofile), the verifier's
command line (hocbaso.cli) and the Odoo addons (selection lists, the groups allowed to sign,
the record states around each step).

The last two columns name things the Odoo addons define (the security groups in
hocbaso_odoo/security/hocbaso_security.xml, the states of hocbaso.record); they are plain
strings here so that the addons read the signing steps from this table instead of repeating it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import Problem

ROLE_GVBM = "gvbm"
ROLE_GVCN = "gvcn"
ROLE_CBQL = "cbql"
ROLE_ISSUER = "phathanh"

SIGNATURE_ID_PREFIX = "sig-"
_SUBJECT_SIGNATURE_PREFIX = SIGNATURE_ID_PREFIX + ROLE_GVBM + "-"


@dataclass(frozen=True)
class Role:
    code: str  # as written in the XML and stored in the database
    step: int  # 1 = signs first
    label: str  # English, for messages (a Problem: the Odoo layer translates it)
    title: str  # English, for selection lists (translated by the addons' vi.po)
    label_vi: str  # Vietnamese, for the command line (its output is not translated)
    printed_title: str  # Vietnamese, under the signature on the printed record
    group: str  # the Odoo security group whose members sign this step
    state_before: str  # the record's state when this step may start
    state_after: str  # the record's state once this step is done
    step_title: str = ""  # English, the step a record waits for ("Issuance")

    def signature_id(self, subject_code: str = "") -> str:
        """The Id of this role's ds:Signature: sig-gvbm-TOAN, sig-gvcn, sig-cbql, sig-phathanh."""
        if self.code == ROLE_GVBM:
            return _SUBJECT_SIGNATURE_PREFIX + (subject_code or "")
        return SIGNATURE_ID_PREFIX + self.code


ROLES = (
    Role(ROLE_GVBM, 1, Problem("subject teacher (GVBM)"), "Subject Teacher (GVBM)",
         "Giáo viên bộ môn", "Giáo viên bộ môn", "hocbaso_odoo.group_subject_teacher",
         "locked", "gvbm_signed", step_title="Subject teachers' signatures"),
    Role(ROLE_GVCN, 2, Problem("homeroom teacher (GVCN)"), "Homeroom Teacher (GVCN)",
         "Giáo viên chủ nhiệm", "Giáo viên chủ nhiệm", "hocbaso_odoo.group_homeroom_teacher",
         "gvbm_signed", "gvcn_signed", step_title="Homeroom teacher's signature"),
    Role(ROLE_CBQL, 3, Problem("school leader (CBQL)"), "School Leadership",
         "Cán bộ quản lý (giám hiệu)", "Hiệu trưởng", "hocbaso_odoo.group_leadership",
         "gvcn_signed", "leader_signed", step_title="School leadership's signature"),
    Role(ROLE_ISSUER, 4, Problem("issuing school (its seal)"), "Issuance (School Seal)",
         "Ký phát hành (nhà trường)", "Đơn vị phát hành", "hocbaso_odoo.group_issuer",
         "leader_signed", "issued", step_title="Issuance"),
)
BY_CODE = {role.code: role for role in ROLES}
SIGNING_ORDER = tuple(role.code for role in ROLES)
#: (code, title) pairs for an Odoo Selection field
SELECTION = [(role.code, role.title) for role in ROLES]
#: (code, step title) pairs: the step a record waits for, in signing order
STEP_SELECTION = [(role.code, role.step_title) for role in ROLES]


def role_rank(code: str) -> int:
    """Position of ``code`` in the signing order (0 first); unknown codes sort last."""
    role = BY_CODE.get(code)
    return role.step - 1 if role else len(ROLES)


def signature_id(code: str, subject_code: str = "") -> str:
    """The signature Id of role ``code`` (``subject_code`` for a subject teacher)."""
    role = BY_CODE.get(code)
    return role.signature_id(subject_code) if role else SIGNATURE_ID_PREFIX + code


def parse_signature_id(signature_id: str | None) -> tuple[str, str]:
    """(role code, subject code) of a ds:Signature Id; ("", "") when it is no role's Id.

    sig-gvbm-TOAN -> ("gvbm", "TOAN"); sig-gvcn -> ("gvcn", ""); sig-thuhoi -> ("", "").
    """
    signature_id = signature_id or ""
    if signature_id.startswith(_SUBJECT_SIGNATURE_PREFIX):
        subject_code = signature_id[len(_SUBJECT_SIGNATURE_PREFIX):]
        return (ROLE_GVBM, subject_code) if subject_code else ("", "")
    for role in ROLES:
        if role.code != ROLE_GVBM and signature_id == role.signature_id():
            return role.code, ""
    return "", ""


def role_label(code: str, subject_code: str = "") -> str:
    """Who signs, for messages: "subject teacher (GVBM) of TOAN", "school leader (CBQL)"..."""
    if code == ROLE_GVBM and subject_code:
        return Problem("subject teacher (GVBM) of %(subject)s", subject=subject_code)
    role = BY_CODE.get(code)
    return role.label if role else code
