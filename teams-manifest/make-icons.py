#!/usr/bin/env python3
"""Draws the Teams app icons (color.png, outline.png) next to this script.

Teams wants a 192x192 full-colour icon and a 32x32 outline icon that is white on a
transparent background. The icons are committed, so building the product never needs
Python; run this again only when the artwork changes. Standard library only.
"""
import math
import os
import struct
import zlib

ACCENT = (0xC2, 0x3B, 0x22)  # same colour as accentColor in manifest.template.json
WHITE = (0xFF, 0xFF, 0xFF)
SUPERSAMPLE = 4  # samples per pixel side, for smooth edges


def mark_coverage(x, y, stroke):
    """1.0 where a point of the unit square [0,1]^2 is on the mark: a ring with an exclamation point."""
    cx, cy = x - 0.5, y - 0.5
    distance = math.hypot(cx, cy)
    if 0.40 - stroke <= distance <= 0.40:
        return 1.0
    if abs(cx) <= stroke / 2 and -0.22 <= cy <= 0.08:  # the bar of the exclamation point
        return 1.0
    if math.hypot(cx, cy - 0.19) <= stroke * 0.65:  # its dot
        return 1.0
    return 0.0


def coverage(size, px, py, stroke):
    hits = 0.0
    for sy in range(SUPERSAMPLE):
        for sx in range(SUPERSAMPLE):
            x = (px + (sx + 0.5) / SUPERSAMPLE) / size
            y = (py + (sy + 0.5) / SUPERSAMPLE) / size
            hits += mark_coverage(x, y, stroke)
    return hits / SUPERSAMPLE**2


def png(width, height, color_type, rows):
    """A PNG with 8-bit samples; color_type 2 = RGB (opaque), 6 = RGBA."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 on every row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def color_icon(size=192):
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            a = coverage(size, px, py, stroke=0.08)
            row += [round(ACCENT[i] * (1 - a) + WHITE[i] * a) for i in range(3)]
        rows.append(row)
    return png(size, size, 2, rows)


def outline_icon(size=32):
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            row += [*WHITE, round(255 * coverage(size, px, py, stroke=0.11))]
        rows.append(row)
    return png(size, size, 6, rows)


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "color.png"), "wb") as f:
        f.write(color_icon())
    with open(os.path.join(here, "outline.png"), "wb") as f:
        f.write(outline_icon())
