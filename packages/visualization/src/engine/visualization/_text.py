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

import re
from functools import lru_cache
from typing import NamedTuple, Optional

import numpy as np
from matplotlib import cbook, rcParams
from matplotlib.backends.backend_agg import get_hinting_flag
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.ft2font import FaceFlags, Kerning

# Characters that may need shaping: scripts beyond Latin/Greek/Cyrillic
# (ligatures, reordering) and combining marks.
_NEEDS_SHAPING = re.compile("[^\u0000-\u02ff\u0370-\u0482\u048a-\u052f]")


class _Glyph(NamedTuple):
    index: int
    advance: float  # pixels
    image: np.ndarray  # uint8 coverage, (h, w)
    left: int  # image left column relative to the pen, pixels
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


def _glyph(prop: FontProperties, dpi: float, char: str, font_key: object) -> Optional[_Glyph]:
    key = (font_key, dpi, char)
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
    return _NEEDS_SHAPING.search(text) is None


def _glyph_run(run: str, prop: FontProperties, dpi: float, font_key: object):
    """Pen positions of the glyphs of ``run``, its ink box (x0, y0, x1, y1; y up) and advance."""
    font = _font_for(prop)
    font.set_size(prop.get_size_in_points(), dpi)
    kerning = bool(font.face_flags & FaceFlags.KERNING)
    placed = []
    pen = 0.0
    prev = None
    ink = None
    for char in run:
        glyph = _glyph(prop, dpi, char, font_key)
        if glyph is None:
            return None
        if kerning and prev is not None:
            pen += font.get_kerning(prev, glyph.index, Kerning.DEFAULT) / 64
        placed.append((pen, glyph))
        if glyph.ink is not None:
            x0, y0, x1, y1 = glyph.ink
            box = (pen + x0, y0, pen + x1, y1)
            ink = box if ink is None else _union(ink, box)
        pen += glyph.advance
        prev = glyph.index
    return placed, ink, pen


def _union(a: tuple, b: tuple) -> tuple:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


class _Word(NamedTuple):
    mask: np.ndarray  # uint8 coverage
    left: int  # mask position relative to the pen at the word start (x) ...
    top: int  # ... and to the baseline (rows, y down)
    advance: float
    ink: Optional[tuple]  # (x0, y0, x1, y1), y up, relative to the pen


_word_cache: dict = {}


def _word(word: str, prop: FontProperties, dpi: float, font_key: object) -> Optional[_Word]:
    """A space-free run rendered once: labels like 'person 0.87' then reuse 'person'."""
    key = (font_key, dpi, word)
    cached = _word_cache.get(key)
    if cached is not None:
        return cached
    measured = _glyph_run(word, prop, dpi, font_key)
    if measured is None:
        return None
    placed, ink, advance = measured
    pieces = []
    for pen, glyph in placed:
        img = glyph.image
        if img.size and glyph.ink is not None:
            bottom = int(round(glyph.bottom))
            pieces.append((int(round(pen)) + glyph.left, bottom - img.shape[0], img))
    result = _Word(*_compose(pieces), advance, ink)
    if len(_word_cache) > 20000:
        _word_cache.clear()
    _word_cache[key] = result
    return result


def _compose(pieces: list) -> tuple:
    """Union of coverage images placed at (left, top): (mask, left, top)."""
    if not pieces:
        return np.zeros((0, 0), dtype=np.uint8), 0, 0
    left = min(p[0] for p in pieces)
    top = min(p[1] for p in pieces)
    right = max(p[0] + p[2].shape[1] for p in pieces)
    bottom = max(p[1] + p[2].shape[0] for p in pieces)
    if len(pieces) == 1:
        return pieces[0][2], left, top
    mask = np.zeros((bottom - top, right - left), dtype=np.uint8)
    for x, y, img in pieces:
        region = mask[y - top : y - top + img.shape[0], x - left : x - left + img.shape[1]]
        np.maximum(region, img, out=region)
    return mask, left, top


def _line(line: str, prop: FontProperties, dpi: float, font_key: object):
    """Words of one line with their pen positions, and its ink (w, h, d) as matplotlib has it."""
    space = _glyph(prop, dpi, " ", font_key)
    if space is None:
        return None
    placed = []
    pen = 0.0
    ink = None
    for i, part in enumerate(line.split(" ")):
        if i:
            pen += space.advance
        if not part:
            continue
        word = _word(part, prop, dpi, font_key)
        if word is None:
            return None
        placed.append((pen, word))
        if word.ink is not None:
            x0, y0, x1, y1 = word.ink
            box = (pen + x0, y0, pen + x1, y1)
            ink = box if ink is None else _union(ink, box)
        pen += word.advance
    if ink is None:
        return placed, (0.0, 0.0, 0.0)
    # matplotlib's FreeType bbox always includes the baseline (y=0).
    ymin, ymax = min(ink[1], 0.0), max(ink[3], 0.0)
    return placed, (ink[2] - ink[0], ymax - ymin, -ymin)


_layout_cache: dict = {}


def layout_text(
    text: str,
    prop: FontProperties,
    dpi: float,
    valign: str = "top",
    halign: str = "left",
    font_key: object = None,
) -> Optional[TextLayout]:
    """Lay out and rasterise ``text``; None when it needs matplotlib's full text engine.

    ``font_key`` is a cheap hashable stand-in for ``prop`` in the caches
    (hashing a FontProperties costs more than drawing a cached label).
    """
    if font_key is None:
        font_key = prop
    key = (text, font_key, dpi, valign, halign)
    cached = _layout_cache.get(key)
    if cached is not None:
        return cached
    if not _is_simple(text):
        return None
    min_ascent, min_descent, line_gap = _font_metrics(prop, dpi)
    lines = text.split("\n")
    if len(lines) == 1:
        line_gap = 0.0
    rows = []  # (placed words, width, baseline y (y up))
    this_y = 0.0
    descent = 0.0
    for line in lines:
        measured = _line(line, prop, dpi, font_key)
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
    pieces = []  # word masks in image coordinates (y down) relative to the anchor
    for placed, w, base_y in rows:
        line_x = {"left": 0.0, "right": width - w, "center": (width - w) / 2}[halign]
        x0 = line_x - offset_x
        baseline_row = int(round(offset_y - base_y))
        for pen, word in placed:
            if word.mask.size:
                pieces.append((int(round(x0 + pen)) + word.left, baseline_row + word.top,
                               word.mask))
    mask, left, top = _compose(pieces)
    box = (-offset_x, offset_y, width - offset_x, offset_y - ymin)
    result = TextLayout(np.ascontiguousarray(mask), left, top, box)
    if len(_layout_cache) > 4096:
        _layout_cache.clear()
    _layout_cache[key] = result
    return result


def blend_mask(
    canvas: np.ndarray, mask: np.ndarray, left: int, top: int, rgb: tuple, alpha: float
) -> None:
    """Blend a solid colour through a uint8 coverage mask into ``canvas`` (H, W, >=3 uint8)."""
    if mask.size == 0 or alpha <= 0:
        return
    mask_h, mask_w = mask.shape[:2]
    height, width = canvas.shape[:2]
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + mask_w, width), min(top + mask_h, height)
    if x0 >= x1 or y0 >= y1:
        return
    cover = mask[y0 - top : y1 - top, x0 - left : x1 - left]
    weight = cover.astype(np.float32)[..., None] * np.float32(alpha / 255.0)
    region = canvas[y0:y1, x0:x1, :3]
    color = np.asarray(rgb, dtype=np.float32) * 255.0
    blended = region + (color - region) * weight
    region[...] = np.rint(blended)
