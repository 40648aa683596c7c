"""Properties of plate and name normalisation."""

import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal import normalize

PLATE_CHARACTERS = string.ascii_letters + string.digits
plates = st.text(alphabet=PLATE_CHARACTERS, min_size=2, max_size=15)
separators = st.text(alphabet=" -", max_size=3)


@given(plates, st.data())
def test_spaces_hyphens_and_case_do_not_change_a_plate(plate: str, data: st.DataObject) -> None:
    written = "".join(char + data.draw(separators) for char in plate)
    assert normalize.plate(written) == plate.upper()


@given(st.text(max_size=30))
def test_a_plate_is_normalised_once_or_refused(raw: str) -> None:
    try:
        normalised = normalize.plate(raw)
    except ValueError:
        return
    assert normalize.PLATE_PATTERN.fullmatch(normalised)
    assert normalize.plate(normalised) == normalised


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=8))
def test_a_letter_outside_ascii_never_becomes_an_ascii_letter(letters: str) -> None:
    # NFKC may fold compatibility forms (fullwidth Ａ) into ASCII; anything else is refused, never mapped.
    compatible = unicodedata.normalize("NFKC", letters)
    if all(char.isascii() for char in compatible):
        return
    with pytest.raises(ValueError, match="A-Z"):
        normalize.plate(letters + "12")


@pytest.mark.parametrize("look_alike", ["\u0410", "\u0412", "\u0415", "\u039a", "\u0131"])
def test_look_alike_letters_are_refused(look_alike: str) -> None:
    with pytest.raises(ValueError, match="A-Z"):
        normalize.plate(f"W{look_alike}1234")


@given(st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Mn", "Zs")), max_size=40))
def test_a_name_is_nfc_and_idempotent_or_refused(raw: str) -> None:
    try:
        name = normalize.latin_name(raw)
    except ValueError:
        return
    assert unicodedata.is_normalized("NFC", name)
    assert name == name.strip()
    assert normalize.latin_name(name) == name


@given(st.text(min_size=1, max_size=20), st.sampled_from(["\x00", "\u202e", "\u200b", "\u2066", "\x1b"]))
def test_control_and_invisible_characters_are_refused_anywhere(text: str, bad: str) -> None:
    with pytest.raises(ValueError):
        normalize.text(text[:5] + bad + text[5:])


def test_country_codes() -> None:
    assert normalize.country("DE") == "DE"
    assert normalize.country("XK") == "XK"
    for refused in ("EL", "UK", "EU", "de", "ZZ"):
        with pytest.raises(ValueError):
            normalize.country(refused)
    with pytest.raises(ValueError, match="GR"):
        normalize.posting_country("EL")
    assert normalize.registration_country("IS") == "IS"
    with pytest.raises(ValueError):
        normalize.posting_country("IS")
