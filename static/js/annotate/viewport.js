// Zoom and pan of the frame canvas: a CSS transform (translate, then scale) of the canvas inside its
// clipping wrapper. The canvas keeps the frame's own pixel size, and getBoundingClientRect() includes the
// transform, so a click maps to the same frame pixel at every zoom.
const MIN_SCALE = 1;
const MAX_SCALE = 40;

export class Viewport {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange || (() => {});
    this.scale = 1;
    this.x = 0;  // translation in CSS pixels of the canvas's untransformed box
    this.y = 0;
    canvas.style.transformOrigin = "0 0";
  }

  apply() {
    // Keep the zoomed frame covering the canvas's box: no empty band to pan into.
    const width = this.canvas.offsetWidth, height = this.canvas.offsetHeight;
    this.x = Math.min(0, Math.max(width * (1 - this.scale), this.x));
    this.y = Math.min(0, Math.max(height * (1 - this.scale), this.y));
    this.canvas.style.transform = this.scale === 1 ? "" : `translate(${this.x}px, ${this.y}px) scale(${this.scale})`;
    this.canvas.classList.toggle("pixelated", this.scale >= 4);
    this.onChange(this);
  }

  // Zoom by ``factor`` keeping the point under (clientX, clientY) where it is.
  zoomAt(clientX, clientY, factor) {
    const rect = this.canvas.getBoundingClientRect();
    const next = Math.max(MIN_SCALE, Math.min(MAX_SCALE, this.scale * factor));
    const u = (clientX - rect.left) / this.scale, v = (clientY - rect.top) / this.scale;
    this.x -= u * (next - this.scale);
    this.y -= v * (next - this.scale);
    this.scale = next;
    this.apply();
  }

  zoomCentre(factor) {
    const rect = this.canvas.parentElement.getBoundingClientRect();
    this.zoomAt(rect.left + rect.width / 2, rect.top + rect.height / 2, factor);
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.apply();
  }

  fit() {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.apply();
  }
}
