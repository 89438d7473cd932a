"""Input the reader cannot read: one PlansearchError naming the file (and line), never a traceback."""

from __future__ import annotations

import io
import os
import re
import warnings
import zipfile
from pathlib import Path

import openpyxl
import pytest

from indexer import PlansearchError, TableError, read_paths, read_table, sources
from indexer import workbook as workbook_module

HEADER = "計画における項目\t実施内容\t担当課\t令和2年度実施状況\t評価\t達成度"
ROW = "(1) 学校における支援\t1 いじめ防止対策\t指導室\t年3回授業を実施した。\t早期発見に取り組めた。\t実施"


def workbook(damage: dict[str, bytes] | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.active.append(HEADER.split("\t"))
    book.active.append(ROW.split("\t"))
    out = io.BytesIO()
    book.save(out)
    if not damage:
        return out.getvalue()
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, damage.get(item.filename, zin.read(item.filename)))
    return damaged.getvalue()


def repacked(data: bytes, member: str, edit) -> bytes:
    """The workbook with ``edit(raw bytes of the file)`` applied to one member's stored record."""
    raw = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(member)
    edit(raw, info)
    return bytes(raw)


def _garbled_deflate(raw: bytearray, info: zipfile.ZipInfo) -> None:
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 8:start + 24] = b"\xff" * 16


def _unknown_compression(raw: bytearray, info: zipfile.ZipInfo) -> None:
    raw[info.header_offset + 8:info.header_offset + 10] = (99).to_bytes(2, "little")  # AES: zipfile cannot
    central = raw.rindex(info.filename.encode()) - 46  # its central directory entry
    assert raw[central:central + 4] == b"PK\x01\x02"
    raw[central + 10:central + 12] = (99).to_bytes(2, "little")


#: (file name, its bytes, what the error says, the line it names or None)
BAD_FILES = [
    ("empty.tsv", b"", "is empty", None),
    ("blank.csv", b"\r\n\r\n \r\n", "is empty", None),
    ("binary.tsv", bytes(range(256)) * 4, "looks binary (NUL bytes)", None),
    ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "looks binary", None),
    ("undecodable.tsv", b"\x81\x20\xff\xfe\x80 \xa0\xa0", "is neither UTF-8 nor Shift_JIS (CP932)", 1),
    ("corrupt_byte.tsv", f"{HEADER}\n{ROW}\n".encode() + b"\xff\xfe" + f"\n{ROW}\n".encode(),
     "is neither UTF-8 nor Shift_JIS (CP932): byte", 3),
    ("bad_utf8_bom.tsv", b"\xef\xbb\xbf" + f"{HEADER}\n".encode() + b"\x93\xfa\n",
     "has a UTF-8 mark but is not valid UTF-8: byte", 2),
    ("bad_bom.tsv", b"\xff\xfe" + "実施内容".encode("utf-16-le") + b"\x00", "has a UTF-16 mark but is not valid", None),
    ("no_header.csv", "番号,内容,備考\n1,説明会を開催した。,\n".encode(), "no recognizable header row", None),
    ("no_year.tsv", "実施内容\t担当課\t実施状況\n1 いじめ防止対策\t指導室\t実施した。\n".encode(),
     "the header names no yearly column", 1),
    ("header_only.tsv", f"\n{HEADER}\n".encode(), "has a header but no measure rows", 2),
    ("huge_cell.tsv", f"{HEADER}\n{ROW}\t{'あ' * 100_001}\n".encode(), "has a cell of 100,001 characters", 2),
    ("unclosed_quote.csv", f'{HEADER}\n{ROW}\n{ROW.replace("年3回", chr(34) + "年3回")}\n{ROW}\n{ROW}\n'
     .replace("\t", ",").encode(), 'a quoted cell starting on this line is never closed (a closing " is missing)', 3),
    ("not_a_zip.xlsx", b"PK\x03\x04 this is not a workbook", "is not a readable .xlsx workbook", None),
    ("text.xlsx", "実施内容,担当課\n".encode(), "is not a readable .xlsx workbook", None),
    ("zip_of_text.xlsx", None, "is not a readable .xlsx workbook", None),
    ("broken_sheet.xlsx", workbook({"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c"}),
     "is not a readable .xlsx workbook", None),
    ("broken_book.xlsx", workbook({"xl/workbook.xml": b"garbage"}), "is not a readable .xlsx workbook", None),
    ("garbled_deflate.xlsx", repacked(workbook(), "xl/workbook.xml", _garbled_deflate),
     "is not a readable .xlsx workbook", None),
    ("unknown_compression.xlsx", repacked(workbook(), "xl/workbook.xml", _unknown_compression),
     "is not a readable .xlsx workbook (NotImplementedError: That compression method is not supported)", None),
    ("zeros.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "is not a readable .xls workbook (not an OLE2",
     None),
]


