"""Peak memory of reading and validating pathological pack uploads, each in a fresh process.

    .venv/bin/python benchmarks/upload_memory.py [--rows 1300000]

Cases (each measured as the child process's peak resident set, VmHWM):
- bare: the same units.csv streamed out of the zip and split into CSV rows, nothing kept — the
  floor any reader has to pay (Python, the libraries, the zip's bytes);
- pathological: a zip of a few MB holding a units.csv of about 60 MB (1.3 million rows), read and
  validated as an upload job does (source.from_zip, then validate.validate against an empty tenant;
  no database is needed for that part);
- lying: the same zip with its headers claiming 1 000 bytes for units.csv;
- bomb: 1 GB of zeros in units.csv, declared honestly.
The ratio printed is each case's peak over the bare floor.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import struct
import subprocess
import sys
import time
import zipfile

TENANT_YAML = "slug: bench\nname_vi: Tỉnh thử\nname_en: Bench\n"


def units_csv(rows: int) -> bytes:
    lines = ["code,name_vi,kind,valid_from,parent_code"]
    lines.append("ROOT,Ủy ban nhân dân tỉnh,province,2025-01-01,")
    lines += [f"U{n:07d},Xã số {n},commune,2025-01-01,ROOT" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def pathological(rows: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("pack/tenant.yaml", TENANT_YAML)
        archive.writestr("pack/units.csv", units_csv(rows))
    return out.getvalue()


def lying(data: bytes, claimed: int = 1000) -> bytes:
    """The same archive, its local and central headers saying units.csv holds `claimed` bytes."""
    data = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (found := data.find(signature, start)) >= 0:
            name_length = struct.unpack_from("<H", data, found + (26 if signature == b"PK\x03\x04" else 28))[0]
            name_at = found + (30 if signature == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + name_length]).endswith(b"units.csv"):
                struct.pack_into("<I", data, found + offset, claimed)
            start = found + 4
    return bytes(data)


def bomb(size: int = 1 << 30) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tenant.yaml", TENANT_YAML)
        with archive.open("units.csv", "w", force_zip64=True) as member:
            member.write(b"code,name_vi,kind,valid_from\n")
            chunk = b"0" * (1 << 20)
            for _ in range(size >> 20):
                member.write(chunk)
    return out.getvalue()


def peak_mb() -> float:
    """This process's high-water mark of resident memory (VmHWM; ru_maxrss would include the
    parent's, which survives the exec)."""
    for line in open("/proc/self/status"):  # noqa: SIM115
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(case: str, path: str) -> None:
    data = open(path, "rb").read()  # noqa: SIM115
    started = time.perf_counter()
    if case == "bare":
        import csv

        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            name = next(n for n in archive.namelist() if n.endswith("units.csv"))
            with archive.open(name) as member:
                rows = sum(1 for _ in csv.reader(io.TextIOWrapper(member, encoding="utf-8")))
        result = {"rows": rows}
    else:
        from kpi_platform.onboarding import source
        from kpi_platform.onboarding.validate import Existing, validate

        try:
            raw = source.from_zip(data, "upload.zip")
            validate(raw, Existing(kinds={"province", "commune"}))
        except Exception as exc:  # what a job would have reported as its error
            result = {"error": type(exc).__name__}
        else:
            result = {"problems": len(raw.problems), "first": raw.problems[0].as_dict() if raw.problems else None}
            result["rows_kept"] = len(raw.tables.get("units.csv", []))
    result["seconds"] = round(time.perf_counter() - started, 2)
    result["peak_mb"] = peak_mb()
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_300_000)
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="kpi-upload-bench-"))
    data = pathological(args.rows)
    files = {"pathological": data, "lying": lying(data), "bomb": bomb()}
    print(f"pathological zip: {len(data) / 1e6:.1f} MB, units.csv {len(units_csv(args.rows)) / 1e6:.1f} MB")
    for name, content in files.items():
        (folder / f"{name}.zip").write_bytes(content)
    results = {}
    for case, file in (("bare", "pathological"), *((name, name) for name in files)):
        out = subprocess.run(
            [sys.executable, __file__, "--child", case, str(folder / f"{file}.zip")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[case] = json.loads(out.strip().splitlines()[-1])
    floor = results["bare"]["peak_mb"]
    for case, result in results.items():
        print(f"{case:13s} peak {result['peak_mb']:8.1f} MB  {result['peak_mb'] / floor:5.1f} times bare   {result}")
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()


if __name__ == "__main__":
    main()
