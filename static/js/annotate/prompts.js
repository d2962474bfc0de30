// A new mask from the frame: + / − points with the segmenter's live preview, a polygon or a box drawn by hand,
// or the refinement of a saved mask with clicks that start from its pixels (issue 13); saving it (and, when
// asked, extrapolating it).
import { $, data, frames } from "./page.js";
import { post } from "./api.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { actions } from "./actions.js";
import { tintedOverlay } from "./images.js";
import { canvas, canvasPoint, draw, framePoint, screenScale } from "./canvas.js";
import { refreshMasks } from "./masks.js";
import { refreshTimeline } from "./overview.js";
import { extrapolate, followActiveJob } from "./extrapolation.js";
import { CLOSE_DISTANCE, Shape } from "./shapes.js";

// A mask smaller than this is almost always a stray click or stroke: saving one asks first.
const MIN_MASK_PIXELS = 20;

// ---------- points and preview ----------
// A click on the frame: a point of ``sign`` (or a polygon's corner).
export function addPoint(event, sign) {
  event.preventDefault();
  if (!state.image || state.editor || state.tool === "hand" || state.spaceHeld || state.suppressClick) return;
  if (state.drawTool === "polygon") { if (event.type === "click") addVertex(event); return; }
  if (state.drawTool === "box") return;  // drawn by dragging
  state.points.push({ ...canvasPoint(event), sign });
  state.redoPoints = [];
  pointsChanged();
}

function pointsChanged() {
  updatePointsUi();
  draw();
  requestPreview();
}

export function undoPoint() {
  if (state.shape) {
    state.shape.undoVertex();
    if (!state.shape.started()) state.shape = null;
    shapeChanged();
    return;
  }
  if (!state.points.length) return;
  state.redoPoints.push(state.points.pop());
  pointsChanged();
}

export function redoPoint() {
  if (!state.redoPoints.length) return;
  state.points.push(state.redoPoints.pop());
  pointsChanged();
}

export function clearPoints() {
  if (state.shape) { state.shape = null; setStatus("Shape discarded."); shapeChanged(); return; }
  if (!state.points.length) { if (state.refine) stopRefining(); return; }
  state.redoPoints = [...state.points].reverse();
  state.points = [];
  pointsChanged();
}

export function setMode(sign) {
  state.mode = sign;
  const button = $("mode-toggle");
  button.textContent = sign === "+" ? "+ points" : "− points";
  button.className = `small mode ${sign === "+" ? "plus" : "minus"}`;
}

export function updatePointsUi() {
  const plus = state.points.filter((p) => p.sign === "+").length;
  const minus = state.points.length - plus;
  const shape = state.shape;
  $("points-info").textContent = shape
    ? `${shape.kind === "box" ? "Box" : "Polygon"}: ${shape.ready() ? `${shape.area()} px` : `${shape.vertices.length} corners`}`
    : state.points.length ? `${plus} + / ${minus} − points` : "No points";
  const ready = shape ? shape.ready() || (shape.kind === "polygon" && shape.vertices.length >= 3)
    : (state.refine ? state.points.length > 0 : plus > 0) && !!state.preview;
  $("save-mask").disabled = !ready || (!state.refine && !$("tag-select").value);
  $("save-extrapolate").disabled = $("save-mask").disabled || !!state.refine;
  $("undo-point").disabled = !state.points.length && !shape;
  $("redo-point").disabled = !state.redoPoints.length || !!shape;
  $("clear-points").disabled = !state.points.length && !shape;
}

export async function requestPreview() {
  const seq = ++state.previewSeq;
  const enough = state.refine ? state.points.length > 0 : state.points.some((p) => p.sign === "+");
  if (!enough) {
    state.preview = null;
    updatePointsUi();
    draw();
    if (state.points.length) setStatus("Add a + point on the object.");
    return;
  }
  setStatus("Segmenting…");
  const frame = frames[state.index];
  try {
    const body = await post(data.urls.generate, {
      sequence_id: data.sequence.id, frame_id: frame.id, points: state.points, preview: true,
      ...(state.refine ? { mask_id: state.refine.id } : {}),
    });
    if (seq !== state.previewSeq) return;
    const overlay = await tintedOverlay(body.mask_png, $("mask-color").value);
    if (seq !== state.previewSeq) return;
    state.preview = { overlay, area: body.area };
    setStatus(`Preview: ${body.area} px · ${body.segmenter} · ${body.ms} ms`);
  } catch (error) {
    if (seq !== state.previewSeq) return;
    state.preview = null;
    setStatus(error.message, true);
  }
  updatePointsUi();
  draw();
}

// ---------- polygon and box ----------
export function setDrawTool(tool) {
  if (state.editor) { setStatus("Save or cancel the brush edits first.", true); return; }
  if (tool !== "clicks" && state.refine) stopRefining();
  state.drawTool = tool;
  state.shape = null;
  for (const name of ["clicks", "polygon", "box"]) $(`tool-${name}`).setAttribute("aria-pressed", String(name === tool));
  canvas.classList.toggle("drawing", tool !== "clicks");
  if (tool !== "clicks" && state.points.length) { state.points = []; state.redoPoints = []; state.preview = null; state.previewSeq++; }
  setStatus({
    clicks: "Clicks: left-click a + point on the object, right-click a − point.",
    polygon: "Polygon: click its corners; close it on the first corner, by double-click or Enter.",
    box: "Box: drag from one corner to the opposite one.",
  }[tool]);
  updatePointsUi();
  draw();
}

