"""The fast paths of the text guards give exactly what the direct computation gives, for any
text: Markdown escaping by one ``str.replace`` per special character (hooks.cards.markdown
``escape``) against ``str.translate``; the ASCII shortcut of ``plain`` and ``visible``; the
pre-scan of ``visible_utf8``; the case-insensitive guards of ``_defang`` (``www.`` in any case,
a "." before any letter ``(?i)[a-z]`` matches, including U+0130, U+0131, U+017F and U+212A);
and the memo of PDQ tables cited by a trace source (hooks.cards.stage)."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from cds.assess import assess
from cds.model import SiteGroup, TumorInputs
from hooks.cards import markdown, stage
from hooks.fhir import text as fhir_text
from hooks.fhir.model import Source

SPECIAL = "\\`*_{}[]()<>#+-.!|~&"
BIDI = "".join(sorted(fhir_text.BIDI_CONTROLS))
ALPHABET = st.sampled_from(
    f"abcwW.:/@ -xyzcomorgdeinfokKsS1{SPECIAL}\n\t\u0130\u0131\u017f\u212a\u00e9\u2026{BIDI}"
)
TEXT = st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=30)


def _defang_every_pattern(text: str) -> str:
    text = markdown._SCHEME.sub(r"\1[:]", text)
    text = markdown._WWW.sub(r"\1[.]", text)
    text = markdown._AT.sub("[@]", text)
    return markdown._HOST.sub(r"\1[.]", text)


def _visible_utf8_every_control(data: bytes) -> bytes:
    for control in sorted(fhir_text.BIDI_CONTROLS):
        data = data.replace(control.encode(), b"")
    return data


@settings(max_examples=3000)
@given(TEXT)
def test_fast_guards_give_the_direct_results(text: str) -> None:
    assert markdown.escape(text) == text.translate(markdown._MD_ESCAPES)
    assert markdown.plain(text) == " ".join(text.translate(markdown._NO_BIDI).split())
    assert markdown._defang(text) == _defang_every_pattern(text)
    assert fhir_text.visible(text) == text.translate(fhir_text._DROP)
    data = text.encode("utf-8", "surrogatepass")
    assert fhir_text.visible_utf8(data) == _visible_utf8_every_control(data)


def test_the_guards_see_the_case_folded_letters() -> None:
    for text in ["WwW.x", "a.\u0130b", "a.\u0131b", "a.\u017fb", "a.\u212ab", "x.İt", "HTTP://x"]:
        assert markdown._defang(text) == _defang_every_pattern(text), text
    assert markdown._defang("mail.\u212aZ") != "mail.\u212aZ"
    assert fhir_text.visible_utf8("a\u202eb\u2026".encode()) == "ab\u2026".encode()


def test_the_table_memo_is_the_direct_reading() -> None:
    a = assess(
        TumorInputs(
            site=SiteGroup.TRUNK_EXTREMITY, size_cm=Decimal("7.0"), histology="8890/3", mitoses=12
        )
    )
    sources = {step.source for step in (*a.grade.trace, *a.trace)}
    sources |= {"PDQ Tables 4, 5 and 6", "PDQ Table 9; PDQ Tables 1 and 2", "no table"}
    for source in sources:
        direct = [
            int(n)
            for match in stage._PDQ_TABLES.finditer(source)
            for n in re.findall(r"\d+", match.group(1))
        ]
        assert list(stage._tables_cited(source)) == direct, source
    assert stage._tables_cited("PDQ Tables 4, 5 and 6") == (4, 5, 6)


SOURCES = st.builds(
    Source,
    reference=st.sampled_from(["Observation/a-1", "Condition/b_2", "Observation/x.y"]),
    date=st.none() | st.sampled_from(["", "2025-04-28", "2025-04-28T10:00:00Z", "2025"]),
    status=st.none() | st.sampled_from(["final", "preliminary", "amended", "entered*"]),
    text=st.none() | st.just("8 cm"),
    accepted=st.none() | st.sampled_from(["suggestion", "convention"]),
)


@given(SOURCES)
def test_one_source_is_named_as_the_general_path_names_it(source: Source) -> None:
    assert stage._where(source) == stage._where(source, None)  # (source, None) takes the loop


BYTE_PIECES = st.sampled_from(
    [c.encode() for c in BIDI]
    + [b"\xe2", b"\x80", b"\x81", b"\xd8", b"\x9c", b"\xae", b"a"]
    + ["\u2026\u2019\u00e9".encode()]
)


@settings(max_examples=2000)
@given(st.lists(BYTE_PIECES, max_size=12).map(b"".join))
def test_the_utf8_pre_scans_change_nothing_even_on_invalid_utf8(data: bytes) -> None:
    assert fhir_text.visible_utf8(data) == _visible_utf8_every_control(data)
