// Editing a saved mask's pixels with a brush and an eraser, with undo and redo of whole strokes.
// The mask is a binary Uint8Array (1 inside), edited with hard-edged round dabs so that what is shown is
// exactly what is saved; the tinted overlay is updated only where a dab changed pixels.
import { hexToRgb } from "./images.js";

const HISTORY = 50;

export class MaskEditor {
  // ``image``: the mask's PNG (white object on black), frame-sized; ``color``: "#RRGGBB".
  constructor(image, color) {
    this.width = image.naturalWidth;
    this.height = image.naturalHeight;
    this.tool = "brush";         // "brush" or "eraser": what a stroke does
    this.strokeTool = "brush";   // the tool again after the stroke (a right-button stroke erases)
    this.size = 12;              // the dab's diameter, frame pixels
    this.undoStack = [];         // masks before each stroke, oldest first (at most HISTORY)
    this.redoStack = [];
    this.stroking = false;
    this.last = null;            // {x, y}: where the stroke was last
    this.changed = false;        // some stroke since the editor opened
    const reader = document.createElement("canvas");
    reader.width = this.width;
    reader.height = this.height;
    const rctx = reader.getContext("2d", { willReadFrequently: true });
    rctx.drawImage(image, 0, 0);
    const pixels = rctx.getImageData(0, 0, this.width, this.height).data;
    this.mask = new Uint8Array(this.width * this.height);
    for (let i = 0; i < this.mask.length; i++) this.mask[i] = pixels[i * 4] > 127 ? 1 : 0;
    this.rgb = hexToRgb(color);
    this.overlay = document.createElement("canvas");
    this.overlay.width = this.width;
    this.overlay.height = this.height;
    this.octx = this.overlay.getContext("2d");
    this.overlayData = this.octx.createImageData(this.width, this.height);
    this.repaint(0, 0, this.width, this.height);
  }

  repaint(x0, y0, x1, y1) {
    x0 = Math.max(0, x0); y0 = Math.max(0, y0);
    x1 = Math.min(this.width, x1); y1 = Math.min(this.height, y1);
    if (x1 <= x0 || y1 <= y0) return;
    const d = this.overlayData.data, [r, g, b] = this.rgb;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = y * this.width + x, j = i * 4;
        d[j] = r; d[j + 1] = g; d[j + 2] = b; d[j + 3] = this.mask[i] ? 150 : 0;
      }
    }
    this.octx.putImageData(this.overlayData, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }

  // A round dab of diameter ``size`` centred on (x, y), frame pixel coordinates (pixel centres at +0.5).
  dab(x, y) {
    const radius = Math.max(0.5, this.size / 2), value = this.tool === "brush" ? 1 : 0;
    const x0 = Math.floor(x - radius), x1 = Math.ceil(x + radius), y0 = Math.floor(y - radius), y1 = Math.ceil(y + radius);
    for (let py = Math.max(0, y0); py < Math.min(this.height, y1); py++) {
      for (let px = Math.max(0, x0); px < Math.min(this.width, x1); px++) {
        const dx = px + 0.5 - x, dy = py + 0.5 - y;
        if (dx * dx + dy * dy <= radius * radius) this.mask[py * this.width + px] = value;
      }
    }
    const cx = Math.floor(x), cy = Math.floor(y);  // the pixel under the pointer, whatever the size
    if (cx >= 0 && cy >= 0 && cx < this.width && cy < this.height) this.mask[cy * this.width + cx] = value;
    this.repaint(x0, y0, x1 + 1, y1 + 1);
  }

  beginStroke(x, y) {
    this.undoStack.push(this.mask.slice());
    if (this.undoStack.length > HISTORY) this.undoStack.shift();
    this.redoStack = [];
    this.stroking = true;
    this.changed = true;
    this.last = { x, y };
    this.dab(x, y);
  }

  strokeTo(x, y) {
    if (!this.stroking) return;
    const { x: lx, y: ly } = this.last;
    const steps = Math.max(1, Math.ceil(Math.hypot(x - lx, y - ly) / Math.max(0.5, this.size / 4)));
    for (let s = 1; s <= steps; s++) this.dab(lx + ((x - lx) * s) / steps, ly + ((y - ly) * s) / steps);
    this.last = { x, y };
  }

  endStroke() { this.stroking = false; }

  canUndo() { return this.undoStack.length > 0; }
  canRedo() { return this.redoStack.length > 0; }

  undo() {
    if (!this.undoStack.length) return false;
    this.redoStack.push(this.mask);
    this.mask = this.undoStack.pop();
    this.repaint(0, 0, this.width, this.height);
    return true;
  }

  redo() {
    if (!this.redoStack.length) return false;
    this.undoStack.push(this.mask);
    this.mask = this.redoStack.pop();
    this.repaint(0, 0, this.width, this.height);
    return true;
  }

  area() {
    let n = 0;
    for (let i = 0; i < this.mask.length; i++) n += this.mask[i];
    return n;
  }

  // The mask as the server stores it: an opaque PNG, white (255) object on black, frame-sized.
  toPngDataUrl() {
    const out = document.createElement("canvas");
    out.width = this.width;
    out.height = this.height;
    const octx = out.getContext("2d");
    const image = octx.createImageData(this.width, this.height), d = image.data;
    for (let i = 0; i < this.mask.length; i++) {
      const v = this.mask[i] ? 255 : 0;
      d[i * 4] = v; d[i * 4 + 1] = v; d[i * 4 + 2] = v; d[i * 4 + 3] = 255;
    }
    octx.putImageData(image, 0, 0);
    return out.toDataURL("image/png");
  }
}
