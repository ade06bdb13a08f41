"""The học bạ record as plain data: the contract between Odoo, the XML profiles and the signers.

Odoo models turn a record into a :class:`Record`; an XML profile turns a :class:`Record` into
XML and back. Nothing here imports Odoo. Field names are English; the MOET catalogue name each
one maps to is given in the comment (see shared/research/hocbaso-domain.md §2).

Scores and levels are kept as the strings the catalogue uses ("7.5", "10", "Đ", "CĐ", "M",
"T", "H", "C"), so the same value travels unchanged from a form to the XML and back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# trangthaithongtinhocba
STATUS_VALID = 1
STATUS_REVOKED = 2

# macaphoc
LEVEL_PRESCHOOL = "01"
LEVEL_PRIMARY = "02"
LEVEL_LOWER_SECONDARY = "03"
LEVEL_UPPER_SECONDARY = "04"
LEVEL_CONTINUING = "05"

CIRCULAR_PRIMARY = "TT27"  # Thông tư 27/2020
CIRCULAR_SECONDARY = "TT22"  # Thông tư 22/2021

# The ten competencies and five qualities of TT27, in catalogue order (catalogue names).
PRIMARY_COMPETENCIES = (
    "nangluctuhoc",
    "nanglucgiaotiep",
    "nanglucgiaiquyet",
    "nanglucngonngu",
    "nangluctinhtoan",
    "nangluckhoahoc",
    "nangluccongnghe",
    "nangluctinhoc",
    "nanglucthammi",
    "nanglucthechat",
)
PRIMARY_QUALITIES = (
    "phamchatyeunuoc",
    "phamchatnhanai",
    "phamchatchamchi",
    "phamchattrungthuc",
    "phamchattrachnhiem",
)


@dataclass
class Address:
    text: str = ""  # noisinh / quequan / noiohiennay
    commune_code: str = ""  # maxa, QĐ19/2025/QĐ-TTg
    province_code: str = ""  # matinh


@dataclass
class Person:
    name: str = ""
    personal_id: str = ""  # soddcn...: 12-digit personal ID
    title: str = ""  # chucvugiamhieu for the school leader; empty otherwise


@dataclass
class SchoolInfo:
    department_code: str = ""  # masogd
    department_name: str = ""  # tensogd
    code: str = ""  # matruong
    name: str = ""  # tentruong
    commune_code: str = ""  # maxa
    commune_name: str = ""
    province_code: str = ""  # matinh
    province_name: str = ""
    district_name: str = ""  # tenhuyen
    level_code: str = LEVEL_PRIMARY  # macaphoc


@dataclass
class StudentInfo:
    register_no: str = ""  # sosodangbo
    full_name: str = ""  # hovaten
    personal_id: str = ""  # sodinhdanh, 12 digits
    # without a personal ID (a foreign student, or one whose parents have not obtained it
    # yet): an identity document instead (hocbaso-1.1 and later)
    id_document_type: str = ""  # HO_CHIEU (passport), GIAY_KHAI_SINH (birth certificate), KHAC
    id_document_number: str = ""
    lifelong_code: str = ""  # mã học tập suốt đời (hocbaso-1.1 and later), optional
    student_code: str = ""  # mahocsinh
    sex: int = 0  # gioitinh, QCVN 109: 0 unknown, 1 male, 2 female
    birth_date: str = ""  # YYYY-MM-DD, YYYY-MM or YYYY
    birth_place: Address = field(default_factory=Address)
    home_town: Address = field(default_factory=Address)
    current_address: Address = field(default_factory=Address)
    ethnicity_code: str = ""  # dantoc
    nationality_code: str = "VN"  # quoctich
    policy_group: str = ""  # doituongchinhsach
    disability_not_assessed: bool = False  # cokhuyettatkhongdanhgia
    father_name: str = ""
    mother_name: str = ""
    guardian_name: str = ""
    father_job: str = ""  # nghenghiepcha (THCS/THPT)
    mother_job: str = ""
    guardian_job: str = ""


@dataclass
class SubjectResult:
    """One subject line (_dsbangdiem for TT27, _bangdiem for TT22)."""

    code: str = ""  # mamonhoc
    name: str = ""  # tenmonhoc
    teacher: Person = field(default_factory=Person)  # gvbm, soddcngvbm
    # TT27
    level: str = ""  # mucdatduoc: T / H / C / M
    test_score: str = ""  # diemkiemtradinhky: "0".."10" or "M"
    # TT22: "0.0".."10.0", "Đ", "CĐ" or "M"
    semester1: str = ""  # diemhocky1
    semester2: str = ""  # diemhocky2
    year: str = ""  # diemcanam
    retest: str = ""  # diemkttralai
    comment: str = ""  # nxetmonhoc


@dataclass
class PrimaryResult:
    """Year results under TT27."""

    competencies: dict[str, str] = field(default_factory=dict)  # PRIMARY_COMPETENCIES -> T/Đ/C
    qualities: dict[str, str] = field(default_factory=dict)  # PRIMARY_QUALITIES -> T/Đ/C
    quality_comment: str = ""  # nxetphamchat
    general_competency_comment: str = ""  # nxetnanglucchung
    specific_competency_comment: str = ""  # nxetnanglucdacthu
    year_level: str = ""  # xeploai: HTXS / HTT / HT / CHT
    award: str = ""  # ndungkhenthuong
    special_award: str = ""  # ndungkhenthuongdotxuat
    promoted: bool = False  # duoclenlop
    completed_class: bool = False  # dahthanhctrinhlophoc
    completed_primary: bool = False  # dahthanhctrinhtieuhoc
    completion_text: str = ""  # ndunghoanthanh
    absent_excused: int = 0  # nghicophep
    absent_unexcused: int = 0  # nghikhongphep
    weight_kg: str = ""  # cannang
    height_cm: str = ""  # chieucao


@dataclass
class Certificate:
    name: str = ""
    kind: str = ""


@dataclass
class SecondaryResult:
    """Year results under TT22."""

    learning_s1: str = ""  # hocky1: T/K/Đ/CĐ
    learning_s2: str = ""  # hocky2
    learning_year: str = ""  # canam
    conduct_s1: str = ""  # renluyenhocky1
    conduct_s2: str = ""  # renluyenhocky2
    conduct_year: str = ""  # renluyencanam
    conduct_reassessed: str = ""  # renluyenlai
    learning_reassessed: str = ""  # kqhoctaplai
    summer_training_note: str = ""  # ndungkquarenluyen
    absences: int = 0  # sobuoinghi (half-days)
    promoted: bool = False  # duoclenlop
    promotion_text: str = ""  # ndungduoclenlop
    # grade 9: the lower secondary programme completed (hocbaso-1.1 and later)
    completed_lower_secondary: bool = False
    competition_results: str = ""  # kquathamgiacuocthi
    award: str = ""  # ndungkhenthuong
    certificates: list[Certificate] = field(default_factory=list)  # _chungchi


@dataclass
class StudyHistory:
    """_quatrinhhoctap"""

    school_year: str = ""  # namhoc
    class_name: str = ""  # tenlop
    school_name: str = ""  # tentruong
    province_name: str = ""  # tentinh
    transfer_in_date: str = ""  # ngaytrangthaichuyenden, YYYY-MM-DD


@dataclass
class Record:
    record_uuid: str = ""  # madinhdanhhocba
    version: int = 1  # phienbanthongtinhocba
    status: int = STATUS_VALID  # trangthaithongtinhocba
    is_extract: bool = False  # trichluc: digitised from a paper record
    circular: str = CIRCULAR_PRIMARY  # thongtu
    school_year: str = ""  # namhoc, YYYY-YYYY
    created_date: str = ""  # ngaytao, YYYY-MM-DD
    issue_place: str = ""  # diadanhphathanh
    issue_date: str = ""  # ngaykyphathanh, YYYY-MM-DD
    school: SchoolInfo = field(default_factory=SchoolInfo)
    student: StudentInfo = field(default_factory=StudentInfo)
    grade_code: str = ""  # makhoi
    class_name: str = ""  # tenlop
    homeroom_teacher: Person = field(default_factory=Person)  # tengvcn, soddcngvcn
    leader: Person = field(default_factory=Person)  # tengiamhieu, soddcngiamhieu, chucvugiamhieu
    homeroom_comment: str = ""  # nxetgvcn
    subjects: list[SubjectResult] = field(default_factory=list)
    primary: PrimaryResult | None = None  # set when circular == TT27
    secondary: SecondaryResult | None = None  # set when circular == TT22
    history: list[StudyHistory] = field(default_factory=list)

    @property
    def is_primary(self) -> bool:
        return self.circular == CIRCULAR_PRIMARY
