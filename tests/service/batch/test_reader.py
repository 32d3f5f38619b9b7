"""Reading real-world CSV files: encodings, dialects, quoting, and rows that cannot be read."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pytest

from service.batch.reader import SAMPLE_BYTES, Table, TableError, detect_encoding, is_free_text
from tests.service.batch.conftest import WriteFile


def open_file(path: Path, **options: str) -> Table:
    return Table(path.open("rb"), name=path.name, total_bytes=path.stat().st_size, **options)


def test_semicolon_with_bom_as_dutch_excel_saves_it(write: WriteFile) -> None:
    path = write(
        "export.csv",
        codecs.BOM_UTF8
        + "Nr;Bewering;Bron\r\n1;Duizend militairen gaan naar Roemenië;NOS\r\n"
        '2;"Rutte: ""geen troepen""; wel steun";NRC\r\n'.encode(),
    )
    table = open_file(path)
    assert (table.delimiter, table.encoding.label, table.encoding.bom) == (";", "utf-8", True)
    assert table.header == ("Nr", "Bewering", "Bron")  # no BOM glued to the first name
    rows = list(table.rows())
    assert [r.values for r in rows] == [
        ("1", "Duizend militairen gaan naar Roemenië", "NOS"),
        ("2", 'Rutte: "geen troepen"; wel steun', "NRC"),
    ]
    assert all(r.problem is None for r in rows)


def test_cp1252_with_accented_dutch_names_is_detected(write: WriteFile) -> None:
    text = (
        "claim;land;persoon\r\n"
        "Zelenskyj bezocht België in februari;België;Zelenskyj\r\n"
        "De NAVO stuurt €2 miljoen naar Roemenië, zei Stoltenberg;Roemenië;Stoltenberg\r\n"
        "„Geen commentaar”, zei de woordvoerder van café De Zwaan;Nederland;Zoë Naïf\r\n"
    )
    table = open_file(write("legacy.csv", text.encode("cp1252")))
    assert table.encoding.label == "cp1252" and table.encoding.detected and not table.encoding.bom
    assert table.delimiter == ";"
    rows = list(table.rows())
    assert [r.values[2] for r in rows] == ["Zelenskyj", "Stoltenberg", "Zoë Naïf"]
    assert rows[1].values[0] == "De NAVO stuurt €2 miljoen naar Roemenië, zei Stoltenberg"
    assert rows[2].values[0].startswith("„Geen commentaar”")
    assert all(r.problem is None for r in rows)


def test_multi_line_quoted_cells_are_one_row(write: WriteFile) -> None:
    path = write(
        "multiline.csv",
        'id,claim,notes\r\n1,"Duizend militairen\r\ngaan naar Roemenië,\r\nzei het Pentagon",x\r\n'
        '2,"second\nwith LF only",y\r\n3,plain,z\r\n',
    )
    rows = list(open_file(path).rows())
    assert [r.number for r in rows] == [1, 2, 3]
    assert [r.line for r in rows] == [2, 5, 7]  # the line each row starts on, header on line 1
    assert rows[0].values[1] == "Duizend militairen\r\ngaan naar Roemenië,\r\nzei het Pentagon"
    assert rows[1].values[1] == "second\nwith LF only"


def test_tab_separated_utf16_as_excel_unicode_text_saves_it(write: WriteFile) -> None:
    text = "id\tclaim\r\n1\tDuizend militairen, zegt Zelenskyj, naar België\r\n"
    table = open_file(write("unicode.txt", text.encode("utf-16")))
    assert (table.delimiter, table.encoding.label) == ("\t", "utf-16")
    assert [r.values for r in table.rows()] == [("1", "Duizend militairen, zegt Zelenskyj, naar België")]


def test_a_stray_byte_spoils_its_row_only(write: WriteFile) -> None:
    content = "id,claim\n1,Duizend militairen naar Roemenië\n".encode() + b"2,Caf\xe9 claim\n3,fine again\n"
    table = open_file(write("stray.csv", content))
    assert table.encoding.label == "utf-8"  # the real UTF-8 letters outweigh the stray byte
    rows = list(table.rows())
    assert [r.number for r in rows] == [1, 2, 3]
    assert rows[0].problem is None and rows[2].problem is None
    assert rows[1].problem is not None and rows[1].problem.kind == "undecodable bytes"
    assert "'claim'" in str(rows[1].problem) and "0xE9" in str(rows[1].problem)
    assert rows[1].values == ("2", "Caf\ufffd claim")  # shown as U+FFFD, never as a lone surrogate


def test_legacy_bytes_after_an_ascii_sample_are_row_errors_with_a_hint(write: WriteFile) -> None:
    filler = "".join(f"{i},plain ascii claim number {i}\n" for i in range(4000))
    assert len(filler) > SAMPLE_BYTES
    content = ("id,claim\n" + filler).encode() + "9999,Zelenskyj in België\n".encode("cp1252")
    table = open_file(write("late.csv", content))
    assert table.encoding.label == "utf-8"
    last = list(table.rows())[-1]
    assert last.problem is not None and "--encoding" in str(last.problem)
    # the user's override reads the same file right
    again = open_file(write("late.csv", content), encoding="cp1252")
    assert list(again.rows())[-1].values == ("9999", "Zelenskyj in België") and not again.encoding.detected


def test_a_multibyte_character_cut_by_the_sample_is_not_an_error(write: WriteFile) -> None:
    prefix = "id,claim\n1,"
    pad = "x" * (SAMPLE_BYTES - len(prefix) - 1)  # "ë" (2 bytes) straddles the sample's end
    path = write("cut.csv", f"{prefix}{pad}ë\n2,België\n")
    table = open_file(path)
    assert table.encoding.label == "utf-8"
    rows = list(table.rows())
    assert [r.problem for r in rows] == [None, None] and rows[1].values == ("2", "België")


def test_ragged_rows(write: WriteFile) -> None:
    path = write("ragged.csv", "a,claim,c\n1,short row\n2,trailing empties,x,,\n3,one too many,x,oops\n")
    rows = list(open_file(path).rows())
    assert rows[0].values == ("1", "short row", "") and rows[0].problem is None
    assert rows[1].values == ("2", "trailing empties", "x") and rows[1].problem is None
    assert rows[2].values == ("3", "one too many", "x")
    assert rows[2].problem is not None and rows[2].problem.kind == "malformed row"
    assert "oops" in str(rows[2].problem)  # the extra cell is reported, not lost


def test_blank_lines_are_skipped_and_counted(write: WriteFile) -> None:
    table = open_file(write("blank.csv", "\n\nclaim\n\nfirst claim here\n\n\nsecond claim here\n\n"))
    assert table.header == ("claim",)
    assert [(r.number, r.values) for r in table.rows()] == [(1, ("first claim here",)), (2, ("second claim here",))]
    assert table.blank_lines == 4  # after the header; lines before it are not rows either


def test_rows_stream_without_reading_the_whole_file() -> None:
    class Endless(io.RawIOBase):
        """A CSV that never ends: reading it all would never return."""

        def __init__(self) -> None:
            self.buffer = b"id,claim\n"
            self.n = 0

        def readable(self) -> bool:
            return True

        def readinto(self, target: memoryview) -> int:  # type: ignore[override]
            while len(self.buffer) < len(target):
                self.n += 1
                self.buffer += f'{self.n},"claim number {self.n},\nover two lines"\n'.encode()
            size = len(target)
            target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
            return size

    table = Table(io.BufferedReader(Endless()), name="endless")
    rows: Iterator[object] = islice(table.rows(), 20_000)
    assert sum(1 for _ in rows) == 20_000
    assert table.bytes_read < 2 * 20_000 * 40  # read about as far as the rows taken, not more


def test_unreadable_files(write: WriteFile) -> None:
    with pytest.raises(TableError, match="empty"):
        open_file(write("empty.csv", ""))
    with pytest.raises(TableError, match="empty"):
        open_file(write("blank.csv", "\n\n  \n"))
    with pytest.raises(TableError, match=r"header .* not valid"):
        open_file(write("header.csv", b"id,Bew\xe9ring\n" + "1,Duizend militairen naar Roemenië\n".encode()))
    with pytest.raises(TableError, match="unknown encoding"):
        open_file(write("ok.csv", "claim\nx\n"), encoding="klingon")
    with pytest.raises(TableError, match="one character"):
        open_file(write("ok.csv", "claim\nx\n"), delimiter=";;")


def test_delimiter_override(write: WriteFile) -> None:
    table = open_file(write("pipes.csv", "claim|x\na, b; c|1\n"), delimiter="|")
    assert [r.values for r in table.rows()] == [("a, b; c", "1")]
    assert open_file(write("tabs.csv", "claim\tx\na\t1\n"), delimiter="tab").delimiter == "\t"


@pytest.mark.parametrize(
    ("text", "codec", "expected"),
    [
        ("claim\nZelenskyj bezocht België\n", "cp1252", "cp1252"),
        ("x\nBiała Podlaska, Łódź; Gdańsk; zażółć gęślą jaźń\n", "cp1250", "cp1250"),
        ("x\nМосква и Киев, это правда, сказал он\n", "cp1251", "cp1251"),
        ("claim\nplain ascii\n", "ascii", "utf-8"),
    ],
)
def test_detect_encoding(text: str, codec: str, expected: str) -> None:
    assert detect_encoding(text.encode(codec)).label == expected


def test_is_free_text() -> None:
    assert is_free_text("1,000 troops moved to Romania")
    assert is_free_text("Duizend militairen naar Roemenië")
    assert not is_free_text("2022-02-03")
    assert not is_free_text("Jan Jansen")
    assert not is_free_text("https://nos.nl/artikel/2414391-vs-sturen-militairen-naar-oost-europa")
    assert not is_free_text("12.500")


def test_progress_follows_the_rows_handed_out_not_the_read_ahead(write: WriteFile) -> None:
    lines = "".join(f"{i};Zelenskyj sprak in België met {i} militairen\r\n" for i in range(1000))
    path = write("progress.csv", "id;claim\r\n" + lines)
    table = open_file(path)
    total = path.stat().st_size
    rows = table.rows()
    list(islice(rows, 500))
    assert 0.45 * total < table.bytes_parsed < 0.55 * total  # half the rows are half the file...
    assert table.bytes_read > table.bytes_parsed + 4096  # ...however far the reading has run ahead
    list(rows)
    assert table.bytes_parsed == total


NAMES = {  # accented names as newsrooms in Dutch, French and German write them, in a claim and a name column
    "nl": "claim;bron\nDuizend militairen gaan naar Roemenië, zegt Daniël Coëme;Noël Geërts\n",
    "fr": 'claim,auteur\n"Le président a rencontré François à Orléans",Hélène Crémieux-Lefèvre\n',
    "de": "claim;autor\nDie Bundeswehr schickt 1.000 Soldaten nach Rumänien;Jürgen Müßig-Äßler\n",
}


@pytest.mark.parametrize("language", sorted(NAMES))
@pytest.mark.parametrize(
    ("codec", "expected"), [("cp1252", "cp1252"), ("latin-1", "cp1252"), ("mac_roman", "mac-roman")]
)
def test_the_code_pages_spreadsheets_write_are_read_right(language: str, codec: str, expected: str) -> None:
    """Windows Excel writes cp1252 (latin-1 is the same letters), Excel for Mac mac-roman: each read back exactly,
    where charset-normalizer alone chose cp1250, hp-roman8 or mac-greek for such samples."""
    text = NAMES[language]
    encoding = detect_encoding(text.encode(codec))
    assert (encoding.label, encoding.doubt) == (expected, None)
    assert text.encode(codec).decode(encoding.codec) == text


def test_the_issue_s_cp1252_file_reads_as_cp1252(write: WriteFile) -> None:
    """`printf 'claim;bron\\n"Duizend militairen gaan naar Roemeni\\xeb";krant\\n'` was read as hp-roman8: RoemeniŠ."""
    table = Table(write("x.csv", b'claim;bron\n"Duizend militairen gaan naar Roemeni\xeb";krant\n').open("rb"))
    assert table.encoding.label == "cp1252" and table.encoding.doubt is None
    assert next(table.rows()).values == ("Duizend militairen gaan naar Roemenië", "krant")


def test_a_single_accented_name_is_not_taken_for_an_exotic_code_page() -> None:
    assert detect_encoding("claim\nRoemenië\n".encode("cp1252")).label == "cp1252"  # was cp1006 (Urdu)


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("claim;autor\nLech Wałęsa spotkał się z prezydentem w Gdańsku;Łukasz Żółć\n", "cp1250"),
        ("claim;автор\nРоссия перебросила войска к границе с Украиной;Иван Петров\n", "cp1251"),
        ("claim\nΗ Ελλάδα στέλνει στρατιώτες στη Ρουμανία\n", "cp1253"),
    ],
)
def test_other_code_pages_when_no_western_one_reads_right(text: str, codec: str) -> None:
    encoding = detect_encoding(text.encode(codec))
    assert text.encode(codec).decode(encoding.codec) == text


def test_when_unsure_it_says_so_and_names_encoding() -> None:
    """cp1252's euro sign and curly quotes read as plausible letters in mac-roman: a guess, said to be one."""
    encoding = detect_encoding("claim;bedrag\nHet kost 5 €;“citaat”\n".encode("cp1252"))
    assert encoding.label == "cp1252"
    assert encoding.doubt and "mac-roman" in encoding.doubt and "--encoding" in encoding.doubt
    junk = detect_encoding(bytes(range(128, 256)) * 3)
    assert junk.doubt and "--encoding" in junk.doubt


def test_a_cell_over_the_limit_keeps_its_row_s_id_and_other_cells() -> None:
    """A 50 MB cell made the row 'malformed' with every cell blank: the id column was lost with it."""
    from service.batch.reader import MAX_CELL_CHARS

    big = "x" * (MAX_CELL_CHARS + 10)
    data = f"id,claim,note\nr1,first claim,a\nr2,{big},b\nr3,third claim,c\n".encode()
    rows = list(Table(io.BytesIO(data)).rows())
    assert [r.values[0] for r in rows] == ["r1", "r2", "r3"]
    assert rows[1].values == ("r2", big, "b") and rows[1].line == 3
    assert rows[1].problem is not None and rows[1].problem.kind == "cell too large"
    assert "column 'claim'" in rows[1].problem.detail
    assert rows[0].problem is None and rows[2].problem is None
