"""The defanging of chart text skips a pattern when the text lacks the character the pattern
needs (hooks.cards.markdown._defang): the result must be exactly what every pattern applied
unconditionally gives, for any text."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hooks.cards import markdown


def _defang_every_pattern(text: str) -> str:
    text = markdown._SCHEME.sub(r"\1[:]", text)
    text = markdown._WWW.sub(r"\1[.]", text)
    text = markdown._AT.sub("[@]", text)
    return markdown._HOST.sub(r"\1[.]", text)


CASES = [
    "https://evil.example.com/x",
    "see www.example.org",
    "mail me@example.com",
    "report.pdf at lab.de",
    "72 mm",
    "Observation/a1b2-obs3",
    "2025-04-12",
    "WWW.EXAMPLE.COM",
    "javascript:alert(1)",
    "a@b",
    "x.y",
    "",
]


def test_the_guards_change_nothing_on_known_cases() -> None:
    for text in CASES:
        assert markdown._defang(text) == _defang_every_pattern(text), text
    assert markdown._defang("https://evil.example.com/x") != "https://evil.example.com/x"


@settings(max_examples=2000)
@given(st.text(alphabet=st.sampled_from("abcw.:/@ -xyzcomorgde1"), max_size=40))
def test_the_guards_change_nothing_on_any_text(text: str) -> None:
    assert markdown._defang(text) == _defang_every_pattern(text)
