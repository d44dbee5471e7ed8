"""Small province packs written on the fly for the onboarding tests (the reference pack is in tenants/)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

FILES = {
    "tenant.yaml": """slug: {slug}
name_vi: Tỉnh Thử Nghiệm
name_en: Test Province
kind: province
status: provisioning
""",
    "settings.yaml": """valid_from: 2025-01-01
scoring_method: hours
complexity:
  - {code: simple, name_vi: Đơn giản, name_en: Simple, coefficient: 0.8}
  - {code: normal, name_vi: Bình thường, name_en: Normal, coefficient: 1.0}
  - {code: complex, name_vi: Phức tạp, name_en: Complex, coefficient: 1.2}
quality:
  - {code: excellent, name_vi: Xuất sắc, name_en: Excellent, factor: 1.0}
  - {code: good, name_vi: Tốt, name_en: Good, factor: 0.9}
weights: {general_max: 30, task_max: 70, hours_per_day: 8}
""",
    "catalog.yaml": """valid_from: 2025-04-01
approval:
  decision: "Quyết định số 35/QĐ-BCĐ"
  date: 2025-03-25
items:
  - code: A-001
    group: A
    name_vi: Chỉ đạo, điều hành công việc của cơ quan
    output_unit: ngày
    norm_minutes: 60
    complexity: complex
  - code: B-001
    group: B
    name_vi: Soạn thảo văn bản hành chính thông thường
    output_unit: văn bản
    norm_minutes: 60
    complexity: normal
    has_deadline: true
  - code: B-002
    group: B
    name_vi: Xử lý văn bản đến trên hệ thống quản lý văn bản
    output_unit: văn bản
    norm_minutes: 10
    complexity: simple
  - code: C-SYT-001
    group: C
    agency: SYT
    field: Y tế
    name_vi: Thẩm định hồ sơ cấp phép hành nghề khám bệnh, chữa bệnh
    output_unit: hồ sơ
    norm_minutes: 240
    complexity: complex
  - code: D-001
    group: D
    name_vi: Nhiệm vụ đột xuất do lãnh đạo giao
    output_unit: nhiệm vụ
    norm_minutes: 120
""",
    "units.csv": """code,name_vi,kind,parent_code,valid_from,head_staff_code
T,UBND tỉnh Thử Nghiệm,province,,2025-01-01,
SYT,Sở Y tế,agency,T,2025-01-01,TN001
SYT-VP,Văn phòng Sở Y tế,division,SYT,2025-01-01,
SYT-NVY,Phòng Nghiệp vụ Y,division,SYT,2025-01-01,TN002
X-AN,Xã An Hải,commune,T,2025-01-01,TN004
""",
    "positions.csv": """code,name_vi,category,unit_kinds
GD,Giám đốc Sở,leadership,agency
TP,Trưởng phòng,leadership,division
CV,Chuyên viên,professional,agency|division|commune
""",
    "officials.csv": "staff_code,full_name,employment_kind,email,unit_code,position_code,valid_from,share,"
    + """reviewer_staff_code
TN001,Nguyễn Văn An,cong_chuc,an.nguyen@thunghiem.gov.vn,SYT,GD,2025-01-01,1,
TN002,Trần Thị Bình,cong_chuc,binh.tran@thunghiem.gov.vn,SYT-NVY,TP,2025-01-01,1,
TN003,Lê Văn Cường,cong_chuc,cuong.le@thunghiem.gov.vn,SYT-NVY,CV,2025-01-01,1,TN002
TN004,Phạm Thị Dung,can_bo,dung.pham@thunghiem.gov.vn,X-AN,CV,2025-01-01,1,
TN005,Đặng Văn Em,cong_chuc,,X-AN,CV,2025-01-01,0.5,
""",
    "concurrent_posts.csv": """staff_code,unit_code,position_code,valid_from,share
TN002,SYT-VP,CV,2025-01-01,0.5
""",
    "job_descriptions.csv": """position_code,agency_code,item_code,expected_monthly_volume
GD,,A-001,20
GD,,D-001,
TP,,A-001,
TP,,B-001,10
CV,,B-001,30
CV,,B-002,200
CV,,D-001,
CV,SYT,C-SYT-001,15
""",
    "accounts.csv": """email,display_name,roles,staff_code
quantri@thunghiem.gov.vn,Quản trị viên tỉnh,provincial_admin,
bcd@thunghiem.gov.vn,Ban chỉ đạo,steering_committee,
an.nguyen@thunghiem.gov.vn,Nguyễn Văn An,unit_head|official,TN001
cuong.le@thunghiem.gov.vn,Lê Văn Cường,official,TN003
""",
    "rollout.yaml": """pilot:
  start: 2025-01-02
  units: [SYT]
official_start: 2025-04-01
extensions:
  - date: 2025-07-01
    units: [X-AN]
""",
}


def write_pack(folder: Path, slug: str, **replace: str) -> Path:
    """The small pack into `folder`; `replace` swaps whole files (file name with . as _)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in FILES.items():
        text = replace.get(name.replace(".", "_"), text)
        if text is None:
            continue
        (folder / name).write_text(text.format(slug=slug) if name == "tenant.yaml" else text, encoding="utf-8")
    return folder


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, f"{folder.name}/{path.name}")
    return buffer.getvalue()
