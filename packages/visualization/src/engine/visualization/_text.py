"""Fast text rasterisation onto a numpy RGB(A) array.

Matplotlib's Text artist shapes and renders every string glyph by glyph through
FreeType on each draw (about 0.3-1 ms per label), which dominates the cost of
labelled detection images. Here each glyph is rendered once per font and size
with matplotlib's own FreeType wrapper and cached; a string is laid out with the
fonts' hinted advances and kerning, following the rules of matplotlib's Text
layout (line metrics from the font tables, alignment of the whole text box), and
blended into the image with one numpy operation. Strings that need shaping or
font fallback (math text, complex scripts, glyphs missing from the font) return
None so that the caller can draw them with a real Text artist instead.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple, Optional

import numpy as np
from matplotlib import cbook, rcParams
from matplotlib.backends.backend_agg import get_hinting_flag
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import Kerning

# Scripts beyond Latin/Greek/Cyrillic may need shaping (ligatures, reordering).
_SIMPLE_MAX_CODEPOINT = 0x052F


class _Glyph(NamedTuple):
    index: int
    advance: float  # pixels
    image: np.ndarray  # uint8 coverage, (h, w)
    left: float  # image left edge relative to the pen, pixels
    bottom: float  # image bottom edge (exclusive) below the baseline, pixels, y down
    ink: tuple  # (xmin, ymin, xmax, ymax) relative to the pen, y up, pixels


class TextLayout(NamedTuple):
    """A rasterised text block: coverage mask placed relative to the anchor point."""

    mask: np.ndarray  # uint8 coverage (h, w)
    left: int  # mask's left column relative to the anchor x
    top: int  # mask's top row relative to the anchor y (image rows, y down)
    box: tuple  # text box (x0, y0, x1, y1) relative to the anchor, y down, float


def _font_for(prop: FontProperties):
    return get_font(findfont(prop))


@lru_cache(maxsize=64)
def _font_metrics(prop: FontProperties, dpi: float) -> tuple:
    """(min_ascent, min_descent, line_gap) in pixels, as matplotlib's Text uses them."""
    font = _font_for(prop)
    size = prop.get_size_in_points()
    head = font.get_sfnt_table("head")
    for table_name, gap_key, asc_key, desc_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None or head is None:
            continue
        scale = size * dpi / 72 / head["unitsPerEm"]
        return table[asc_key] * scale, -table[desc_key] * scale, table[gap_key] * scale
    font.set_size(size, dpi)
    font.set_text("lp", 0.0, flags=get_hinting_flag())
    _, h = font.get_width_height()
    d = font.get_descent()
    return (h - d) / 64, d / 64, 0.0


_glyph_cache: dict = {}


