"""Reading a province pack — a folder, a .zip of it, or the tables as one .xlsx workbook — into rows
that remember where they came from (file and line), so every problem can be reported in place.

Nothing is validated here beyond the shape of each file: YAML that parses, CSV headers that name
known columns. See tenants/README.md for the format.

Uploads are untrusted: every way an archive can fail (not a zip, headers that lie about sizes, a
zip bomb, an unsupported or encrypted entry) becomes a located, translated problem, never an
exception. Memory stays bounded: CSV files are streamed out of the archive row by row and a table
may hold at most `max_rows` rows (KPI_PACK_MAX_ROWS for uploads); past it the pack is refused with
a `too_many_rows` problem on the first line beyond.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
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
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024  # what the entries of an archive may add up to, uncompressed
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024  # one YAML file (parsed whole, with line marks)
DEFAULT_MAX_ROWS = 100_000
# What reading a broken or hostile archive can raise (zipfile, zlib, bz2/lzma, an encrypted entry …).
ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    ValueError,
)


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


@dataclass(slots=True)
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
    # The upload itself could not be read whole (a broken archive, a table past the row limit):
    # its problems say why, and validating the rest would only add noise.
    unreadable: bool = False

    def has(self, file: str) -> bool:
        return file in self.documents or file in self.tables

    def problem(self, file, line, column, code, vi, en) -> None:
        self.problems.append(Problem(file, line, column, code, vi, en))

    def refuse(self, file, line, code, vi, en) -> None:
        self.problem(file, line, None, code, vi, en)
        self.unreadable = True

    def too_many_rows(self, file: str, line: int, max_rows: int) -> None:
        self.refuse(
            file,
            line,
            "too_many_rows",
            f"Bảng có quá {max_rows:,} dòng; hãy chia gói thành nhiều lần nhập.".replace(",", "."),
            f"The table has more than {max_rows:,} rows; split the pack into several imports.",
        )


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: ~4x faster
    """Records, in each mapping, the line it starts on (key "__line__") and the line of each of its
    keys ("__lines__"), for error locations."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping["__line__"] = node.start_mark.line + 1
        mapping["__lines__"] = {key.value: key.start_mark.line + 1 for key, _ in node.value if hasattr(key, "value")}
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


def _read_csv(pack: RawPack, name: str, lines, max_rows: int = DEFAULT_MAX_ROWS) -> None:
    """Rows of a CSV file from an iterable of its lines (text), kept one by one up to max_rows."""
    reader = csv.reader(lines)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        pack.tables[name] = []
        return
    except csv.Error as error:
        pack.problem(name, 1, None, "invalid_csv", f"CSV không hợp lệ: {error}.", f"Not valid CSV: {error}.")
        return
    except NotUtf8 as error:
        _not_utf8(pack, name, error.line)
        return
    if header:
        header[0] = header[0].lstrip("\ufeff")
    if not _check_header(pack, name, header):
        return
    rows = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            line = reader.line_num
            if len(rows) >= max_rows:
                pack.too_many_rows(name, line, max_rows)
                break
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
    except NotUtf8 as error:
        _not_utf8(pack, name, error.line)
        return
    pack.tables[name] = rows


