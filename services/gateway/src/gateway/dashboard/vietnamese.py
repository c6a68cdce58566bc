"""Vietnamese text rules the dashboard needs and no locked library provides.

**Collation.** Babel formats but does not collate, and PyICU is not allowed here (a C
extension on top of ICU). `sort_key` implements the Vietnamese dictionary order (TCVN 5712
/ the order of Vietnamese dictionaries and school registers):

- letters: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y; the letters with a
  breve, circumflex or horn and đ are letters of their own, after their base letter;
- tones break ties only after the letters: none, huyền (grave), hỏi (hook), ngã (tilde),
  sắc (acute), nặng (dot below);
- names are compared by the given name (the last word) first, then the whole name from the
  family name on: that is how a club's register is ordered ("Nguyễn Văn An" before
  "Bùi Thị Thu").

**Validation messages.** The API's field errors are pydantic's English templates (the
gateway validates the command before any service sees it). `validation_message` recognises
each template and says it in Vietnamese with the same numbers; an unknown message gets a
generic Vietnamese sentence rather than English on a Vietnamese page.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

# Combining marks that make a letter of its own (ă â ê ô ơ ư) vs tone marks.
_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_LETTER_MARKS = {
    ("a", _BREVE): "ă",
    ("a", _CIRCUMFLEX): "â",
    ("e", _CIRCUMFLEX): "ê",
    ("o", _CIRCUMFLEX): "ô",
    ("o", _HORN): "ơ",
    ("u", _HORN): "ư",
}
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}


def _letters_and_tones(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", word.casefold()):
        if ch in _TONES:
            if tones:
                tones[-1] = _TONES[ch]
            continue
        if ch in (_BREVE, _CIRCUMFLEX, _HORN):
            if letters and letters[-1] < len(_ALPHABET):
                made = _LETTER_MARKS.get((_ALPHABET[letters[-1]], ch))
                if made is not None:
                    letters[-1] = _RANK[made]
            continue
        if ch in _RANK:
            letters.append(_RANK[ch])
        elif ch.isalnum():
            # Letters outside the alphabet (f, j, w, z, digits) after y, by code point.
            letters.append(len(_ALPHABET) + ord(ch))
        else:
            continue
        tones.append(0)
    return tuple(letters), tuple(tones)


def word_key(text: str) -> tuple[Any, ...]:
    words = text.split()
    letters = tuple(_letters_and_tones(w)[0] for w in words)
    tones = tuple(_letters_and_tones(w)[1] for w in words)
    return (letters, tones, text)


def sort_key(full_name: str) -> tuple[Any, ...]:
    """The key that puts Vietnamese names in register order (given name first)."""
    words = full_name.split()
    given = words[-1] if words else ""
    return (word_key(given), word_key(full_name))


T = TypeVar("T")


def by_name(rows: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(rows, key=lambda row: sort_key(name(row)))


def pick_labels(
    people: Sequence[dict[str, Any]], id_key: str, t_village: str
) -> list[tuple[str, str]]:
    """(id, label) in register order; a name shared by several people is told apart by birth
    year and hamlet ("Bùi Thị Thu · 1952 · Thôn Đông"), so a picker never offers three
    identical lines."""
    counts: dict[str, int] = {}
    for p in people:
        counts[p["full_name"]] = counts.get(p["full_name"], 0) + 1
    options: list[tuple[str, str]] = []
    for p in by_name(people, lambda r: str(r["full_name"])):
        label = str(p["full_name"])
        if counts[label] > 1:
            extra = [str(p["birth_year"])] if p.get("birth_year") else []
            if p.get("village"):
                extra.append(f"{t_village} {p['village']}")
            if not extra:
                extra.append(str(p[id_key])[-4:])
            label = " · ".join([label, *extra])
        options.append((str(p[id_key]), label))
    return options


# -- validation messages ----------------------------------------------------------------

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _vi_date(text: str) -> str:
    try:
        return date.fromisoformat(text[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return text


_VI_RULES: tuple[_Rule, ...] = tuple(
    (re.compile(pattern), say)
    for pattern, say in (
        (r"^Field required$", lambda m: "Vui lòng điền mục này."),
        (
            r"^String should have at least (\d+) characters?$",
            lambda m: f"Cần ít nhất {m[1]} ký tự." if m[1] != "1" else "Vui lòng điền mục này.",
        ),
        (r"^String should have at most (\d+) characters?$", lambda m: f"Tối đa {m[1]} ký tự."),
        (r"^String should match pattern", lambda m: "Không đúng định dạng."),
        (r"^Input should be greater than or equal to (\S+)$", lambda m: f"Phải từ {m[1]} trở lên."),
        (r"^Input should be greater than (\S+)$", lambda m: f"Phải lớn hơn {m[1]}."),
        (r"^Input should be less than or equal to (\S+)$", lambda m: f"Không được quá {m[1]}."),
        (r"^Input should be less than (\S+)$", lambda m: f"Phải nhỏ hơn {m[1]}."),
        (r"^Input should be a valid integer", lambda m: "Vui lòng nhập số nguyên."),
        (r"^Input should be a valid number", lambda m: "Vui lòng nhập một số."),
        (r"^Input should be a valid date", lambda m: "Vui lòng nhập ngày hợp lệ (ngày/tháng/năm)."),
        (r"^Input should be a valid datetime", lambda m: "Vui lòng nhập thời điểm hợp lệ."),
        (r"^Input should be a valid UUID", lambda m: "Vui lòng chọn trong danh sách."),
        (r"^Input should be a valid boolean", lambda m: "Vui lòng chọn có hoặc không."),
        (r"^Input should be a valid (string|list|dictionary)", lambda m: "Giá trị không hợp lệ."),
        # The choices are codes (English words): the picker already lists them in Vietnamese.
        (r"^Input should be (.+)$", lambda m: "Vui lòng chọn một giá trị trong danh sách."),
        (
            r"^List should have at least (\d+) items?",
            lambda m: f"Cần chọn ít nhất {m[1]} mục.",
        ),
        (r"^List should have at most (\d+) items?", lambda m: f"Chọn tối đa {m[1]} mục."),
        (r"^Extra inputs are not permitted$", lambda m: "Mục này không được phép."),
        (r"^must be on or after (\S+)$", lambda m: f"Phải từ ngày {_vi_date(m[1])} trở đi."),
        (r"^must be on or before (\S+)$", lambda m: f"Không được sau ngày {_vi_date(m[1])}."),
        (r"^must be at or after (\S+)$", lambda m: f"Phải từ {_vi_date(m[1])} trở đi."),
        (r"^must be at or before (\S+)$", lambda m: f"Không được sau {_vi_date(m[1])}."),
        (r"^\w+ \S+ is in the future$", lambda m: "Ngày này chưa tới."),
        (r"is before the club was founded", lambda m: "Trước ngày thành lập CLB."),
        (r"^joined_on is before birth_date$", lambda m: "Ngày vào CLB trước ngày sinh."),
        (r"is before", lambda m: "Ngày không hợp lệ so với ngày bắt đầu."),
        (r"^no such thing|^no \w+ ", lambda m: "Không tìm thấy, hoặc nằm ngoài phạm vi của bạn."),
        (r"exists$", lambda m: "Đã có từ trước."),
        (r"^Value error, (.*)$", lambda m: "Giá trị không hợp lệ."),
        (r"^not UTF-8", lambda m: "Không đọc được nội dung gửi lên."),
    )
)

GENERIC_VI = "Giá trị không hợp lệ."


def validation_message(message: str, lang: str) -> str:
    """A field error in the page's language: English as the API gave it, Vietnamese by its
    template (the numbers kept), or a generic Vietnamese sentence."""
    if lang != "vi":
        return message
    for pattern, say in _VI_RULES:
        found = pattern.search(message.strip())
        if found:
            return say(found)
    return GENERIC_VI
