"""Realistic, fully filled sample records for tests, demos and benchmarks.

Every call returns a new, identical Record (no clock, no randomness), so signatures, hashes and
built XML are reproducible. Names, codes and IDs are invented but have the real shapes:
12-digit personal IDs, 2-digit Sở/province codes, 5-digit commune codes (QĐ19/2025/QĐ-TTg).
"""

from __future__ import annotations

import dataclasses

from .record import (
    CIRCULAR_PRIMARY,
    CIRCULAR_SECONDARY,
    LEVEL_LOWER_SECONDARY,
    LEVEL_PRIMARY,
    PRIMARY_COMPETENCIES,
    PRIMARY_QUALITIES,
    STATUS_VALID,
    Address,
    Certificate,
    Person,
    PrimaryResult,
    Record,
    SchoolInfo,
    SecondaryResult,
    StudentInfo,
    StudyHistory,
    SubjectResult,
)


def _teacher(name: str, personal_id: str) -> Person:
    return Person(name=name, personal_id=personal_id)


def sample_primary_record() -> Record:
    """A grade-4 pupil in Hà Nội under TT27, school year 2024-2025, with an exempt subject."""
    school = SchoolInfo(
        department_code="01",
        department_name="Sở Giáo dục và Đào tạo Hà Nội",
        code="0100004001",
        name="Trường Tiểu học Nguyễn Bỉnh Khiêm",
        commune_code="00004",
        commune_name="Phường Ba Đình",
        province_code="01",
        province_name="Thành phố Hà Nội",
        district_name="Quận Ba Đình",
        level_code=LEVEL_PRIMARY,
    )
    student = StudentInfo(
        register_no="124/2021",
        full_name="Nguyễn Thị Ánh Dương",
        personal_id="001315012345",
        student_code="HS0100004001124",
        sex=2,
        birth_date="2015",
        birth_place=Address("Bệnh viện Phụ sản Hà Nội, Phường Ngọc Hà, Thành phố Hà Nội",
                            "00004", "01"),
        home_town=Address("Xã Yên Trung, Tỉnh Bắc Ninh", "07471", "24"),
        current_address=Address("Số 12 ngõ 35 phố Đội Cấn, Phường Ba Đình, Thành phố Hà Nội",
                                "00004", "01"),
        ethnicity_code="01",
        nationality_code="VN",
        policy_group="",
        disability_not_assessed=False,
        father_name="Nguyễn Văn Hùng",
        mother_name="Trần Thị Thu Hằng",
        guardian_name="",
    )
    teachers = {
        "gvcn": _teacher("Lê Thị Minh Nguyệt", "001186004521"),
        "anh": _teacher("Phạm Quốc Việt", "001089007732"),
        "tin": _teacher("Đỗ Thanh Tùng", "034090001287"),
        "gdtc": _teacher("Vũ Đức Mạnh", "001087009914"),
        "nt": _teacher("Hoàng Thu Trang", "001192003356"),
    }
    homeroom = teachers["gvcn"]

    def subject(code, name, level, test="", teacher=homeroom, comment=""):
        return SubjectResult(code=code, name=name, teacher=teacher, level=level,
                             test_score=test, comment=comment)

    subjects = [
        subject("TV", "Tiếng Việt", "T", "9", comment="Đọc diễn cảm, viết đoạn văn mạch lạc."),
        subject("TOAN", "Toán", "T", "10", comment="Tính toán nhanh, chính xác."),
        subject("NN1", "Tiếng Anh", "H", "8", teachers["anh"]),
        subject("DDUC", "Đạo đức", "T"),
        subject("LSDL", "Lịch sử và Địa lí", "H", "8"),
        subject("KHOAHOC", "Khoa học", "T", "9"),
        subject("TINCN", "Tin học và Công nghệ", "T", "9", teachers["tin"]),
        subject("GDTC", "Giáo dục thể chất", "M", teacher=teachers["gdtc"],
                comment="Miễn học theo chỉ định của bác sĩ."),
        subject("NGHETHUAT", "Nghệ thuật (Âm nhạc, Mĩ thuật)", "T", teacher=teachers["nt"]),
        subject("HDTN", "Hoạt động trải nghiệm", "T"),
    ]
    primary = PrimaryResult(
        competencies={name: ("Đ" if name == "nanglucthechat" else "T")
                      for name in PRIMARY_COMPETENCIES},
        qualities={name: "T" for name in PRIMARY_QUALITIES},
        quality_comment="Chăm chỉ, trung thực, biết giúp đỡ bạn bè.",
        general_competency_comment="Tự giác học tập, hợp tác tốt khi làm việc nhóm.",
        specific_competency_comment="Sử dụng ngôn ngữ và tính toán thành thạo.",
        year_level="HTT",
        award="Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện",
        special_award="Giải Nhì Hội khỏe Phù Đổng cấp trường môn cờ vua",
        promoted=True,
        completed_class=True,
        completed_primary=False,
        completion_text="Hoàn thành chương trình lớp 4",
        absent_excused=2,
        absent_unexcused=0,
        weight_kg="28.5",
        height_cm="134",
    )
    return Record(
        record_uuid="3f6d2c1e-8a4b-4c9e-9f1a-2b7d5e6c8a01",
        version=1,
        status=STATUS_VALID,
        is_extract=False,
        circular=CIRCULAR_PRIMARY,
        school_year="2024-2025",
        created_date="2025-05-20",
        issue_place="Hà Nội",
        issue_date="2025-05-31",
        school=school,
        student=student,
        grade_code="4",
        class_name="4A3",
        homeroom_teacher=homeroom,
        leader=Person(name="Nguyễn Thị Lan Hương", personal_id="001178002468",
                      title="Hiệu trưởng"),
        homeroom_comment="Em ngoan, lễ phép, học tập tiến bộ; cần mạnh dạn phát biểu hơn.",
        subjects=subjects,
        primary=primary,
        history=[
            StudyHistory("2021-2022", "1A3", school.name, school.province_name, ""),
            StudyHistory("2022-2023", "2A3", school.name, school.province_name, ""),
            StudyHistory("2023-2024", "3A3", school.name, school.province_name, ""),
        ],
    )


