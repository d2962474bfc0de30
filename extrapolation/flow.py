"""Dense optical flow between endoscopy frames, and the checks that say where it can be trusted.

Framework-free (numpy + OpenCV). Conventions:

- Frames are uint8 RGB arrays (H, W, 3); masks are bool (H, W); probabilities float32 (H, W) in [0, 1].
- A *backward* flow from ``target`` to ``source`` is float32 (H, W, 2) holding (dx, dy) per pixel of the
  target: pixel (x, y) of the target shows what the source shows at (x + dx, y + dy). Warping a source
  mask into the target is then a plain lookup (``cv2.remap``) with no holes, which is why propagation
  warps with backward flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# A pixel is "dark" (possibly outside the scope's circular/octagonal field of view) below this value of
# its brightest channel; only dark regions touching the image border count as outside the view, so a
# dark lumen in the middle of the image stays inside.
DARK_BORDER_LEVEL = 20
# Specular highlights: nearly white (HSV value high, saturation low). They move with the light source,
# which sits on the scope, not with the tissue, so they pull flow towards zero if left in.
SPECULAR_VALUE = 230
SPECULAR_SATURATION = 60


@dataclass(frozen=True)
class PreparedFrame:
    """A frame with what the flow needs, computed once per frame.

    ``rgb``: uint8 (H, W, 3) as loaded. ``flow_image``: uint8 (H, W) grey image given to the flow, in which
    the dark border outside the field of view is flattened to the view's mean grey: the border is static
    in every frame, and its sharp edge would otherwise pull the flow near it towards zero.
    ``fov``: bool (H, W), inside the scope's field of view (the object can only be there).
    ``valid``: bool (H, W), not a specular highlight: where colours can be compared between frames.

    Speculars are not filled in for the flow: inpainting them was measured to make the flow worse on
    real colonoscopy (they carry texture the tissue lacks); the forward–backward check and the colour
    evidence, which ignores them, keep them from misleading the propagation.
    """

    rgb: np.ndarray
    flow_image: np.ndarray
    fov: np.ndarray
    valid: np.ndarray


def field_of_view(rgb: np.ndarray) -> np.ndarray:
    """bool (H, W): pixels inside the scope's field of view (not in the dark frame around it)."""
    dark = (rgb.max(axis=2) < DARK_BORDER_LEVEL).astype(np.uint8)
    count, labels = cv2.connectedComponents(dark, connectivity=4)
    if count <= 1:
        return np.ones(dark.shape, bool)
    edge = np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    outside = np.isin(labels, np.unique(edge[edge > 0]))
    # The view's edge is blurred by the optics: a few pixels of margin keep the border's gradient out.
    outside = cv2.dilate(outside.astype(np.uint8), _disk(2)).astype(bool)
    return ~outside


def specular_highlights(rgb: np.ndarray) -> np.ndarray:
    """bool (H, W): specular reflections (near-white spots), slightly dilated to cover their halo."""
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    spots = (hsv[..., 2] >= SPECULAR_VALUE) & (hsv[..., 1] <= SPECULAR_SATURATION)
    return cv2.dilate(spots.astype(np.uint8), _disk(2)).astype(bool)


def prepare_frame(rgb: np.ndarray) -> PreparedFrame:
    """Compute the field of view, the speculars and the flow's grey image of a uint8 RGB frame."""
    rgb = np.ascontiguousarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 RGB frame (H, W, 3), got {rgb.dtype} {rgb.shape}")
    fov = field_of_view(rgb)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if not fov.all() and fov.any():
        grey = np.where(fov, grey, np.uint8(grey[fov].mean())).astype(np.uint8)
    return PreparedFrame(rgb, grey, fov, ~specular_highlights(rgb))


class FlowEstimator:
    """OpenCV's DIS optical flow (medium preset), one instance per caller thread.

    DIS keeps internal buffers, so an estimator must not be used by two threads at once.
    ``scale``: the flow is computed on frames resized by this factor and scaled back. DIS's cost follows
    the pixel count, and endoscopic frames are smooth: on the dev set, half resolution keeps J at 0.366
    (0.374 at full) and propagates about twice as fast (12.5 against 7.4 frames/s on 2 cores), while the
    fast preset at full resolution loses far more (J 0.304). Frames whose short side would fall under
    ``MIN_FLOW_SIDE`` pixels keep their full resolution.
    """

    MIN_FLOW_SIDE = 96

    def __init__(self, preset: int = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM, scale: float = 0.5) -> None:
        self._dis = cv2.DISOpticalFlow_create(preset)
        self.scale = scale

    def backward(self, target: PreparedFrame, source: PreparedFrame) -> np.ndarray:
        """float32 (H, W, 2): for each target pixel, the offset to where it is in ``source``."""
        h, w = target.flow_image.shape[:2]
        if self.scale >= 1 or min(h, w) * self.scale < self.MIN_FLOW_SIDE:
            return self._dis.calc(target.flow_image, source.flow_image, None)
        small = [
            cv2.resize(image, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
            for image in (target.flow_image, source.flow_image)
        ]
        flow = self._dis.calc(small[0], small[1], None)
        return cv2.resize(flow, (w, h), interpolation=cv2.INTER_LINEAR) / self.scale


def warp(values: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample ``values`` (H, W) or (H, W, C), float32 or uint8, at x + flow(x), bilinear; 0 outside."""
    h, w = flow.shape[:2]
    grid_x, grid_y = _grid(h, w)
    return cv2.remap(
        values,
        grid_x + flow[..., 0],
        grid_y + flow[..., 1],
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )


def forward_backward_consistent(backward: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """bool (H, W) on the target: following ``backward`` then ``forward`` comes back to the same pixel.

    ``backward`` goes target → source, ``forward`` source → target. The tolerance grows with the motion
    (Sundaram et al., ECCV 2010): |b + f(x+b)|² < 0.01 (|b|² + |f(x+b)|²) + 0.5. Fails at occlusions, at
    pixels leaving the view and wherever either flow is wrong.
    """
    forward_at = warp(forward, backward)
    loop = backward + forward_at
    error = (loop**2).sum(axis=2)
    scale = (backward**2).sum(axis=2) + (forward_at**2).sum(axis=2)
    return error < 0.01 * scale + 0.5


_GRIDS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    if (h, w) not in _GRIDS:
        xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
        _GRIDS[(h, w)] = (xs, ys)
    return _GRIDS[(h, w)]


def _disk(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
