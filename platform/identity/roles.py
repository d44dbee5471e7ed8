"""The roles a principal can hold. Tenant roles act inside one province; global roles live in the
reserved system tenant."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    provincial_admin = "provincial_admin"
    steering_committee = "steering_committee"
    unit_head = "unit_head"
    manager = "manager"
    official = "official"
    support_staff = "support_staff"
    auditor = "auditor"
    platform_operator = "platform_operator"
    central_analyst = "central_analyst"


TENANT_ROLES = frozenset(
    {
        Role.provincial_admin,
        Role.steering_committee,
        Role.unit_head,
        Role.manager,
        Role.official,
        Role.support_staff,
        Role.auditor,
    }
)
GLOBAL_ROLES = frozenset({Role.platform_operator, Role.central_analyst})

ROLE_NAMES_VI = {
    Role.provincial_admin: "Quản trị viên cấp tỉnh",
    Role.steering_committee: "Thành viên Ban chỉ đạo",
    Role.unit_head: "Thủ trưởng đơn vị",
    Role.manager: "Cán bộ quản lý",
    Role.official: "Cán bộ, công chức, viên chức",
    Role.support_staff: "Cán bộ hỗ trợ",
    Role.auditor: "Kiểm tra, giám sát",
    Role.platform_operator: "Vận hành nền tảng",
    Role.central_analyst: "Chuyên viên phân tích Trung ương",
}