def _zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def error_of(call) -> PlansearchError:
    with pytest.raises(PlansearchError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize(("name", "data", "says", "line"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file(tmp_path, name, data, says, line):
    path = tmp_path / name
    path.write_bytes(_zip_of_text() if data is None else data)
    error = error_of(lambda: read_table(path))
    assert isinstance(error, TableError)
    assert (error.path, error.line) == (str(path), line)
    assert str(error).startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert says in str(error)
    assert str(error_of(lambda: read_paths([path]))) == str(error)
    assert str(error_of(lambda: read_paths([tmp_path]))) == str(error)


def test_a_workbook_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_XLSX_UNPACKED_BYTES", 1_000_000)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(workbook())
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/media/padding.bin", bytes(1_000_000), zipfile.ZIP_DEFLATED)
    with pytest.raises(TableError, match=r"bomb\.xlsx: unpacks to [0-9,]+ bytes; the limit is 1,000,000"):
        read_table(path)


STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/s.xml"])  # openpyxl finds it by content type
def test_a_workbook_with_too_many_shared_strings_is_refused(tmp_path, monkeypatch, part):
    monkeypatch.setattr(workbook_module, "MAX_XLSX_STRINGS_BYTES", 100_000)
    types = zipfile.ZipFile(io.BytesIO(workbook())).read("[Content_Types].xml").decode()
    types = types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{STRINGS_TYPE}"/></Types>')
    path = tmp_path / "strings.xlsx"
    path.write_bytes(workbook({"[Content_Types].xml": types.encode()}))
    strings = "".join(f"<si><t>自殺対策{i}</t></si>" for i in range(5_000))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr(part, f"<sst>{strings}</sst>", zipfile.ZIP_DEFLATED)
    with pytest.raises(TableError, match=r"strings\.xlsx: has [0-9,]+ bytes of shared strings; the limit is 100,000$"):
        read_table(path)


def test_a_workbook_with_an_enormous_styles_part_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_XLSX_PART_BYTES", 100_000)
    styles = zipfile.ZipFile(io.BytesIO(workbook())).read("xl/styles.xml").decode()
    styles = styles.replace("</cellXfs>", "<xf/>" * 30_000 + "</cellXfs>")
    path = tmp_path / "styles.xlsx"
    path.write_bytes(workbook({"xl/styles.xml": styles.encode()}))
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert str(caught.value) == (f"{path}: has a part 'xl/styles.xml' of {len(styles):,} bytes unpacked; the limit for "
                                 "a part that is not a worksheet is 100,000")


WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CHARTSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet"
PAD = "<!--" + "x" * 200_000 + "-->"


def rebuilt(replace: dict[str, str], add: list[tuple[str, str]] = ()) -> bytes:
    """``workbook()`` with parts replaced and added (written after the others, so they win a name clash)."""
    source = zipfile.ZipFile(io.BytesIO(workbook()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a duplicate name is the point of one case
        for info in source.infolist():
            z.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, text in add:
            z.writestr(name, text)
    return out.getvalue()


def _part(name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(workbook())).read(name).decode()


def _moved_workbook() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The workbook part moved to xl/worksheets/wb.xml and padded: read whole by openpyxl, wherever it is."""
    types = _part("[Content_Types].xml").replace('PartName="/xl/workbook.xml"', 'PartName="/xl/worksheets/wb.xml"')
    rels = _part("xl/_rels/workbook.xml.rels").replace('Target="styles.xml"', 'Target="/xl/styles.xml"') \
        .replace('Target="theme/theme1.xml"', 'Target="/xl/theme/theme1.xml"') \
        .replace('Target="worksheets/sheet1.xml"', 'Target="/xl/worksheets/sheet1.xml"')
    book = _part("xl/workbook.xml").replace("</workbook>", PAD + "</workbook>")
    return {"[Content_Types].xml": types}, [("xl/worksheets/wb.xml", book), ("xl/worksheets/_rels/wb.xml.rels", rels)]


def _sheet_rels_typed_as_a_worksheet() -> bytes:
    name = "xl/worksheets/_rels/sheet1.xml.rels"
    types = _part("[Content_Types].xml").replace(
        "</Types>", f'<Override PartName="/{name}" ContentType="{WORKSHEET_TYPE}"/></Types>')
    namespace = "http://schemas.openxmlformats.org/package/2006/relationships"
    rels = f'<?xml version="1.0"?><Relationships xmlns="{namespace}">{PAD}</Relationships>'
    return rebuilt({"[Content_Types].xml": types}, [("xl/worksheets/_rels/sheet1.xml.rels", rels)])


def _chartsheet_on_a_worksheet_part() -> bytes:
    types = _part("[Content_Types].xml").replace(
        "</Types>", f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{WORKSHEET_TYPE}"/></Types>')
    book = _part("xl/workbook.xml").replace("</sheets>", '<sheet name="C" sheetId="2" r:id="rId9"/></sheets>')
    rels = _part("xl/_rels/workbook.xml.rels").replace(
        "</Relationships>", f'<Relationship Type="{CHARTSHEET_REL}" Target="/xl/worksheets/sheet2.xml" Id="rId9"/>'
        "</Relationships>")
    sheet = f'<chartsheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{PAD}</chartsheet>'
    return rebuilt({"[Content_Types].xml": types, "xl/workbook.xml": book, "xl/_rels/workbook.xml.rels": rels},
                   [("xl/worksheets/sheet2.xml", sheet)])


def _duplicate_override() -> bytes:  # openpyxl takes the first Override of a part; a regex reading the last was fooled
    replace, add = _moved_workbook()
    replace["[Content_Types].xml"] = replace["[Content_Types].xml"].replace(
        "</Types>", f'<Override PartName="/xl/worksheets/wb.xml" ContentType="{WORKSHEET_TYPE}"/></Types>')
    return rebuilt(replace, add)


def _duplicate_content_types() -> bytes:  # two entries of one name: zipfile and openpyxl read the last
    replace, add = _moved_workbook()
    first = _part("[Content_Types].xml").replace(
        "</Types>", f'<Override PartName="/xl/worksheets/wb.xml" ContentType="{WORKSHEET_TYPE}"/></Types>')
    return rebuilt({"[Content_Types].xml": first}, [*add, ("[Content_Types].xml", replace["[Content_Types].xml"])])


@pytest.mark.parametrize(("make", "part"), [
    (_sheet_rels_typed_as_a_worksheet, "xl/worksheets/_rels/sheet1.xml.rels"),
    (_chartsheet_on_a_worksheet_part, "xl/worksheets/sheet2.xml"),
    (_duplicate_override, "xl/worksheets/wb.xml"),
    (_duplicate_content_types, "xl/worksheets/wb.xml"),
], ids=lambda v: getattr(v, "__name__", v))
def test_a_part_read_whole_cannot_pass_as_a_worksheet(tmp_path, monkeypatch, make, part):
    monkeypatch.setattr(workbook_module, "MAX_XLSX_PART_BYTES", 100_000)
    path = tmp_path / "crafted.xlsx"
    path.write_bytes(make())
    with pytest.raises(TableError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}: has a part {part!r} of ")


def test_a_big_picture_is_no_part_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_XLSX_PART_BYTES", 100_000)
    path = tmp_path / "picture.xlsx"
    path.write_bytes(workbook())
    with zipfile.ZipFile(path, "a") as z:  # openpyxl leaves pictures alone in read-only mode
        z.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n" + bytes(300_000), zipfile.ZIP_DEFLATED)
    assert len(read_table(path).measures) == 1


def test_a_big_worksheet_is_within_the_part_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook_module, "MAX_XLSX_PART_BYTES", 20_000)  # the sheet is streamed, not held whole
    book = openpyxl.Workbook()
    book.active.append(HEADER.split("\t"))
    for _ in range(300):
        book.active.append(ROW.split("\t"))
    path = tmp_path / "long.xlsx"
    book.save(path)
    assert zipfile.ZipFile(path).getinfo("xl/worksheets/sheet1.xml").file_size > 20_000
    assert len(read_table(path).measures) == 300


def test_missing_file(tmp_path):
    path = tmp_path / "koganei.tsv"
    assert str(error_of(lambda: read_table(path))) == f"{path}: cannot be read (No such file or directory)"
    assert str(error_of(lambda: read_paths([path]))) == f"{path}: cannot be read (No such file or directory)"


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "koganei.tsv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")

    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(sources, "_open_table", denied)
    assert str(error_of(lambda: read_table(path))) == f"{path}: cannot be read (Permission denied)"


@pytest.mark.parametrize("make", ["fifo", "zero", "urandom"])
def test_a_device_or_pipe_is_refused_without_reading_it(tmp_path, make):
    path = tmp_path / "koganei.tsv"
    if make == "fifo":
        os.mkfifo(path)  # opening it to read would wait for a writer forever
    else:
        path.symlink_to(f"/dev/{make}")  # reading it would never end
    says = f"{path}: is not a regular file (a device, pipe or socket); save the table as a file"
    assert str(error_of(lambda: read_table(path))) == says
    assert str(error_of(lambda: read_paths([path]))) == says
    # A folder scan only looks at regular files.
    assert str(error_of(lambda: read_paths([tmp_path]))).endswith(
        ": no table files (.tsv, .csv, .xlsx, .xls, .ods) in this folder")


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "koganei.tsv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", path.stat().st_size)
    real = sources._open_table

    class Growing(io.BytesIO):  # the file's size when opened, more bytes when read
        def fileno(self):
            return self.file.fileno()

        def close(self):
            self.file.close()
            super().close()

    def grown(p):
        handle = Growing(f"{HEADER}\n{ROW}\n{ROW}\n".encode())
        handle.file = real(p)
        return handle

    monkeypatch.setattr(sources, "_open_table", grown)
    assert str(error_of(lambda: read_table(path))) == (
        f"{path}: grew past the limit of {path.stat().st_size:,} bytes while being read")


def test_unreadable_folder(tmp_path, monkeypatch):
    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", denied)
    assert str(error_of(lambda: read_paths([tmp_path]))) == f"{tmp_path}: cannot be read (Permission denied)"


def test_a_folder_is_not_a_table(tmp_path):
    assert str(error_of(lambda: read_table(tmp_path))) == f"{tmp_path}: is a folder, not a table file"


def test_folder_without_tables(tmp_path):
    (tmp_path / "memo.md").write_text("表はまだありません", encoding="utf-8")
    error = error_of(lambda: read_paths([tmp_path]))
    assert str(error) == f"{tmp_path}: no table files (.tsv, .csv, .xlsx, .xls, .ods) in this folder"


def test_two_files_with_one_dataset_id_are_one_dataset(tmp_path, bundled_path):
    """Two copies of one report: one dataset of its 25 measures, both files its sources, nothing reported twice."""
    for name in ("koganei_r2.tsv", "koganei_r3.tsv"):
        (tmp_path / name).write_bytes(bundled_path.read_bytes())
    [ds] = read_paths([tmp_path])
    assert (ds.slug, len(ds.measures), len(ds.records())) == ("koganei", 25, 50)
    assert [t.file for t in ds.tables] == ["koganei_r2.tsv", "koganei_r3.tsv"]
    assert not [w for w in ds.warnings if "differs" in w.message or "new in" in w.message or "is not in" in w.message]


def test_one_dataset_id_across_two_paths(tmp_path, bundled_path):
    (tmp_path / "koganei.tsv").write_bytes(bundled_path.read_bytes())
    [ds] = read_paths([bundled_path, tmp_path / "koganei.tsv"])
    assert [t.path for t in ds.tables] == [str(tmp_path / "koganei.tsv"), str(bundled_path)]


def test_a_table_of_another_plan_under_one_id_is_refused(tmp_path, bundled_path):
    from test_cli_inspect import two_ids

    error = str(error_of(lambda: read_paths([two_ids(tmp_path, bundled_path)])))
    assert re.match(re.escape(f"{tmp_path / 'koganei_r3.tsv'}: matches only ") + r"[0-7] of 25 measures of the "
                    r"other reports of dataset 'koganei' \(koganei_r2.tsv\); if it is another plan, give it its own "
                    "dataset id", error)


def test_ids_from_config_tell_two_files_apart(tmp_path, bundled_path):
    for name in ("koganei_r2.tsv", "koganei_r3.tsv"):
        (tmp_path / name).write_bytes(bundled_path.read_bytes())
    (tmp_path / "plansearch.toml").write_text('[datasets.koganei2]\nfile = "koganei_r2.tsv"\n', encoding="utf-8")
    assert [ds.slug for ds in read_paths([tmp_path])] == ["koganei", "koganei2"]
    assert read_paths([tmp_path])[1].records()[0].measure.measure_id == "koganei2/1-1-1"


#: plansearch.toml → what the error says
BAD_CONFIGS = [
    ("[datasets.koganei\n", "not valid TOML"),
    ('[datasets.Koganei]\nfile = "k.tsv"\n', "dataset id 'Koganei' must be a lower-case slug"),
    ('[datasets.koganei]\nfile = "k.tsv"\ncolour = "red"\n', "[datasets.koganei] has unknown keys ['colour']"),
    ('[datasets.koganei]\nfile = "k.tsv"\nyear = "2021"\n', "year must be a whole number, not '2021'"),
    ('[datasets.koganei]\nfile = "k.tsv"\nencoding = 932\n', "[datasets.koganei] encoding must be a string, not 932"),
    ('[datasets.koganei]\nfile = "k.tsv"\npage_offset = true\n', "page_offset must be a whole number, not True"),
    ('[header_aliases]\nstatus = "取組の結果"\n', "[header_aliases] must map a role to a list of header names"),
    ('[header_aliases]\nstate = ["取組の結果"]\n', "[header_aliases] has unknown roles ['state']"),
]


@pytest.mark.parametrize(("toml", "says"), BAD_CONFIGS)
def test_bad_config(tmp_path, bundled_path, toml, says):
    (tmp_path / "k.tsv").write_bytes(bundled_path.read_bytes())
    (tmp_path / "plansearch.toml").write_text(toml, encoding="utf-8")
    error = str(error_of(lambda: read_paths([tmp_path])))
    assert error.startswith(f"{tmp_path / 'plansearch.toml'}: ")
    assert says in error


@pytest.mark.parametrize("name", [b"koganei\x9b.tsv", b"koganei\xe3\x81.tsv", b"koganei\x1b[2J.tsv"])
def test_a_file_name_that_is_not_utf8_text_is_refused(tmp_path, name):
    path = Path(os.fsdecode(bytes(tmp_path) + b"/" + name))
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    says = f"{path}: has a file name that is not UTF-8 text or holds control characters; rename the file"
    assert str(error_of(lambda: read_table(path))) == says
    assert str(error_of(lambda: read_paths([tmp_path]))) == says


#: full-width, ASCII, no-break and zero-width spaces; half-width kana; a macOS (NFD) name
ORDINARY_NAMES = ["令和3年度　評価表.tsv", "koganei 2021.tsv", "koganei\u00a0r3.tsv", "評価\u200b表.tsv", "ｶﾞｲﾄﾞ.tsv",
                  "カ\u3099イド.tsv"]


@pytest.mark.parametrize("name", ORDINARY_NAMES)
def test_ordinary_japanese_file_names_are_read(tmp_path, name):
    path = tmp_path / name
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    assert len(read_table(path).measures) == 1
    assert len(read_paths([tmp_path])[0].measures) == 1
