"""Draw the Teams app icons (manifest/teams/color.png 192x192 and outline.png 32x32) with no image library.

    python scripts/make_teams_icons.py

A speech bubble: white on the SLT blue for the colour icon; white outline on transparent for the outline icon
(Teams requires the outline icon to be white and transparent).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "manifest" / "teams"
BLUE = (29, 79, 122, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def png(width: int, height: int, pixel: object) -> bytes:
    """Encode an RGBA image; `pixel(x, y)` returns (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))  # type: ignore[operator]

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def in_bubble(x: float, y: float) -> bool:
    """A rounded speech bubble with a tail, in a unit square."""
    inside_body = 0.18 <= x <= 0.82 and 0.22 <= y <= 0.66
    corner = min(abs(x - 0.18), abs(x - 0.82)) < 0.08 and min(abs(y - 0.22), abs(y - 0.66)) < 0.08
    if inside_body and corner:
        cx = 0.26 if x < 0.5 else 0.74
        cy = 0.30 if y < 0.44 else 0.58
        inside_body = (x - cx) ** 2 + (y - cy) ** 2 <= 0.08**2 or (0.26 <= x <= 0.74 or 0.30 <= y <= 0.58)
    tail = 0.30 <= x <= 0.46 and 0.66 <= y <= 0.82 and (y - 0.66) <= (0.46 - x) * 1.0
    return inside_body or tail


def main() -> None:
    """Write both icons."""
    OUT.mkdir(parents=True, exist_ok=True)
    size = 192
    (OUT / "color.png").write_bytes(png(size, size, lambda x, y: WHITE if in_bubble(x / size, y / size) else BLUE))
    small = 32

    def outline(x: int, y: int) -> tuple[int, int, int, int]:
        here = in_bubble(x / small, y / small)
        edge = any(not in_bubble((x + dx) / small, (y + dy) / small) for dx in (-1, 1) for dy in (-1, 1))
        return WHITE if here and edge else CLEAR

    (OUT / "outline.png").write_bytes(png(small, small, outline))
    print(f"wrote {OUT / 'color.png'} and {OUT / 'outline.png'}")


if __name__ == "__main__":
    main()
