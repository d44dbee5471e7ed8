"""The roles a principal can hold, and the named groups of them the rules use. Tenant roles act
inside one province; global roles live in the reserved system tenant.

A shared module (not a capability's): every capability declares access with these names, the
lowest ones (audit, tenancy, org) included, so it cannot live in identity, which builds on them."""

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

# Named groups, one meaning each.
ADMIN = frozenset({Role.provincial_admin})
# See every official of the province (read-only but for the admin): oversight and support.
OVERSIGHT = frozenset({Role.provincial_admin, Role.steering_committee, Role.auditor, Role.support_staff})
# See and act on the officials of their own unit's subtree, and review their reviewees.
MANAGERS = frozenset({Role.unit_head, Role.manager})
# Run and read the province's scoring: period runs, settings, organisational KPI.
SCORING_RUNNERS = frozenset({Role.provincial_admin, Role.steering_committee})
SCORING_READERS = frozenset({Role.provincial_admin, Role.steering_committee, Role.auditor})

# (Vietnamese, English)
ROLE_NAMES = {
    Role.provincial_admin: ("Quản trị viên cấp tỉnh", "Provincial administrator"),
    Role.steering_committee: ("Thành viên Ban chỉ đạo", "Steering committee member"),
    Role.unit_head: ("Thủ trưởng đơn vị", "Head of unit"),
    Role.manager: ("Cán bộ quản lý", "Manager"),
    Role.official: ("Cán bộ, công chức, viên chức", "Official"),
    Role.support_staff: ("Cán bộ hỗ trợ", "Support staff"),
    Role.auditor: ("Kiểm tra, giám sát", "Auditor"),
    Role.platform_operator: ("Vận hành nền tảng", "Platform operator"),
    Role.central_analyst: ("Chuyên viên phân tích Trung ương", "Central analyst"),
}


def role_name(role: str, language: str = "vi") -> str:
    names = ROLE_NAMES.get(role)
    if names is None:
        return role
    return names[1] if language == "en" else names[0]
