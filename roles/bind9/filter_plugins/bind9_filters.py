"""Filters of the bind9 role: zone-file text for record data."""

from __future__ import annotations

# Longest <character-string> in a TXT record (RFC 1035 3.3: one length octet).
TXT_CHUNK = 255


def _escape_byte(byte: int) -> str:
    # Quotes and backslashes are escaped; anything that is not printable ASCII becomes \DDD so a value can
    # never break out of its string or its line.
    if byte in (0x22, 0x5C):
        return "\\" + chr(byte)
    if 0x20 <= byte < 0x7F:
        return chr(byte)
    return f"\\{byte:03d}"


def bind9_txt_rdata(value: object, chunk: int = TXT_CHUNK) -> str:
    """Raw TXT text -> quoted zone-file strings of at most `chunk` bytes each (UTF-8)."""
    data = str(value).encode("utf-8")
    if not data:
        return '""'
    pieces = (data[i : i + chunk] for i in range(0, len(data), chunk))
    return " ".join('"' + "".join(_escape_byte(b) for b in piece) + '"' for piece in pieces)


class FilterModule:
    """bind9 role filters."""

    def filters(self) -> dict[str, object]:
        return {"bind9_txt_rdata": bind9_txt_rdata}
