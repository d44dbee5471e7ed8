"""Reading a province pack — a folder, a .zip of it, or the tables as one .xlsx workbook — into rows
that remember where they came from (file and line), so every problem can be reported in place.

Nothing is validated here beyond the shape of each file: YAML that parses, CSV headers that name
known columns. See tenants/README.md for the format.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

YAML_FILES = ("tenant.yaml", "settings.yaml", "catalog.yaml", "rollout.yaml")
# CSV file (or workbook sheet) -> its columns; the first ones listed are required.
TABLES = {
    "units.csv": (("code", "name_vi", "kind", "valid_from"), ("parent_code", "head_staff_code")),
    "positions.csv": (("code", "name_vi", "category"), ("unit_kinds",)),
    "officials.csv": (
        ("staff_code", "full_name", "employment_kind", "unit_code", "position_code", "valid_from"),
        ("email", "share", "reviewer_staff_code"),
    ),
    "concurrent_posts.csv": (("staff_code", "unit_code", "position_code", "valid_from"), ("share",)),
    "job_descriptions.csv": (("position_code", "item_code"), ("agency_code", "expected_monthly_volume")),
    "accounts.csv": (("email", "display_name", "roles"), ("staff_code",)),
    "benchmarking.csv": (("subject", "code", "dimension"), ("term",)),
}
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024


@dataclass
class Problem:
    file: str
    line: int | None
    column: str | None
    code: str
    message_vi: str
    message_en: str

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
        }


@dataclass
class Row:
    file: str
    line: int  # the line (CSV, YAML) or row (workbook) it came from
    values: dict

    def get(self, name: str, default=None):
        value = self.values.get(name)
        return default if value in (None, "") else value


@dataclass
class RawPack:
    name: str
    documents: dict[str, dict] = field(default_factory=dict)  # YAML file -> its mapping
    tables: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def has(self, file: str) -> bool:
        return file in self.documents or file in self.tables

    def problem(self, file, line, column, code, vi, en) -> None:
        self.problems.append(Problem(file, line, column, code, vi, en))


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: ~4x faster
    """Records, in each mapping, the line it starts on (key "__line__"), for error locations."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping


def _read_yaml(pack: RawPack, name: str, text: str) -> None:
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        pack.problem(
            name,
            mark.line + 1 if mark else None,
            None,
            "invalid_yaml",
            f"Tệp YAML không hợp lệ: {getattr(error, 'problem', error)}.",
            f"Not valid YAML: {getattr(error, 'problem', error)}.",
        )
        return
    if not isinstance(document, dict):
        pack.problem(name, 1, None, "invalid_yaml", "Tệp phải là một bảng khóa: giá trị.", "Must be a mapping.")
        return
    pack.documents[name] = document


def _check_header(pack: RawPack, name: str, header: list[str], line: int = 1) -> bool:
    required, optional = TABLES[name]
    unknown = [c for c in header if c not in required + optional]
    missing = [c for c in required if c not in header]
    for column in unknown:
        pack.problem(name, line, column, "unknown_column", f"Cột lạ '{column}'.", f"Unknown column '{column}'.")
    for column in missing:
        pack.problem(name, line, column, "missing_column", f"Thiếu cột '{column}'.", f"Missing column '{column}'.")
    return not unknown and not missing


def _read_csv(pack: RawPack, name: str, text: str) -> None:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        pack.tables[name] = []
        return
    except csv.Error as error:
        pack.problem(name, 1, None, "invalid_csv", f"CSV không hợp lệ: {error}.", f"Not valid CSV: {error}.")
        return
    if not _check_header(pack, name, header):
        return
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            if len(cells) != len(header):
                pack.problem(
                    name,
                    line,
                    None,
                    "wrong_cell_count",
                    f"Dòng có {len(cells)} ô, tiêu đề có {len(header)} cột.",
                    f"The line has {len(cells)} cells; the header has {len(header)} columns.",
                )
                continue
            rows.append(Row(name, line, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    except csv.Error as error:
        pack.problem(
            name, reader.line_num, None, "invalid_csv", f"CSV không hợp lệ: {error}.", f"Not valid CSV: {error}."
        )
        return
    pack.tables[name] = rows


def _decode(pack: RawPack, name: str, data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        pack.problem(
            name,
            data[: error.start].count(b"\n") + 1,
            None,
            "not_utf8",
            "Tệp không ở mã UTF-8.",
            "The file is not UTF-8 encoded.",
        )
        return None


def _read_file(pack: RawPack, name: str, data: bytes) -> None:
    text = _decode(pack, name, data)
    if text is None:
        return
    if name in YAML_FILES:
        _read_yaml(pack, name, text)
    elif name in TABLES:
        _read_csv(pack, name, text)


def from_folder(path: Path) -> RawPack:
    pack = RawPack(name=path.name)
    if not (path / "tenant.yaml").is_file():
        pack.problem("tenant.yaml", None, None, "missing_file", "Thiếu tệp tenant.yaml.", "tenant.yaml is missing.")
    for name in (*YAML_FILES, *TABLES):
        if (path / name).is_file():
            _read_file(pack, name, (path / name).read_bytes())
    return pack


def from_zip(data: bytes, name: str = "upload") -> RawPack:
    """A .zip of the pack's folder (the files at its top or inside one folder)."""
    pack = RawPack(name=name)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        pack.problem(name, None, None, "invalid_archive", "Tệp nén không hợp lệ.", "Not a valid .zip archive.")
        return pack
    if sum(info.file_size for info in archive.infolist()) > MAX_ARCHIVE_BYTES:
        pack.problem(name, None, None, "archive_too_large", "Tệp nén quá lớn.", "The archive is too large.")
        return pack
    for info in archive.infolist():
        base = PurePosixPath(info.filename).name
        if not info.is_dir() and (base in YAML_FILES or base in TABLES):
            _read_file(pack, base, archive.read(info))
    if "tenant.yaml" not in pack.documents and not any(p.file == "tenant.yaml" for p in pack.problems):
        pack.problem("tenant.yaml", None, None, "missing_file", "Thiếu tệp tenant.yaml.", "tenant.yaml is missing.")
    return pack


def from_workbook(data: bytes, name: str = "upload.xlsx") -> RawPack:
    """The tables as sheets named like the CSV files without .csv (units, positions, officials …).
    A workbook carries tables only; the YAML parts come from a folder or an archive."""
    from openpyxl import load_workbook

    pack = RawPack(name=name)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        pack.problem(name, None, None, "invalid_workbook", "Tệp Excel không hợp lệ.", "Not a valid .xlsx workbook.")
        return pack
    for sheet in workbook.worksheets:
        file = f"{sheet.title.strip()}.csv"
        if file not in TABLES:
            pack.problem(
                name, None, None, "unknown_sheet", f"Trang tính lạ '{sheet.title}'.", f"Unknown sheet '{sheet.title}'."
            )
            continue
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
        if not _check_header(pack, file, header):
            continue
        table = []
        for number, cells in enumerate(rows, start=2):
            values = {h: _cell(c) for h, c in zip(header, cells, strict=False) if h}
            if any(values.values()):
                table.append(Row(file, number, values))
        pack.tables[file] = table
    return pack


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()  # a date cell
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