function addVertex(event) {
  if (!state.shape) state.shape = new Shape("polygon", canvas.width, canvas.height);
  if (state.shape.closed) return;
  const tolerance = CLOSE_DISTANCE / screenScale();
  const { x, y } = framePoint(event);
  const last = state.shape.vertices[state.shape.vertices.length - 1];
  if (last && Math.hypot(x - last[0], y - last[1]) < tolerance / 2) return;  // a double-click's second click
  state.shape.addVertex([x, y], tolerance);
  shapeChanged();
}

export function shapeChanged() {
  const shape = state.shape;
  if (shape) {
    setStatus(shape.ready()
      ? `${shape.kind === "box" ? "Box" : "Polygon"}: ${shape.area()} px. Save with Enter.`
      : `Polygon: ${shape.vertices.length} corner${shape.vertices.length === 1 ? "" : "s"}; close it on the first corner, by double-click or Enter.`);
  }
  updatePointsUi();
  draw();
}

async function saveShape({ thenExtrapolate = false } = {}) {
  const shape = state.shape;
  if (shape.kind === "polygon" && !shape.closed && !shape.close()) return;
  if (!confirmSmall(shape.area())) return;
  const frame = frames[state.index];
  $("save-mask").disabled = true;
  try {
    const mask = await post(data.urls.masks, {
      frame_id: frame.id, tag_id: parseInt($("tag-select").value, 10), mask_color: $("mask-color").value.toUpperCase(),
      tool: shape.kind, vertices: shape.vertices,
    });
    state.shape = null;
    frame.mask_count = (frame.mask_count || 0) + 1;
    setStatus(`Saved mask #${mask.id} (${mask.tag}, ${mask.area} px, ${shape.kind}).`);
    await afterMaskSaved(mask, thenExtrapolate);
  } catch (error) {
    setStatus(error.message, true);
    updatePointsUi();
  }
}

// After a mask is saved (points, refined, drawn): the page shows it, then extrapolates it when asked, or follows
// the rerun the server starts after a correction.
async function afterMaskSaved(mask, thenExtrapolate) {
  updatePointsUi();
  await refreshMasks();
  refreshTimeline();
  if (thenExtrapolate) await extrapolate({ mask_id: mask.id });
  else followActiveJob();
}

// Saving a mask of fewer than MIN_MASK_PIXELS asks first; returns whether to go on.
export function confirmSmall(area) {
  if (area >= MIN_MASK_PIXELS) return true;
  return window.confirm(`This mask has only ${area} pixel${area === 1 ? "" : "s"} (fewer than ${MIN_MASK_PIXELS}): `
    + "it may be a stray click or stroke. Save it anyway?");
}

// ---------- refining a saved mask with clicks (issue 13) ----------
// The clicks start from the mask's pixels (POST /generate_mask/ with its mask_id): the preview shows the
// corrected mask, and saving replaces that mask's pixels (a proposal so corrected becomes a keyframe by hand).
export function startRefining(mask) {
  if (!mask) { setStatus("Select a mask to refine (click its line in the list).", true); return; }
  if (state.editor && !actions.leaveEditing()) return;
  if (state.drawTool !== "clicks") setDrawTool("clicks");
  state.refine = mask;
  state.points = [];
  state.redoPoints = [];
  state.preview = null;
  state.previewSeq++;
  $("prompt-title").textContent = "Refine a mask";
  $("refine-mask-id").textContent = `#${mask.id} (${mask.tag})`;
  $("refine-row").hidden = false;
  $("draw-tools").hidden = true;
  $("mask-color").value = mask.color.toLowerCase();
  $("save-mask").textContent = "Save refinement";
  setStatus(`Refining mask #${mask.id}: + clicks add to it, − clicks remove from it; Enter saves.`);
  updatePointsUi();
  draw();
}

export function stopRefining() {
  state.refine = null;
  state.points = [];
  state.redoPoints = [];
  state.preview = null;
  state.previewSeq++;
  $("prompt-title").textContent = "New mask";
  $("refine-row").hidden = true;
  $("draw-tools").hidden = false;
  $("save-mask").textContent = "Save mask";
  $("tag-select").dispatchEvent(new Event("change"));  // the tag's colour again
  updatePointsUi();
  draw();
}

// ---------- saving ----------
export async function saveMask({ thenExtrapolate = false } = {}) {
  if ($("save-mask").disabled) return;
  if (state.shape) { await saveShape({ thenExtrapolate }); return; }
  if (!confirmSmall(state.preview.area)) return;
  const tagId = parseInt($("tag-select").value, 10);
  const frame = frames[state.index];
  const refining = state.refine;
  $("save-mask").disabled = true;
  $("save-extrapolate").disabled = true;
  try {
    const mask = await post(data.urls.generate, refining
      ? { sequence_id: data.sequence.id, frame_id: frame.id, points: state.points, mask_id: refining.id }
      : {
        sequence_id: data.sequence.id, frame_id: frame.id, points: state.points,
        tag_id: tagId, mask_color: $("mask-color").value.toUpperCase(),
      });
    state.points = [];
    state.redoPoints = [];
    state.preview = null;
    if (refining) {
      state.overlays.delete(mask.id);
      stopRefining();
      setStatus(`Refined mask #${mask.id} (${mask.tag}, ${mask.area} px).`);
    } else {
      frame.mask_count = (frame.mask_count || 0) + 1;
      setStatus(`Saved mask #${mask.id} (${mask.tag}, ${mask.area} px).`);
    }
    await afterMaskSaved(mask, thenExtrapolate);
  } catch (error) {
    setStatus(error.message, true);
    updatePointsUi();
  }
}
