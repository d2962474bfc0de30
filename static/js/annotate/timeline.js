// The timeline under the frame: one row per tag with masks (which frames, in which state) and one per tag
// with frame findings (ranges), a cursor on the current frame; click or drag to jump. Drawn on a canvas,
// as runs of equal state, so that a 5,000-frame sequence draws in a few milliseconds.
const ROW = 16, GAP = 3, AXIS = 14;
const LABEL_MIN = 110, LABEL_MAX = 280;  // the label column fits the longest lane name within these
const LANE_BACKGROUND = "#f1f2f4";
const COMMENT_COLOUR = "#7c3aed";
// By the state's name in the server's answer (its ``states``: which state a mask is in is the server's rule).
const STATE_LABELS = {
  manual: "by hand", accepted: "proposed, accepted", propagated: "proposed, to review",
  low_confidence: "proposed, low confidence",
};
const LANE = 4;
const LANE_COLOURS = { manual: "#1d1f23", accepted: "#16a34a", propagated: "#f59e0b", low_confidence: "#dc2626" };

export class Timeline {
  // ``tags``: Map tag id → {name, color}; ``onSeek(index)`` is called on click and drag.
  constructor(canvas, { frameCount, tags, onSeek }) {
    this.canvas = canvas;
    this.frameCount = frameCount;
    this.tags = tags;
    this.onSeek = onSeek;
    this.rows = [];
    this.commentFrames = new Map();  // frame index -> number of comments
    this.review = null;              // the /review/ endpoint's answer (see setReview)
    this.leftByTag = new Map();      // tag id -> Set of the frames extrapolation left to the annotator
    this.width = 0;                  // CSS pixels, set by render()
    this.current = 0;
    this.label = 150;
    this.base = document.createElement("canvas");
    let dragging = false;
    canvas.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      dragging = true;
      canvas.setPointerCapture(event.pointerId);
      this.seekAt(event);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (dragging) this.seekAt(event);
      canvas.title = this.describe(this.indexAt(event), this.rowAt(event));
    });
    canvas.addEventListener("pointerup", () => { dragging = false; });
    window.addEventListener("resize", () => this.render());
  }

  // ``data``: the /timeline/ endpoint's answer; each row's ``states`` become the states' names.
  setData(data) {
    this.frameCount = data.frame_count;
    const stateName = new Map(Object.entries(data.states).map(([name, value]) => [value, name]));
    const tagOf = (id) => {
      const tag = this.tags.get(id);
      return tag ? { name: tag.name, color: tag.color } : { name: `tag ${id}`, color: "#888888" };
    };
    this.rows = data.tags.map((line) => ({ kind: "masks", tagId: line.tag_id, ...tagOf(line.tag_id), frames: line.frames, states: line.states.map((state) => stateName.get(state)) }));
    const findingRows = new Map();
    for (const [id, tagId, first, last] of data.findings) {
      if (!findingRows.has(tagId)) findingRows.set(tagId, { kind: "findings", tagId, ...tagOf(tagId), ranges: [] });
      findingRows.get(tagId).ranges.push([first, last, id]);
    }
    this.rows.push(...findingRows.values());
    this.render();
  }

  // ``review``: the /review/ endpoint's answer: ``order``, the frames to review worst first, and ``left``,
  // per tag the frames extrapolation left to the annotator (object lost or unsure there).
  setReview(review) {
    this.review = review;
    this.leftByTag = new Map(review.left.map(([tagId, frames]) => [tagId, new Set(frames)]));
    this.render();
  }

  // ``counts``: Map frame index -> number of comments on that frame (or on its masks).
  setComments(counts) {
    this.commentFrames = counts;
    this.render();
  }

  x(index) { return this.label + (index * (this.width - this.label)) / this.frameCount; }

  indexAt(event) {
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left;
    const index = Math.floor(((x - this.label) * this.frameCount) / (rect.width - this.label));
    return Math.max(0, Math.min(this.frameCount - 1, index));
  }

  rowAt(event) {
    const y = event.clientY - this.canvas.getBoundingClientRect().top - AXIS;
    return this.rows[Math.floor(y / (ROW + GAP))];
  }

  seekAt(event) { this.onSeek(this.indexAt(event)); }

  describe(index, row) {
    const comments = this.commentFrames.get(index);
    let text = `Frame ${index + 1}${comments ? ` · ${comments} comment${comments > 1 ? "s" : ""}` : ""}`;
    if (!row) return text;
    if (row.kind === "findings") {
      const hit = row.ranges.find(([first, last]) => first <= index && index <= last);
      return hit ? `${text} · ${row.name}: frames ${hit[0] + 1}–${hit[1] + 1}` : `${text} · ${row.name}: –`;
    }
    const at = bisect(row.frames, index);
    if (row.frames[at] === index) return `${text} · ${row.name}: ${STATE_LABELS[row.states[at]]}`;
    const left = this.leftByTag && this.leftByTag.get(row.tagId);
    return `${text} · ${row.name}: ${left && left.has(index) ? "no mask, left to you (extrapolation lost the object)" : "no mask"}`;
  }

  render() {
    const ratio = window.devicePixelRatio || 1;
    this.width = Math.max(LABEL_MIN + 50, this.canvas.clientWidth);
    const height = AXIS + Math.max(1, this.rows.length) * (ROW + GAP);
    this.canvas.style.height = `${height}px`;
    for (const c of [this.canvas, this.base]) { c.width = Math.round(this.width * ratio); c.height = Math.round(height * ratio); }
    const ctx = this.base.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.width, height);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    // Lane names are never cut: the label column grows to the longest (within LABEL_MAX, then "…").
    const labels = this.rows.map((row) => (row.kind === "findings" ? `${row.name} (frames)` : row.name));
    const widest = Math.max(0, ...labels.map((label) => ctx.measureText(label).width));
    this.label = Math.round(Math.max(LABEL_MIN, Math.min(LABEL_MAX, this.width * 0.4, widest + 24)));
    this.canvas.dataset.labelWidth = this.label;
    const drawn = [];
    // Axis: a tick every "nice" number of frames.
    ctx.fillStyle = "#6b7280";
    const step = niceStep(this.frameCount / Math.max(1, (this.width - this.label) / 70));
    for (let i = 0; i < this.frameCount; i += step) {
      const x = this.x(i);
      ctx.fillRect(x, AXIS - 4, 1, 4);
      ctx.fillText(String(i + 1), x + 2, AXIS / 2 - 1);
    }
    if (!this.rows.length) {
      ctx.fillText("No mask and no frame finding yet", this.label, AXIS + ROW / 2);
    }
    const unit = (this.width - this.label) / this.frameCount;
    this.rows.forEach((row, r) => {
      const y = AXIS + r * (ROW + GAP);
      ctx.fillStyle = LANE_BACKGROUND;
      ctx.fillRect(this.label, y, this.width - this.label, ROW);
      // A colour close to the lane's background (Specular reflection's near-white) gets an outline.
      const outline = contrast(row.color, LANE_BACKGROUND) < 1.6 ? "#6b7280" : null;
      ctx.fillStyle = row.color;
      ctx.fillRect(2, y + 2, 10, ROW - 4);
      if (outline) { ctx.strokeStyle = outline; ctx.lineWidth = 1; ctx.strokeRect(2.5, y + 2.5, 9, ROW - 5); }
      ctx.fillStyle = "#1d1f23";
      const label = fit(ctx, labels[r], this.label - 20);
      drawn.push(label);
      ctx.fillText(label, 16, y + ROW / 2);
      if (row.kind === "findings") {
        for (const [first, last] of row.ranges) {
          const x0 = this.x(first), x1 = Math.max(x0 + 2, this.x(last + 1));
          ctx.globalAlpha = 0.75;
          ctx.fillStyle = row.color;
          ctx.fillRect(x0, y + 3, x1 - x0, ROW - 6);
          ctx.globalAlpha = 1;
          ctx.strokeStyle = "#1d1f23";
          ctx.lineWidth = 1;
          ctx.strokeRect(x0 + 0.5, y + 2.5, x1 - x0 - 1, ROW - 5);
        }
        return;
      }
      // Frames extrapolation left to the annotator: a dashed red box, so a gap in a track is not mistaken for
      // the object's absence.
      const left = this.leftByTag && this.leftByTag.get(row.tagId);
      if (left) {
        ctx.setLineDash([2, 2]);
        ctx.strokeStyle = LANE_COLOURS.low_confidence;
        ctx.lineWidth = 1;
        for (const index of left) {
          const x0 = this.x(index);
          ctx.strokeRect(x0 + 0.5, y + 0.5, Math.max(2, unit) - 1, ROW - 1);
        }
        ctx.setLineDash([]);
      }
      // Runs of consecutive frames in one state are one rectangle: the tag's colour above (solid by hand,
      // faded when propagated) and a lane below whose colour says the review state, never a tag's colour.
      const { frames, states } = row;
      for (let i = 0; i < frames.length;) {
        let j = i;
        while (j + 1 < frames.length && frames[j + 1] === frames[j] + 1 && states[j + 1] === states[i]) j++;
        const x0 = this.x(frames[i]), x1 = Math.max(x0 + 1, this.x(frames[j]) + Math.max(1, unit));
        ctx.globalAlpha = states[i] === "manual" ? 1 : 0.45;
        ctx.fillStyle = row.color;
        ctx.fillRect(x0, y, x1 - x0, ROW - LANE);
        ctx.globalAlpha = 1;
        ctx.fillStyle = LANE_COLOURS[states[i]];
        ctx.fillRect(x0, y + ROW - LANE, x1 - x0, LANE);
        if (outline) { ctx.strokeStyle = outline; ctx.lineWidth = 1; ctx.strokeRect(x0 + 0.5, y + 0.5, x1 - x0 - 1, ROW - LANE - 1); }
        i = j + 1;
      }
      ctx.globalAlpha = 1;
    });
    // Frames with comments: a mark under the axis numbers.
    ctx.fillStyle = COMMENT_COLOUR;
    for (const index of this.commentFrames.keys()) {
      const x = this.x(index) + Math.max(1, unit) / 2;
      ctx.beginPath();
      ctx.moveTo(x - 4, AXIS - 7); ctx.lineTo(x + 4, AXIS - 7); ctx.lineTo(x, AXIS - 1);
      ctx.fill();
    }
    // The same names as text inside the canvas, for screen readers (and to check they are whole).
    const list = document.createElement("ul");
    for (const label of drawn) list.appendChild(document.createElement("li")).textContent = label;
    this.canvas.replaceChildren(list);
    this.drawCursor();
  }

  setCurrent(index) {
    this.current = index;
    this.drawCursor();
  }

  drawCursor() {
    if (!this.width) return;
    const ctx = this.canvas.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.base, 0, 0);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const x = this.x(this.current), w = Math.max(2, (this.width - this.label) / this.frameCount);
    ctx.fillStyle = "rgba(10, 102, 194, 0.15)";
    ctx.fillRect(x - 1, 0, w, this.canvas.height / ratio);
    ctx.fillStyle = "#0a66c2";
    ctx.fillRect(x - 1, 0, 2, this.canvas.height / ratio);
  }

  // The frame to review after ``from``: the next in the server's order (/review/: worst first, frames left empty
  // inside a track, then proposals by rising confidence); -1 when nothing awaits.
  nextToReview(from) {
    const order = this.review ? this.review.order : [];
    if (!order.length) return -1;
    const next = order[(order.indexOf(from) + 1) % order.length];
    return next === from ? -1 : next;
  }

  // How many frames await review, in the server's order.
  awaitingReview() { return this.review ? this.review.order.length : 0; }

  // Frame index → whether some mask is on it (for the thumbnails' dots).
  framesWithMasks() {
    const frames = new Set();
    for (const row of this.rows) if (row.kind === "masks") for (const index of row.frames) frames.add(index);
    return frames;
  }
}

function bisect(sorted, value) {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid] < value) lo = mid + 1; else hi = mid; }
  return lo;
}

function niceStep(raw) {
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000];
  return steps.find((s) => s >= raw) || 20000;
}

// WCAG's contrast ratio of two "#RRGGBB" colours (1: the same luminance … 21: black on white).
function contrast(a, b) {
  const luminance = (hex) => {
    const value = parseInt(hex.slice(1), 16);
    const [r, g, b] = [(value >> 16) & 255, (value >> 8) & 255, value & 255].map((c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function fit(ctx, text, width) {
  if (ctx.measureText(text).width <= width) return text;
  while (text.length > 1 && ctx.measureText(`${text}…`).width > width) text = text.slice(0, -1);
  return `${text}…`;
}