def sample_secondary_record() -> Record:
    """A grade-9 student in TP. Hồ Chí Minh under TT22, with a re-test and a transfer."""
    school = SchoolInfo(
        department_code="79",
        department_name="Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
        code="7926734012",
        name="Trường THCS Lê Quý Đôn",
        commune_code="26734",
        commune_name="Phường Xuân Hòa",
        province_code="79",
        province_name="Thành phố Hồ Chí Minh",
        district_name="Quận 3",
        level_code=LEVEL_LOWER_SECONDARY,
    )
    student = StudentInfo(
        register_no="0457/THCS",
        full_name="Trần Minh Đức",
        personal_id="079210004567",
        student_code="HS7926734012457",
        sex=1,
        birth_date="2010-09",
        birth_place=Address("Bệnh viện Từ Dũ, Thành phố Hồ Chí Minh", "26740", "79"),
        home_town=Address("Xã Điện Bàn Bắc, Thành phố Đà Nẵng", "20458", "48"),
        current_address=Address("45/12 Trần Quốc Thảo, Phường Xuân Hòa, "
                                "Thành phố Hồ Chí Minh", "26734", "79"),
        ethnicity_code="01",
        nationality_code="VN",
        policy_group="Con thương binh",
        disability_not_assessed=False,
        father_name="Trần Quang Vinh",
        mother_name="Lý Thị Mỹ Lệ",
        guardian_name="",
        father_job="Kỹ sư xây dựng",
        mother_job="Giáo viên",
        guardian_job="",
    )
    people = {
        "van": _teacher("Nguyễn Ngọc Bích", "079185006611"),
        "toan": _teacher("Phan Thanh Sơn", "079082003344"),
        "anh": _teacher("Lâm Gia Hân", "079190008822"),
        "gdcd": _teacher("Huỳnh Văn Phúc", "049083001199"),
        "lsdl": _teacher("Đặng Thị Kim Oanh", "079186005577"),
        "khtn": _teacher("Võ Minh Trí", "079088004455"),
        "cn": _teacher("Tôn Nữ Diễm My", "046191002233"),
        "tin": _teacher("Châu Quốc Bảo", "079093007788"),
        "gdtc": _teacher("Lưu Văn Khải", "079087001122"),
        "nt": _teacher("Quách Thị Ngọc Ánh", "079194006699"),
    }

    def scored(code, name, teacher, s1, s2, year, retest="", comment=""):
        return SubjectResult(code=code, name=name, teacher=people[teacher], semester1=s1,
                             semester2=s2, year=year, retest=retest, comment=comment)

    subjects = [
        scored("NGUVAN", "Ngữ văn", "van", "7.0", "7.5", "7.3",
               comment="Viết văn nghị luận có ý, cần trau chuốt câu chữ."),
        scored("TOAN", "Toán", "toan", "3.0", "3.5", "3.3", retest="6.0",
               comment="Hổng kiến thức hình học; kiểm tra lại đạt yêu cầu."),
        scored("NN1", "Tiếng Anh", "anh", "8.5", "9.0", "8.8"),
        scored("GDCD", "Giáo dục công dân", "gdcd", "8.0", "8.5", "8.3"),
        scored("LSDL", "Lịch sử và Địa lí", "lsdl", "6.0", "6.5", "6.3"),
        scored("KHTN", "Khoa học tự nhiên", "khtn", "5.5", "6.0", "5.8"),
        scored("CN", "Công nghệ", "cn", "7.5", "8.0", "7.8"),
        scored("TINHOC", "Tin học", "tin", "9.0", "9.5", "9.3"),
        scored("GDTC", "Giáo dục thể chất", "gdtc", "Đ", "Đ", "Đ"),
        scored("NGHETHUAT", "Nghệ thuật", "nt", "Đ", "Đ", "Đ"),
        scored("HDTNHN", "Hoạt động trải nghiệm, hướng nghiệp", "van", "Đ", "Đ", "Đ"),
        scored("GDDP", "Nội dung giáo dục của địa phương", "lsdl", "M", "M", "M",
               comment="Miễn theo quyết định của Hiệu trưởng."),
    ]
    secondary = SecondaryResult(
        learning_s1="CĐ",
        learning_s2="Đ",
        learning_year="CĐ",
        conduct_s1="K",
        conduct_s2="T",
        conduct_year="T",
        conduct_reassessed="",
        learning_reassessed="Đ",
        summer_training_note="",
        absences=6,
        promoted=True,
        promotion_text="Được lên lớp sau khi kiểm tra lại môn Toán",
        competition_results="Giải Ba Olympic Tiếng Anh cấp quận",
        award="",
        certificates=[
            Certificate("Cambridge English A2 Key (KET)", "Ngoại ngữ"),
            Certificate("Chứng nhận hoàn thành khóa kỹ năng thoát hiểm", "Kỹ năng sống"),
        ],
    )
    return Record(
        record_uuid="b0c4e7a2-5d1f-4e3b-8a6c-9d2f1e0a7b54",
        version=2,
        status=STATUS_VALID,
        is_extract=False,
        circular=CIRCULAR_SECONDARY,
        school_year="2024-2025",
        created_date="2025-06-10",
        issue_place="Thành phố Hồ Chí Minh",
        issue_date="2025-08-15",
        school=school,
        student=student,
        grade_code="9",
        class_name="9A2",
        homeroom_teacher=people["van"],
        leader=Person(name="Mai Xuân Lộc", personal_id="079075001357", title="Phó Hiệu trưởng"),
        homeroom_comment="Ngoan, có tinh thần tập thể; cần dành thêm thời gian ôn luyện môn Toán.",
        subjects=subjects,
        secondary=secondary,
        history=[
            StudyHistory("2021-2022", "6A5", "Trường THCS Nguyễn Văn Trỗi",
                         "Thành phố Đà Nẵng", ""),
            StudyHistory("2022-2023", "7A5", "Trường THCS Nguyễn Văn Trỗi",
                         "Thành phố Đà Nẵng", ""),
            StudyHistory("2023-2024", "8A2", school.name, school.province_name, "2023-08-21"),
        ],
    )


def sample_foreign_student_record() -> Record:
    """The grade-9 record above for a foreign student of an international school: no personal
    ID, a passport and a nationality instead, and a lifelong learning record code (the
    hocbaso-1.1 profile)."""
    record = sample_secondary_record()
    student = dataclasses.replace(
        record.student, full_name="Emily Nguyen Carter", personal_id="",
        id_document_type="HO_CHIEU", id_document_number="C03005988", nationality_code="US",
        ethnicity_code="55", lifelong_code="HTSD-79-2025-000731", student_code="INT2025031",
        father_name="David Carter", mother_name="Nguyễn Thị Thu Hà")
    return dataclasses.replace(record, record_uuid="6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a09",
                               version=1, student=student)
