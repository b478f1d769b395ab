"""Zip surgery on an .xlsx package: find a table, read its cells, rewrite single cells.

Used by the write-back (:mod:`workbook.writeback`). Only the parts that change are
re-encoded; every other zip entry is copied verbatim (its local record: header,
compressed bytes, data descriptor; its central-directory record with only the offset
updated), in the same order, so whatever Excel or the user put in the file survives.

>>> split_ref("C12"), col_letters(27)  # (column, row), 1-based
((3, 12), 'AA')
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape


def first_line(err: BaseException) -> str:
    return (str(err).splitlines() or [type(err).__name__])[0]


def format_number(x: float) -> str:
    """The shortest text that reads back as exactly ``x`` (how Excel writes ``<v>``)."""
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


_NS_REL_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


_TABLE_REL = "/table"


class Package:
    """The parts of an .xlsx, read once; raw compressed bytes kept for a faithful copy."""

    def __init__(self, path: Path):
        self.path = path
        self.data = path.read_bytes()
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(self.data))
        except (zipfile.BadZipFile, EOFError, ValueError):
            raise ValueError(f"{path.name}: not an .xlsx file (not a zip archive)") from None
        self.infos = self.zip.infolist()
        self.names = {i.filename for i in self.infos}
        if "xl/workbook.xml" not in self.names or "[Content_Types].xml" not in self.names:
            raise ValueError(f"{path.name}: not an .xlsx file (no xl/workbook.xml)")

    def read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (zlib.error, zipfile.BadZipFile, EOFError, OSError) as err:
            raise ValueError(f"{self.path.name}: the file is damaged ({name} cannot be read: "
                             f"{first_line(err)}); restore it from a backup") from None

    def xml(self, name: str) -> ET.Element:
        try:
            return ET.fromstring(self.read(name))
        except ET.ParseError as err:
            raise ValueError(f"{self.path.name}: {name} is not valid XML ({err})") from None

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, absolute part name) for ``part``."""
        folder, base = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", base + ".rels")
        if rels_name not in self.names:
            return {}
        out = {}
        for rel in self.xml(rels_name).iter(f"{{{_NS_PKG_REL}}}Relationship"):
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target", "")
            if target.startswith("/"):
                resolved = target.lstrip("/")
            else:
                resolved = posixpath.normpath(posixpath.join(folder, target))
            out[rel.get("Id")] = (rel.get("Type", ""), resolved)
        return out

    def local_record(self, info: zipfile.ZipInfo) -> bytes:
        """One entry's whole local record as stored: header, name, extra, data, descriptor.

        A local record holds no offset, so an unchanged entry is copied verbatim.
        """
        offset = info.header_offset
        name_len, extra_len = struct.unpack("<HH", self.data[offset + 26 : offset + 30])
        end = offset + 30 + name_len + extra_len + info.compress_size
        if info.flag_bits & 0x08:  # a data descriptor follows, with or without its signature
            end += 16 if self.data[end : end + 4] == b"PK\x07\x08" else 12
        return self.data[offset:end]

    def central_records(self) -> list[bytes] | None:
        """The raw central-directory records in entry order; None when not plain zip32."""
        data = self.data
        eocd = data.rfind(b"PK\x05\x06")
        while eocd >= 0:
            size, start = struct.unpack("<II", data[eocd + 12 : eocd + 20])
            if start + size == eocd:
                break
            eocd = data.rfind(b"PK\x05\x06", 0, eocd)
        if eocd < 0:
            return None
        records, i = [], start
        while i < start + size:
            if data[i : i + 4] != b"PK\x01\x02":
                return None
            n, m, k = struct.unpack("<HHH", data[i + 28 : i + 34])
            records.append(data[i : i + 46 + n + m + k])
            i += 46 + n + m + k
        if len(records) != len(self.infos):
            return None
        for rec, info in zip(records, self.infos, strict=True):
            csize, usize = struct.unpack("<II", rec[20:28])
            (offset,) = struct.unpack("<I", rec[42:46])
            if 0xFFFFFFFF in (csize, usize, offset) or offset != info.header_offset:
                return None
        return records

    def local_extra(self, info: zipfile.ZipInfo) -> bytes:
        offset = info.header_offset
        name_len, extra_len = struct.unpack("<HH", self.data[offset + 26 : offset + 30])
        start = offset + 30 + name_len
        return self.data[start : start + extra_len]


def shared_strings(pkg: Package) -> list[str]:
    rels = pkg.rels("xl/workbook.xml")
    part = next((p for t, p in rels.values() if t.endswith("/sharedStrings")), None)
    if part is None or part not in pkg.names:
        return []
    out = []
    for si in pkg.xml(part).iter(f"{{{NS_MAIN}}}si"):
        out.append(text_of(si))
    return out


