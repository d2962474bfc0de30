"""De-identifying endoscopy frames: blanking what lies outside the scope's field of view, and burnt-in text.

Framework-free: numpy and OpenCV in, numpy out. Images are uint8 (H, W, 3), BGR or RGB alike (channels are
treated the same); masks are bool (H, W), True where the pixel is in the field of view / is text.

Method
------
*Field of view.* The scope's image is a bright disc, rounded rectangle or octagon on a black border, and the
processor prints the patient's name, date and ID, the device and its settings on that border. Per pixel, the
brightest channel's maximum over several frames of the sequence (so that a dark lumen in one frame leaves no
hole) is median-smoothed and thresholded just above black; an opening cuts off thin bright structures (text,
lines) touching the image; the largest remaining region, filled by its convex hull (the image of a scope is
convex), is the field of view. Estimated once from a sample of frames, it is the same for the whole sequence.
When no region covers at least ``MIN_FIELD_SHARE`` of the frame (no border, or only dark frames sampled), the
whole frame counts as the field of view and only text is blanked.

*Text.* Overlay text is thin, light strokes (white, yellow, green...) of high contrast, laid out in lines. A white
top-hat of the brightest channel (structures thinner than the kernel, brighter than their surroundings by at
least ``min_contrast``) gives stroke pieces; pieces are merged horizontally into lines, and a line is kept when
it is text-shaped: a few to ~50 pixels high (scaled with the frame), wider than high, made of at least three
pieces. Its bounding box, with a margin, is blanked. Anything outside the field of view is blanked anyway; the
text detection matters for text printed over the tissue and text straddling the border.

What it cannot do: dark text on bright tissue, text in large thick letters, handwriting-like or very
low-contrast overlays, and anything identifying inside the tissue image itself are not detected.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

# Brightest-channel value at or below which a pixel counts as the black border.
BLACK_LEVEL = 25
# Below this share of the frame, a bright region is not taken for the scope's image.
MIN_FIELD_SHARE = 0.2


def field_of_view(images: Iterable[np.ndarray], *, black_level: int = BLACK_LEVEL) -> np.ndarray:
    """The scope's field of view over ``images`` (same size, uint8 (H, W, 3)): bool (H, W), True inside.

    The whole frame when no bright convex region covering ``MIN_FIELD_SHARE`` of it stands out.
    """
    peak: np.ndarray | None = None
    for image in images:
        brightness = image.max(axis=2) if image.ndim == 3 else image
        peak = brightness.copy() if peak is None else np.maximum(peak, brightness)
    if peak is None:
        raise ValueError("field_of_view needs at least one image")
    height, width = peak.shape
    bright = (cv2.medianBlur(peak, 5) > black_level).astype(np.uint8)
    size = max(3, round(min(height, width) * 0.03)) | 1
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bright, connectivity=8)
    if count < 2:
        return np.ones((height, width), bool)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < MIN_FIELD_SHARE * height * width:
        return np.ones((height, width), bool)
    points = cv2.findNonZero((labels == largest).astype(np.uint8))
    inside = np.zeros((height, width), np.uint8)
    cv2.fillConvexPoly(inside, cv2.convexHull(points), 1)
    return inside.astype(bool)


def burnt_in_text(image: np.ndarray, *, min_contrast: int = 60) -> np.ndarray:
    """Boxes of light overlay text in ``image`` (uint8 (H, W, 3)), with a margin: bool (H, W), True on text."""
    brightness = image.max(axis=2) if image.ndim == 3 else image
    height, width = brightness.shape
    scale = max(1.0, min(height, width) / 480)
    kernel = round(9 * scale) | 1
    tophat = cv2.morphologyEx(
        brightness, cv2.MORPH_TOPHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    )
    strokes = (tophat >= min_contrast).astype(np.uint8)
    text = np.zeros((height, width), bool)
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(strokes, connectivity=8)
    # Glyph-like pieces: a few pixels to ~50 (scaled) high, not much wider than high, partly filled. Specular
    # speckles are smaller, the bright network of mucosal pits is larger and irregular.
    heights, widths, areas = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_AREA]
    glyph = (
        (heights >= 5) & (heights <= 50 * scale) & (widths <= 3 * heights) & (areas >= 0.12 * heights * widths)
        & ((areas <= 0.85 * heights * widths) | (widths <= 0.35 * heights))  # an I or a 1 is a filled bar
    )
    glyph[0] = False
    if not glyph.any():
        return text
    glyphs = glyph[pieces].astype(np.uint8)
    # Letters of a word are closer than their height, and words of a line (or parts of a date) little more.
    gap = round(15 * scale) | 1
    lines = cv2.dilate(glyphs, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    count, labels = cv2.connectedComponents(lines, connectivity=8)
    members_of: list[list[int]] = [[] for _ in range(count)]
    on_glyph = glyphs > 0
    for piece, line in np.unique(np.stack([pieces[on_glyph], labels[on_glyph]]), axis=1).T:
        members_of[line].append(int(piece))
    for members in members_of[1:]:
        if len(members) < 3:
            continue
        typical = float(np.median(heights[members]))
        # Letters of a line are of one size; a speckle beside them is not one of them.
        letters = [m for m in members if 0.6 * typical <= heights[m] <= 1.6 * typical]
        if len(letters) < 3:
            continue
        left = int(stats[letters, cv2.CC_STAT_LEFT].min())
        top = int(stats[letters, cv2.CC_STAT_TOP].min())
        right = int((stats[letters, cv2.CC_STAT_LEFT] + widths[letters]).max())
        bottom = int((stats[letters, cv2.CC_STAT_TOP] + heights[letters]).max())
        # A line of text is horizontal (as high as its letters) and longer than high.
        if bottom - top > 1.6 * typical or right - left < 2 * (bottom - top):
            continue
        margin = max(2, round(0.3 * (bottom - top)))
        text[max(0, top - margin):bottom + margin, max(0, left - margin):right + margin] = True
    return text


def deidentify(image: np.ndarray, field: np.ndarray) -> np.ndarray:
    """A copy of ``image`` (uint8 (H, W, 3)) with everything outside ``field`` (bool (H, W)) and every burnt-in
    text box set to black."""
    if field.shape != image.shape[:2]:
        raise ValueError(f"field of view {field.shape} does not match the image {image.shape[:2]}")
    blanked = image.copy()
    blanked[~field | burnt_in_text(image)] = 0
    return blanked