def _glyph(prop: FontProperties, dpi: float, char: str) -> Optional[_Glyph]:
    key = (prop, dpi, char)
    glyph = _glyph_cache.get(key)
    if glyph is None:
        if len(_glyph_cache) > 20000:
            _glyph_cache.clear()
        font = _font_for(prop)
        index = font.get_char_index(ord(char))
        if index == 0 and not char.isspace():
            return None
        font.set_size(prop.get_size_in_points(), dpi)
        flags = get_hinting_flag()
        loaded = font.load_char(ord(char), flags=flags)
        font.set_text(char, 0.0, flags=flags)
        w, h = font.get_width_height()
        descent = font.get_descent()
        xo, _ = font.get_bitmap_offset()
        font.draw_glyphs_to_bitmap(antialiased=rcParams["text.antialiased"])
        image = np.array(font.get_image(), dtype=np.uint8)
        ink = (xo / 64, -descent / 64, (xo + w) / 64, (h - descent) / 64) if w and h else None
        # The bitmap starts at the pixel column holding the ink box left edge.
        glyph = _Glyph(index, loaded.horiAdvance / 64, image, xo // 64, descent / 64 + 1, ink)
        _glyph_cache[key] = glyph
    return glyph


def _is_simple(text: str) -> bool:
    if rcParams["text.usetex"] or cbook.is_math_text(text):
        return False
    for char in text:
        if ord(char) > _SIMPLE_MAX_CODEPOINT or unicodedata.combining(char):
            return False
    return True


def _line_glyphs(line: str, prop: FontProperties, dpi: float):
    """Pen positions and glyphs of one line, plus its ink (w, h, d) as matplotlib measures it."""
    font = _font_for(prop)
    placed = []
    pen = 0.0
    prev = None
    xmin = ymin = float("inf")
    xmax = ymax = float("-inf")
    for char in line:
        glyph = _glyph(prop, dpi, char)
        if glyph is None:
            return None
        if prev is not None:
            font.set_size(prop.get_size_in_points(), dpi)
            pen += font.get_kerning(prev, glyph.index, Kerning.DEFAULT) / 64
        placed.append((pen, glyph))
        if glyph.ink is not None:
            x0, y0, x1, y1 = glyph.ink
            xmin, ymin = min(xmin, pen + x0), min(ymin, y0)
            xmax, ymax = max(xmax, pen + x1), max(ymax, y1)
        pen += glyph.advance
        prev = glyph.index
    if xmin == float("inf"):
        return placed, (0.0, 0.0, 0.0)
    # matplotlib's FreeType bbox always includes the baseline (y=0).
    ymin, ymax = min(ymin, 0.0), max(ymax, 0.0)
    return placed, (xmax - xmin, ymax - ymin, -ymin)


_layout_cache: dict = {}


def layout_text(
    text: str, prop: FontProperties, dpi: float, valign: str = "top", halign: str = "left"
) -> Optional[TextLayout]:
    """Lay out and rasterise ``text``; None when it needs matplotlib's full text engine."""
    key = (text, prop, dpi, valign, halign)
    cached = _layout_cache.get(key)
    if cached is not None:
        return cached
    if not _is_simple(text):
        return None
    min_ascent, min_descent, line_gap = _font_metrics(prop, dpi)
    lines = text.split("\n")
    if len(lines) == 1:
        line_gap = 0.0
    rows = []  # (placed glyphs, width, baseline y (y up))
    this_y = 0.0
    descent = 0.0
    for line in lines:
        measured = _line_glyphs(line, prop, dpi)
        if measured is None:
            return None
        placed, (w, h, d) = measured
        ascent = max(h - d, min_ascent) + line_gap / 2
        descent = max(d, min_descent) + line_gap / 2
        this_y -= ascent
        rows.append((placed, w, this_y))
        this_y -= descent
    width = max(w for _, w, _ in rows)
    ymin = rows[-1][2] - descent
    offset_x = {"left": 0.0, "right": width, "center": width / 2}[halign]
    offset_y = {
        "bottom": ymin,
        "top": 0.0,
        "center": ymin / 2,
        "baseline": ymin + descent,
        "center_baseline": ymin + descent / 2,
    }[valign]
    # Pixel positions of every glyph image, in image coordinates (y down).
    pieces = []
    for placed, w, base_y in rows:
        line_x = {"left": 0.0, "right": width - w, "center": (width - w) / 2}[halign]
        x0 = line_x - offset_x
        y0 = -(base_y - offset_y)  # baseline row, y down
        for pen, glyph in placed:
            img = glyph.image
            if img.size == 0 or glyph.ink is None:
                continue
            left = int(round(x0 + pen + glyph.left))
            bottom = int(round(y0 + glyph.bottom))
            pieces.append((left, bottom - img.shape[0], img))
    box = (-offset_x, offset_y, width - offset_x, offset_y - ymin)
    if pieces:
        left = min(p[0] for p in pieces)
        top = min(p[1] for p in pieces)
        right = max(p[0] + p[2].shape[1] for p in pieces)
        bottom = max(p[1] + p[2].shape[0] for p in pieces)
        mask = np.zeros((bottom - top, right - left), dtype=np.uint8)
        for x, y, img in pieces:
            region = mask[y - top : y - top + img.shape[0], x - left : x - left + img.shape[1]]
            np.maximum(region, img, out=region)
    else:
        left = top = 0
        mask = np.zeros((0, 0), dtype=np.uint8)
    result = TextLayout(mask, left, top, box)
    if len(_layout_cache) > 4096:
        _layout_cache.clear()
    _layout_cache[key] = result
    return result


def blend_mask(
    canvas: np.ndarray, mask: np.ndarray, left: int, top: int, rgb: tuple, alpha: float
) -> None:
    """Blend a solid colour through a coverage mask into ``canvas`` (H, W, >=3 uint8), in place."""
    if mask.size == 0 or alpha <= 0:
        return
    height, width = canvas.shape[:2]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + mask.shape[1], width), min(top + mask.shape[0], height)
    if x0 >= x1 or y0 >= y1:
        return
    cover = mask[y0 - top : y1 - top, x0 - left : x1 - left]
    weight = cover.astype(np.float32)[..., None] * np.float32(alpha / 255.0)
    region = canvas[y0:y1, x0:x1, :3]
    color = np.asarray(rgb, dtype=np.float32) * 255.0
    blended = region + (color - region) * weight
    region[...] = np.rint(blended)
