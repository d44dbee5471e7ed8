"""Version 1 of the national taxonomy, as migration 0012 publishes it. Never edit a
published version: a new one gets a number of its own (and tenants' mappings to terms it drops
count as unmapped until they are redone)."""

from __future__ import annotations

from datetime import date

VERSION_1 = {
    "number": 1,
    "valid_from": date(2025, 1, 1),
    "note": "Phân loại quốc gia dùng để so sánh giữa các tỉnh (bản 1)",
    "terms": {
        "unit_kind": [
            ("provincial_office", "Văn phòng, cơ quan tham mưu tổng hợp cấp tỉnh", "Provincial office"),
            ("provincial_agency", "Cơ quan chuyên môn thuộc UBND tỉnh (sở, ban, ngành)", "Provincial department"),
            ("commune", "Xã", "Commune"),
            ("ward", "Phường", "Ward"),
            ("special_zone", "Đặc khu", "Special zone"),
            ("public_service_unit", "Đơn vị sự nghiệp công lập", "Public service unit"),
            ("party_mass", "Cơ quan Đảng, Mặt trận Tổ quốc, đoàn thể", "Party, Front and mass organisations"),
            ("central_unit", "Đơn vị thuộc bộ, cơ quan trung ương", "Unit of a ministry or central agency"),
        ],
        "sector": [
            ("home_affairs", "Nội vụ", "Home affairs"),
            ("finance", "Tài chính", "Finance"),
            ("education", "Giáo dục và đào tạo", "Education and training"),
            ("health", "Y tế", "Health"),
            ("justice", "Tư pháp", "Justice"),
            ("agriculture_environment", "Nông nghiệp và môi trường", "Agriculture and environment"),
            ("industry_trade", "Công thương", "Industry and trade"),
            ("construction", "Xây dựng", "Construction"),
            ("culture_sports_tourism", "Văn hóa, thể thao và du lịch", "Culture, sports and tourism"),
            ("science_technology", "Khoa học và công nghệ", "Science and technology"),
            ("ethnic_religion", "Dân tộc và tôn giáo", "Ethnic and religious affairs"),
            ("foreign_affairs", "Ngoại vụ", "Foreign affairs"),
            ("inspection", "Thanh tra", "Inspection"),
            ("general_administration", "Văn phòng, tổng hợp", "General administration"),
            ("multi_sector", "Đa lĩnh vực (chính quyền cấp xã)", "All sectors (commune government)"),
        ],
        "position_category": [
            ("leadership", "Lãnh đạo, quản lý", "Leadership and management"),
            ("specialised", "Chuyên môn, nghiệp vụ chuyên ngành", "Specialised professional"),
            ("shared_professional", "Chuyên môn, nghiệp vụ dùng chung", "Shared professional"),
            ("support", "Hỗ trợ, phục vụ", "Support and service"),
        ],
        "staff_kind": [
            ("can_bo", "Cán bộ", "Cán bộ (elected or appointed)"),
            ("cong_chuc", "Công chức", "Công chức (civil servant)"),
            ("vien_chuc", "Viên chức", "Viên chức (public employee)"),
            ("contract", "Hợp đồng lao động", "Labour contract"),
        ],
    },
}


def rows(version: dict) -> tuple[dict, list[dict]]:
    """The version row and its term rows, for inserting."""
    terms = [
        {
            "version": version["number"],
            "dimension": dimension,
            "code": code,
            "name_vi": vi,
            "name_en": en,
            "position": i,
        }
        for dimension, entries in version["terms"].items()
        for i, (code, vi, en) in enumerate(entries)
    ]
    head = {"number": version["number"], "valid_from": version["valid_from"], "note": version["note"]}
    return head, terms