class NotUtf8(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _utf8_lines(stream):
    """The text lines of a binary stream, decoded one by one, so bad bytes are found on their line."""
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            raise NotUtf8(number) from None


def _not_utf8(pack: RawPack, name: str, line: int | None) -> None:
    pack.problem(name, line, None, "not_utf8", "Tệp không ở mã UTF-8.", "The file is not UTF-8 encoded.")


def _decode(pack: RawPack, name: str, data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        _not_utf8(pack, name, data[: error.start].count(b"\n") + 1)
        return None


def _read_stream(pack: RawPack, name: str, stream, max_rows: int) -> None:
    """One file of the pack from a binary stream: YAML read whole (up to MAX_DOCUMENT_BYTES), CSV
    streamed row by row."""
    if name in YAML_FILES:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(data) > MAX_DOCUMENT_BYTES:
            pack.refuse(
                name,
                None,
                "file_too_large",
                f"Tệp lớn hơn {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
                f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB.",
            )
            return
        text = _decode(pack, name, data)
        if text is not None:
            _read_yaml(pack, name, text)
    elif name in TABLES:
        _read_csv(pack, name, _utf8_lines(stream), max_rows)


def from_folder(path: Path, max_rows: int = DEFAULT_MAX_ROWS) -> RawPack:
    pack = RawPack(name=path.name)
    if not (path / "tenant.yaml").is_file():
        pack.problem("tenant.yaml", None, None, "missing_file", "Thiếu tệp tenant.yaml.", "tenant.yaml is missing.")
    for name in (*YAML_FILES, *TABLES):
        if (path / name).is_file():
            with (path / name).open("rb") as stream:
                _read_stream(pack, name, stream, max_rows)
    return pack


def _open_archive(pack: RawPack, data: bytes, name: str, what_vi: str, what_en: str) -> zipfile.ZipFile | None:
    """The archive, or None with a problem: not an archive, or entries adding up past the limit (a
    zip bomb declares its size honestly; one that lies is caught while reading, below)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        declared = sum(info.file_size for info in archive.infolist())
    except ARCHIVE_ERRORS:
        pack.refuse(name, None, "invalid_archive", f"{what_vi} không hợp lệ.", f"Not a valid {what_en}.")
        return None
    if declared > MAX_ARCHIVE_BYTES:
        pack.refuse(
            name,
            None,
            "archive_too_large",
            f"Tệp nén quá lớn: các tệp bên trong cộng lại quá {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB khi giải nén.",
            f"The archive is too large: its files add up to more than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB "
            "uncompressed.",
        )
        return None
    return archive


def _damaged(pack: RawPack, name: str, member: str) -> None:
    """Located at the entry that failed (the file of the pack it holds), naming it as it is in the archive."""
    pack.refuse(
        PurePosixPath(member).name or name,
        None,
        "damaged_archive",
        f"Tệp nén bị hỏng hoặc khai sai kích thước ở tệp {member}; hãy nén lại thư mục gói.",
        f"The archive is damaged or misstates the size of {member}; zip the pack's folder again.",
    )


def from_zip(data: bytes, name: str = "upload", max_rows: int = DEFAULT_MAX_ROWS) -> RawPack:
    """A .zip of the pack's folder (the files at its top or inside one folder)."""
    pack = RawPack(name=name)
    archive = _open_archive(pack, data, name, "Tệp nén", ".zip archive")
    if archive is None:
        return pack
    for info in archive.infolist():
        base = PurePosixPath(info.filename).name
        if not info.is_dir() and (base in YAML_FILES or base in TABLES):
            try:
                with archive.open(info) as stream:
                    _read_stream(pack, base, stream, max_rows)
            except ARCHIVE_ERRORS:
                pack.tables.pop(base, None)
                pack.documents.pop(base, None)
                _damaged(pack, name, info.filename)
                return pack
            if pack.unreadable:
                return pack
    if "tenant.yaml" not in pack.documents and not any(p.file == "tenant.yaml" for p in pack.problems):
        pack.problem("tenant.yaml", None, None, "missing_file", "Thiếu tệp tenant.yaml.", "tenant.yaml is missing.")
    return pack


def from_workbook(data: bytes, name: str = "upload.xlsx", max_rows: int = DEFAULT_MAX_ROWS) -> RawPack:
    """The tables as sheets named like the CSV files without .csv (units, positions, officials …).
    A workbook carries tables only; the YAML parts come from a folder or an archive."""
    from openpyxl import load_workbook

    pack = RawPack(name=name)
    # A workbook is a zip too: the same checks before openpyxl unpacks anything.
    if _open_archive(pack, data, name, "Tệp Excel", ".xlsx workbook") is None:
        return pack
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        pack.refuse(name, None, "invalid_workbook", "Tệp Excel không hợp lệ.", "Not a valid .xlsx workbook.")
        return pack
    for sheet in workbook.worksheets:
        file = f"{sheet.title.strip()}.csv"
        if file not in TABLES:
            pack.problem(
                name, None, None, "unknown_sheet", f"Trang tính lạ '{sheet.title}'.", f"Unknown sheet '{sheet.title}'."
            )
            continue
        try:
            _read_sheet(pack, file, sheet, max_rows)
        except ARCHIVE_ERRORS:
            pack.tables.pop(file, None)
            _damaged(pack, name, file)
        if pack.unreadable:
            break
    workbook.close()
    return pack


def _read_sheet(pack: RawPack, file: str, sheet, max_rows: int) -> None:
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    if not _check_header(pack, file, header):
        return
    table = []
    for number, cells in enumerate(rows, start=2):
        values = {h: _cell(c) for h, c in zip(header, cells, strict=False) if h}
        if any(values.values()):
            if len(table) >= max_rows:
                pack.too_many_rows(file, number, max_rows)
                break
            table.append(Row(file, number, values))
    pack.tables[file] = table


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "date") and callable(value.date):
        return value.date().isoformat()  # a date cell
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
