"""Vietnamese text for search and sorting.

- fold(): lowercase without diacritics ("Nguyễn Văn Đức" -> "nguyen van duc"), so a search typed
  without accents finds the name.
- sort_key(): orders names the way Vietnamese lists do: by the given name (the last word), then the
  family and middle names; letters in the Vietnamese alphabet order (a ă â b c d đ e ê … ơ … ư …),
  tones only breaking ties (ngang, huyền, hỏi, ngã, sắc, nặng).
"""

from __future__ import annotations

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: index for index, letter in enumerate(ALPHABET)}
# Combining marks of the five tones, in the conventional order after "ngang" (no mark).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a different letter (ă â ê ô ơ ư), not a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def fold(text: str) -> str:
    text = (text or "").replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def _letters_and_tones(word: str) -> tuple[str, str]:
    primary, tones = [], []
    for char in word.lower():
        decomposed = unicodedata.normalize("NFD", char)
        base = decomposed[0]
        marks = decomposed[1:]
        tone = 0
        letter_marks = ""
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            elif mark in _LETTER_MARKS:
                letter_marks += mark
        letter = unicodedata.normalize("NFC", base + letter_marks)
        rank = _LETTER_RANK.get(letter)
        # Letters outside the alphabet (digits, other scripts) sort after it, by code point.
        primary.append(f"{rank:02d}" if rank is not None else f"9{ord(letter):07d}")
        tones.append(str(tone))
    return "".join(primary), "".join(tones)


def sort_key(full_name: str) -> str:
    words = (full_name or "").split()
    if not words:
        return ""
    ordered = [words[-1], *words[:-1]]
    # Word by word: letters first, then tones; " " and "!" rank below every digit, so a shorter
    # word sorts before its longer extensions ("An" < "Anh").
    return " ".join(f"{primary}!{tones}" for primary, tones in map(_letters_and_tones, ordered))
