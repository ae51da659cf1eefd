"""A grouped bar chart as PNG with numpy and zlib only (no plotting library in the service).

Text is drawn with a built-in 5x7 pixel font (upper case, digits and a few signs).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np

_GLYPHS = {
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .###.",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.",
    "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
    ".": "..... ..... ..... ..... ..... .##.. .##..",
    "@": ".###. #...# #.### #.#.# #.### #.... .###.",
    "-": "..... ..... ..... ##### ..... ..... .....",
    ":": "..... .##.. .##.. ..... .##.. .##.. .....",
    "_": "..... ..... ..... ..... ..... ..... #####",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.",
    ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "/": "..... ....# ...#. ..#.. .#... #.... .....",
    "%": "##..# ##..# ...#. ..#.. .#... #..## #..##",
    "=": "..... ..... ##### ..... ##### ..... .....",
    "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    " ": "..... ..... ..... ..... ..... ..... .....",
}
_FONT = {
    char: np.array([[c == "#" for c in row] for row in rows.split()], dtype=bool)
    for char, rows in _GLYPHS.items()
}
PALETTE = ((31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75))
WHITE, BLACK, GREY = (255, 255, 255), (0, 0, 0), (215, 215, 215)


def bar_chart_png(
    path: Path, title: str, values: Mapping[str, Mapping[str, float]], top: float = 1.0
) -> Path:
    """Bars of values[series][group] grouped by group (metric), one colour per series."""
    series = list(values)
    groups = list(next(iter(values.values()))) if values else []
    width, height = 1000, 560
    left, right, top_margin, bottom = 70, 20, 80, 60
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    _text(image, title, left, 16, 2)
    plot_h = height - top_margin - bottom
    plot_w = width - left - right
    for i in range(6):
        y = top_margin + plot_h - int(plot_h * i / 5)
        image[y, left : width - right] = GREY
        _text(image, f"{top * i / 5:.1f}", 20, y - 7, 2)
    group_w = plot_w / max(len(groups), 1)
    bar_w = int(group_w * 0.8 / max(len(series), 1))
    for g, group in enumerate(groups):
        x0 = left + int(g * group_w + group_w * 0.1)
        _text(image, group, x0, height - bottom + 14, 2)
        for s, name in enumerate(series):
            value = float(values[name].get(group, 0.0))
            bar_h = int(plot_h * min(max(value, 0.0), top) / top) if np.isfinite(value) else 0
            x = x0 + s * bar_w
            y = top_margin + plot_h - bar_h
            image[y : top_margin + plot_h, x : x + bar_w - 3] = PALETTE[s % len(PALETTE)]
            _text(image, f"{value:.2f}" if np.isfinite(value) else "NA", x, y - 12, 1)
    image[top_margin + plot_h, left : width - right] = BLACK
    for s, name in enumerate(series):
        x = left + s * 220
        image[48:60, x : x + 12] = PALETTE[s % len(PALETTE)]
        _text(image, name, x + 18, 47, 2)
    path.write_bytes(_png(image))
    return path


def _text(image: np.ndarray, text: str, x: int, y: int, size: int) -> None:
    for char in text.upper():
        glyph = _FONT.get(char, _FONT[" "])
        block = np.kron(glyph, np.ones((size, size), dtype=bool))
        h, w = block.shape
        region = image[y : y + h, x : x + w]
        if region.shape[:2] == block.shape:
            region[block] = BLACK
        x += w + size


def _png(image: np.ndarray) -> bytes:
    height, width, _ = image.shape
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), image.reshape(height, -1)], 1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
        + chunk(b"IEND", b"")
    )
