"""Java .properties text, the format of Allure's environment.properties, written and read back.

Written with every non-ASCII character as a \\uXXXX escape: Allure 2 reads the file as
ISO-8859-1 and Allure 3 as UTF-8, and only escapes mean the same to both.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["dump_properties", "parse_properties"]

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\f": "\\f"}
_KEY_SPECIALS = " =:#!"


def _escape(text: str, *, key: bool) -> str:
    out: list[str] = []
    for i, char in enumerate(text):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif (key and char in _KEY_SPECIALS) or (not key and i == 0 and char == " "):
            out.append("\\" + char)  # a reader would end the key there, or drop a value's leading space
        elif " " <= char <= "~":
            out.append(char)
        else:
            data = char.encode("utf-16-be")  # characters above U+FFFF become a surrogate pair
            out.extend(f"\\u{int.from_bytes(data[j : j + 2], 'big'):04x}" for j in range(0, len(data), 2))
    return "".join(out)


def dump_properties(values: Mapping[str, str]) -> str:
    return "".join(f"{_escape(k, key=True)}={_escape(v, key=False)}\n" for k, v in values.items())


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 == len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        digits = text[i + 2 : i + 6]
        if nxt == "u" and len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append({"n": "\n", "r": "\r", "t": "\t", "f": "\f"}.get(nxt, nxt))
        i += 2
    # Surrogate pairs written as two escapes come back as one character.
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def parse_properties(text: str) -> dict[str, str]:
    """Enough of the format to read what dump_properties and Allure users write (no line
    continuations)."""
    result: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.lstrip()
        if not line or line[0] in "#!":
            continue
        i = 0
        while i < len(line) and line[i] not in "=: \t":
            i += 2 if line[i] == "\\" else 1
        key = line[:i]
        rest = line[i:].lstrip(" \t")
        if rest[:1] in ("=", ":"):
            rest = rest[1:].lstrip(" \t")
        result[_unescape(key)] = _unescape(rest)
    return result
