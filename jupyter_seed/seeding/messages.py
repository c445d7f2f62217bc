"""One-line descriptions of errors and of user input, for every report we print.

A report, a log line or a comm reply must stay one line and short whatever the
text it quotes: an exception message with newlines, a 1 MB field, a 5,000-digit
seed. Every module formats errors and echoes input through these two helpers.
"""

from __future__ import annotations

ERROR_LIMIT = 300
"""Longest error description, in characters."""

ECHO_LIMIT = 40
"""Longest echo of a person's input, in characters."""

ELLIPSIS = "…"


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


def one_line(text: str, limit: int = ERROR_LIMIT) -> str:
    """``text`` with its whitespace (newlines included) collapsed, cut to ``limit`` characters."""
    return _cap(_collapse(text), limit)


def describe_error(error: BaseException, limit: int = ERROR_LIMIT) -> str:
    """``"Type: first line of the message"``, whitespace collapsed, at most ``limit`` characters.

    A message whose ``__str__`` fails (hostile third-party code) is described by
    its type alone rather than raising while we report.
    """
    name = type(error).__name__
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the original error
        message = ""
    lines = [line for line in message.splitlines() if line.strip()]
    first = _collapse(lines[0]) if lines else ""
    if len(lines) > 1:
        first += " " + ELLIPSIS
    return _cap(f"{name}: {first}" if first else name, limit)


def short_text(text: str, limit: int = ECHO_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was when cut.

    For echoing what a person typed: ``short_text("9" * 5000)`` is
    ``"9999…(5000 characters)"`` rather than the whole input.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{ELLIPSIS}({len(text)} characters)"


def short_int(value: int, limit: int = ECHO_LIMIT) -> str:
    """An integer written out, or its leading digits when it is long.

    Avoids ``str()`` on huge integers, which Python refuses past 4,300 digits.
    """
    if value.bit_length() <= 4 * limit:  # 4 bits per digit bounds the digit count from above
        return short_text(str(value), limit)
    sign = "-" if value < 0 else ""
    digits = int((abs(value).bit_length() - 1) * 0.30103) + 1
    return f"{sign}an integer of about {digits} digits"
