// The frame's canvas: drawing the frame (as the display settings show it) with its masks, the points, the shape
// being drawn and the brush; zoom and pan (the viewport); client coordinates turned into frame pixels.
import { $, user } from "./page.js";
import { state } from "./state.js";
import { Viewport } from "./viewport.js";
import { DisplayAdjust } from "./display.js";

export const canvas = $("canvas");
const ctx = canvas.getContext("2d");
export const display = new DisplayAdjust(user);

export function draw() {
  if (!state.image) return;
  ctx.drawImage(display.source(state.image), 0, 0);
  const showAll = $("show-all").checked;
  for (const mask of state.masks) {
    if (state.editMask && mask.id === state.editMask.id) continue;
    if (state.refine && state.preview && mask.id === state.refine.id) continue;  // its refined preview instead
    const layer = state.overlays.get(mask.id);
    if (!layer || !showAll || state.hiddenMasks.has(mask.id) || state.hiddenTags.has(mask.tag_id)) continue;
    ctx.drawImage(layer, 0, 0);
  }
  if (state.editor) ctx.drawImage(state.editor.overlay, 0, 0);
  if (state.preview) ctx.drawImage(state.preview.overlay, 0, 0);
  const scale = viewport.scale;
  const radius = Math.max(4, canvas.width / 110) / Math.sqrt(scale);
  for (const p of state.points) {
    ctx.beginPath();
    ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
    ctx.fillStyle = p.sign === "+" ? "#16a34a" : "#dc2626";
    ctx.fill();
    ctx.lineWidth = Math.max(1.5, radius / 3) / Math.sqrt(scale);
    ctx.strokeStyle = "#fff";
    ctx.stroke();
  }
  if (state.shape) state.shape.draw(ctx, $("mask-color").value, screenScale());
  if (state.editor && state.pointer && !state.pan) {
    ctx.beginPath();
    ctx.arc(state.pointer.x, state.pointer.y, Math.max(0.5, state.editor.size / 2), 0, 2 * Math.PI);
    ctx.lineWidth = 1.5 / scale;
    ctx.strokeStyle = state.editor.tool === "brush" ? "#fff" : "#facc15";
    ctx.stroke();
  }
}

// Screen pixels per frame pixel, the zoom included: what the zoom label shows (100 % = 1:1).
export function screenScale() {
  return canvas.getBoundingClientRect().width / canvas.width || 1;
}

export const viewport = new Viewport(canvas, () => {
  $("zoom-level").textContent = `${Math.round(screenScale() * 100)} %`;
  draw();
});

// The frame pixel (continuous) under a pointer event.
export function framePoint(event) {
  const rect = canvas.getBoundingClientRect();
  return {
    x: ((event.clientX - rect.left) * canvas.width) / rect.width,
    y: ((event.clientY - rect.top) * canvas.height) / rect.height,
  };
}

// The same, inside the frame and to a tenth of a pixel: a prompt point.
export function canvasPoint(event) {
  const { x, y } = framePoint(event);
  const clamp = (v, max) => Math.round(Math.max(0, Math.min(max, v)) * 10) / 10;
  return { x: clamp(x, canvas.width - 1), y: clamp(y, canvas.height - 1) };
}
