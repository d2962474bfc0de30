// Images the page draws: frames and mask PNGs loaded once (a bounded cache), and masks turned into tinted
// overlays, kept per mask id for the masks around the frame shown.
import { state } from "./state.js";

const IMAGE_CACHE = 64;
const OVERLAY_CACHE = 96;

export function hexToRgb(hex) {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

export function loadImage(url) {
  if (!state.imageCache.has(url)) {
    state.imageCache.set(url, new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = () => reject(new Error(`cannot load ${url}`));
      image.src = url;
    }));
    if (state.imageCache.size > IMAGE_CACHE) state.imageCache.delete(state.imageCache.keys().next().value);
  }
  return state.imageCache.get(url);
}

// A binary mask PNG turned into a translucent overlay of one colour, with its outline opaque.
export async function tintedOverlay(url, color) {
  const image = await loadImage(url);
  const layer = document.createElement("canvas");
  layer.width = image.naturalWidth;
  layer.height = image.naturalHeight;
  const lctx = layer.getContext("2d", { willReadFrequently: true });
  lctx.drawImage(image, 0, 0);
  const pixels = lctx.getImageData(0, 0, layer.width, layer.height);
  const [r, g, b] = hexToRgb(color);
  const w = layer.width, h = layer.height, d = pixels.data;
  const inside = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) inside[i] = d[i * 4] > 127 ? 1 : 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!inside[i]) { d[i * 4 + 3] = 0; continue; }
      const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 ||
        !inside[i - 1] || !inside[i + 1] || !inside[i - w] || !inside[i + w];
      d[i * 4] = r; d[i * 4 + 1] = g; d[i * 4 + 2] = b; d[i * 4 + 3] = edge ? 255 : 110;
    }
  }
  lctx.putImageData(pixels, 0, 0);
  return layer;
}

// Keep ``layer`` as mask ``id``'s overlay; the oldest overlays of masks not on the frame shown go first.
export function rememberOverlay(id, layer) {
  state.overlays.delete(id);
  state.overlays.set(id, layer);
  const keep = new Set(state.masks.map((m) => m.id));
  for (const key of state.overlays.keys()) {
    if (state.overlays.size <= OVERLAY_CACHE) break;
    if (!keep.has(key)) state.overlays.delete(key);
  }
}