def text_of(node: ET.Element) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>`` runs, without phonetic runs."""
    parts = []
    for child in node:
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(t.text or "" for t in child if t.tag.rsplit("}", 1)[-1] == "t")
    return "".join(parts)


def find_table(pkg: Package, name: str) -> tuple[str, str, ET.Element]:
    """(sheet name, sheet part, table element) of the Excel table called ``name``."""
    wb = pkg.xml("xl/workbook.xml")
    wb_rels = pkg.rels("xl/workbook.xml")
    found_tables = []
    for sheet in wb.iter(f"{{{NS_MAIN}}}sheet"):
        rid = sheet.get(f"{{{_NS_REL_DOC}}}id")
        if rid not in wb_rels:
            continue
        sheet_part = wb_rels[rid][1]
        if sheet_part not in pkg.names:
            continue
        for rtype, table_part in pkg.rels(sheet_part).values():
            if not rtype.endswith(_TABLE_REL) or table_part not in pkg.names:
                continue
            table = pkg.xml(table_part)
            names = {table.get("displayName", ""), table.get("name", "")}
            found_tables.append(table.get("displayName", ""))
            if name.lower() in {n.lower() for n in names}:
                return sheet.get("name", ""), sheet_part, table
    others = f" (tables found: {', '.join(found_tables)})" if found_tables else " (it has no tables)"
    raise ValueError(f"{pkg.path.name}: no Excel table named {name!r}{others}")


_CELL_REF = re.compile(r"^([A-Z]{1,3})([0-9]+)$")


def split_ref(ref: str) -> tuple[int, int]:
    m = _CELL_REF.match(ref.replace("$", "").upper())
    if not m:
        raise ValueError(f"bad cell reference {ref!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + (ord(ch) - 64)
    return col, int(m.group(2))


def col_letters(col: int) -> str:
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def sheet_cells(sheet_xml: bytes, shared: list[str], rows: range, cols: set[int]) -> dict:
    """(col, row) -> cell value for the cells of ``rows`` x ``cols`` (strings or floats)."""
    root = ET.fromstring(sheet_xml)
    out: dict[tuple[int, int], Any] = {}
    data = root.find(f"{{{NS_MAIN}}}sheetData")
    if data is None:
        return out
    for row in data.iter(f"{{{NS_MAIN}}}row"):
        for c in row.iter(f"{{{NS_MAIN}}}c"):
            ref = c.get("r")
            if ref is None:
                continue
            col, r = split_ref(ref)
            if r not in rows or col not in cols:
                continue
            out[(col, r)] = cell_value(c, shared)
    return out


def cell_value(c: ET.Element, shared: list[str]) -> Any:
    kind = c.get("t", "n")
    v = c.find(f"{{{NS_MAIN}}}v")
    if kind == "inlineStr":
        node = c.find(f"{{{NS_MAIN}}}is")
        return text_of(node) if node is not None else ""
    if v is None or v.text is None:
        return None
    if kind == "s":
        i = int(v.text)
        return shared[i] if 0 <= i < len(shared) else None
    if kind in ("str", "e"):
        return v.text
    if kind == "b":
        return v.text.strip() == "1"
    try:
        return float(v.text)
    except ValueError:
        return v.text


def has_formula(c: ET.Element) -> bool:
    return c.find(f"{{{NS_MAIN}}}f") is not None


def _cell_pattern(ref: str) -> re.Pattern:
    # <c ... r="D5" ...>...</c> or <c ... r="D5" .../>, with or without a namespace prefix.
    return re.compile(
        rb"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)c\b(?P<attrs>[^>]*?\sr=\"" + ref.encode() + rb"\"[^>]*?)"
        rb"(?:/>|>(?P<body>.*?)</(?P=p)c>)",
        re.S,
    )


def _content(prefix: bytes, value: float | str) -> tuple[bytes, bytes]:
    """(type attribute, inner XML) of a cell holding ``value``: a number, or text as an
    inline string (never a formula, whatever it starts with)."""
    if isinstance(value, str):
        text = xml_escape(value).encode("utf-8")
        space = b' xml:space="preserve"' if value != value.strip() else b""
        return (b' t="inlineStr"', b"<" + prefix + b"is><" + prefix + b"t" + space + b">" + text
                + b"</" + prefix + b"t></" + prefix + b"is>")
    return b"", b"<" + prefix + b"v>" + format_number(value).encode() + b"</" + prefix + b"v>"


def rewrite_cell(sheet_xml: bytes, ref: str, value: float | str) -> tuple[bytes, bool]:
    """``sheet_xml`` with cell ``ref`` holding ``value`` (a number, or text); (new xml, found)."""
    data_start = sheet_xml.find(b"sheetData")
    m = _cell_pattern(ref).search(sheet_xml, max(data_start, 0))
    if not m:
        return sheet_xml, False
    prefix = m.group("p")
    # the value's type (t=) and value metadata (vm=) belonged to the old value
    attrs = re.sub(rb'\s+(?:t|vm)="[^"]*"', b"", m.group("attrs"))
    kind, inner = _content(prefix, value)
    new = b"<" + prefix + b"c" + attrs + kind + b">" + inner + b"</" + prefix + b"c>"
    return sheet_xml[: m.start()] + new + sheet_xml[m.end() :], True


def insert_cell(sheet_xml: bytes, col: int, row: int, value: float | str) -> bytes:
    """Add a missing cell to an existing ``<row r=...>`` in column order."""
    row_pat = re.compile(
        rb"<(?P<p>(?:[A-Za-z_][\w.-]*:)?)row\b[^>]*?\sr=\"" + str(row).encode() + rb"\"[^>]*?(?:/>|>(?P<body>.*?)</(?P=p)row>)",
        re.S,
    )
    m = row_pat.search(sheet_xml, max(sheet_xml.find(b"sheetData"), 0))
    ref = f"{col_letters(col)}{row}"
    if not m:
        raise ValueError(f"Rules sheet has no row {row} to hold cell {ref}")
    p = m.group("p")
    kind, inner = _content(p, value)
    cell = b"<" + p + b'c r="' + ref.encode() + b'"' + kind + b">" + inner + b"</" + p + b"c>"
    if m.group("body") is None:  # <row .../>
        open_tag = m.group(0)[:-2] + b">"
        new_row = open_tag + cell + b"</" + p + b"row>"
        return sheet_xml[: m.start()] + new_row + sheet_xml[m.end() :]
    body_start = m.start("body")
    insert_at = m.end("body")
    for cm in re.finditer(rb"<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\sr=\"([A-Z]+)[0-9]+\"", m.group("body")):
        if split_ref(cm.group(1).decode() + "1")[0] > col:
            insert_at = body_start + cm.start()
            break
    return sheet_xml[:insert_at] + cell + sheet_xml[insert_at:]


def _dos_time(info: zipfile.ZipInfo) -> tuple[int, int]:
    y, mo, d, h, mi, s = info.date_time
    return (h << 11) | (mi << 5) | (s // 2), ((max(y, 1980) - 1980) << 9) | (mo << 5) | d


def write_zip(pkg: Package, replaced: dict[str, bytes], out) -> None:
    """Write ``pkg`` to the binary file ``out``, replacing the parts in ``replaced``.

    An unchanged entry's local record (header, compressed bytes, data descriptor) is
    copied verbatim and its central-directory record too, with only its offset updated;
    a replaced entry keeps its name, time, attributes, extra fields and compression method,
    with sizes in its local header (no data descriptor).
    """
    central_raw = pkg.central_records()
    central = []
    offset = 0
    for n, info in enumerate(pkg.infos):
        if offset >= 0xFFFFFFFF:
            raise ValueError(f"{pkg.path.name}: too large for the write-back (zip64)")
        if info.filename not in replaced:
            record = pkg.local_record(info)
            out.write(record)
            if central_raw is not None:
                rec = central_raw[n]
                central.append(rec[:42] + struct.pack("<I", offset) + rec[46:])
            else:
                central.append(_central_record(
                    info, info.flag_bits, info.compress_type, info.CRC, info.compress_size,
                    info.file_size, offset))
            offset += len(record)
            continue
        content = replaced[info.filename]
        method = info.compress_type if info.compress_type in (0, 8) else 8
        if method == 8:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            raw = comp.compress(content) + comp.flush()
        else:
            raw = content
        crc, usize = zlib.crc32(content) & 0xFFFFFFFF, len(content)
        if len(raw) >= 0xFFFFFFFF or usize >= 0xFFFFFFFF:
            raise ValueError(f"{pkg.path.name}: too large for the write-back (zip64)")
        flags = info.flag_bits & ~0x08
        name = _name_bytes(info)
        dtime, ddate = _dos_time(info)
        local_extra = _strip_zip64(pkg.local_extra(info))
        header = struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, info.extract_version, flags, method, dtime, ddate,
            crc, len(raw), usize, len(name), len(local_extra),
        )
        out.write(header + name + local_extra + raw)
        if central_raw is not None:
            rec = central_raw[n]
            central.append(
                rec[:8] + struct.pack("<HH", flags, method) + rec[12:16]
                + struct.pack("<III", crc, len(raw), usize) + rec[28:42]
                + struct.pack("<I", offset) + rec[46:]
            )
        else:
            central.append(_central_record(info, flags, method, crc, len(raw), usize, offset))
        offset += len(header) + len(name) + len(local_extra) + len(raw)
    cd = b"".join(central)
    comment = pkg.zip.comment
    out.write(cd)
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd), offset,
                    len(comment))
        + comment
    )


def _name_bytes(info: zipfile.ZipInfo) -> bytes:
    return info.filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")


def _central_record(info: zipfile.ZipInfo, flags, method, crc, csize, usize, offset) -> bytes:
    """A central-directory record rebuilt from ``info`` (when the original is not zip32)."""
    name = _name_bytes(info)
    extra = _strip_zip64(info.extra)
    dtime, ddate = _dos_time(info)
    return struct.pack(
        "<IBBHHHHHIIIHHHHHII", 0x02014B50, info.create_version, info.create_system,
        info.extract_version, flags, method, dtime, ddate, crc, csize, usize,
        len(name), len(extra), len(info.comment), 0, info.internal_attr,
        info.external_attr, offset,
    ) + name + extra + info.comment


def _strip_zip64(extra: bytes) -> bytes:
    """Extra fields without a zip64 record (the sizes are written in the headers)."""
    out, i = b"", 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i : i + 4])
        if tag != 0x0001:
            out += extra[i : i + 4 + size]
        i += 4 + size
    return out
