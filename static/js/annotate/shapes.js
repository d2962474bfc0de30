// Drawing a mask as a polygon (click its corners; close it on the first corner, by double-click or Enter) or as a
// box (drag from corner to corner). The server turns the vertices into pixels (masks/drawing.py); the same rule
// is counted here, to say before saving how many pixels the mask will have.
export const CLOSE_DISTANCE = 8;  // screen pixels from the first corner that close a polygon

export class Shape {
  // ``kind``: "polygon" or "box"; ``width``, ``height``: the frame's size.
  constructor(kind, width, height) {
    this.kind = kind;
    this.width = width;
    this.height = height;
    this.vertices = [];  // [x, y] frame pixels (continuous)
    this.closed = false;
    this.pointer = null;  // where the next corner would go (rubber band)
  }

  clamp([x, y]) {
    return [Math.round(Math.max(0, Math.min(this.width, x)) * 10) / 10, Math.round(Math.max(0, Math.min(this.height, y)) * 10) / 10];
  }

  // Polygon: a corner at ``point``; closes when it is on the first corner (``tolerance`` in frame pixels).
  addVertex(point, tolerance) {
    if (this.kind !== "polygon" || this.closed) return;
    const [x, y] = this.clamp(point);
    if (this.vertices.length >= 3) {
      const [fx, fy] = this.vertices[0];
      if (Math.hypot(x - fx, y - fy) <= tolerance) { this.close(); return; }
    }
    this.vertices.push([x, y]);
  }

  close() { if (this.kind === "polygon" && this.vertices.length >= 3) this.closed = true; return this.closed; }

  undoVertex() {
    if (this.closed) { this.closed = false; return true; }
    return this.vertices.pop() !== undefined;
  }

  // Box: dragged from ``start`` to ``end``.
  setBox(start, end) {
    const [x0, y0] = this.clamp(start), [x1, y1] = this.clamp(end);
    this.vertices = [[Math.min(x0, x1), Math.min(y0, y1)], [Math.max(x0, x1), Math.min(y0, y1)],
      [Math.max(x0, x1), Math.max(y0, y1)], [Math.min(x0, x1), Math.max(y0, y1)]];
    this.closed = true;
  }

  ready() { return this.closed && this.vertices.length >= 3; }
  started() { return this.vertices.length > 0; }

  // Pixels whose centre is inside (even-odd; left and top edges in), as masks/drawing.py counts them.
  area() {
    if (!this.ready()) return 0;
    const xs0 = this.vertices.map((v) => v[0]), ys0 = this.vertices.map((v) => v[1]);
    const n = this.vertices.length;
    let total = 0;
    const first = Math.max(0, Math.floor(Math.min(...ys0) - 0.5)), last = Math.min(this.height - 1, Math.ceil(Math.max(...ys0)));
    for (let row = first; row <= last; row++) {
      const centre = row + 0.5, crossings = [];
      for (let i = 0; i < n; i++) {
        const [xa, ya] = [xs0[i], ys0[i]], [xb, yb] = [xs0[(i + 1) % n], ys0[(i + 1) % n]];
        if ((ya <= centre) !== (yb <= centre)) crossings.push(xa + ((centre - ya) * (xb - xa)) / (yb - ya));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const start = Math.max(0, Math.ceil(crossings[k] - 0.5)), end = Math.min(this.width, Math.ceil(crossings[k + 1] - 0.5));
        total += Math.max(0, end - start);
      }
    }
    return total;
  }

  // Outline (and fill once closed) on the frame's canvas; ``scale``: screen pixels per frame pixel.
  draw(ctx, color, scale) {
    if (!this.vertices.length) return;
    ctx.save();
    ctx.beginPath();
    this.vertices.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    if (this.closed) ctx.closePath();
    else if (this.pointer) ctx.lineTo(...this.pointer);
    if (this.closed) { ctx.globalAlpha = 0.35; ctx.fillStyle = color; ctx.fill(); ctx.globalAlpha = 1; }
    ctx.lineWidth = 2 / scale;
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.lineWidth = 1 / scale;
    ctx.strokeStyle = "#fff";
    ctx.setLineDash([4 / scale, 4 / scale]);
    ctx.stroke();
    ctx.setLineDash([]);
    if (this.kind === "polygon") {
      for (const [x, y] of this.vertices) {
        ctx.beginPath();
        ctx.arc(x, y, 3 / scale, 0, 2 * Math.PI);
        ctx.fillStyle = "#fff";
        ctx.fill();
      }
    }
    ctx.restore();
  }
}
