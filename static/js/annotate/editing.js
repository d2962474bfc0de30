// Editing a saved mask's pixels with the brush and the eraser (js/annotate/editor.js): the editor panel in place
// of the prompt panel, its tool and size, undo and redo of strokes, saving or leaving the edits.
import { $, data } from "./page.js";
import { post } from "./api.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { loadImage } from "./images.js";
import { canvas, draw } from "./canvas.js";
import { refreshMasks } from "./masks.js";
import { refreshTimeline } from "./overview.js";
import { followActiveJob } from "./extrapolation.js";
import { confirmSmall, redoPoint, undoPoint, updatePointsUi } from "./prompts.js";
import { MaskEditor } from "./editor.js";

// ``tool``: "brush" or "eraser" (default: the brush).
export async function startEditing(mask, tool) {
  if (!mask) { setStatus("Select a mask to edit (click its line in the list).", true); return; }
  if (state.editor) { if (state.editMask.id === mask.id) { if (tool) setTool(tool); return; } if (!leaveEditing()) return; }
  try {
    const image = await loadImage(mask.url);
    state.editor = new MaskEditor(image, mask.color);
    state.editor.size = parseInt($("brush-size").value, 10);
  } catch (error) { setStatus(error.message, true); return; }
  state.editMask = mask;
  state.points = [];
  state.preview = null;
  $("edit-mask-id").textContent = `#${mask.id} (${mask.tag})`;
  $("edit-panel").hidden = false;
  $("prompt-panel").hidden = true;
  canvas.classList.add("editing");
  setTool(tool || "brush");
  updateEditUi();
  setStatus(`Editing mask #${mask.id}: paint with the brush, remove with the eraser, then save.`);
  draw();
}

export function setTool(tool) {
  if (!state.editor) return;
  state.editor.tool = tool;
  $("brush-tool").setAttribute("aria-pressed", String(tool === "brush"));
  $("eraser-tool").setAttribute("aria-pressed", String(tool === "eraser"));
  draw();
}

export function setBrushSize(size) {
  size = Math.max(1, Math.min(80, size));
  $("brush-size").value = size;
  $("brush-size-value").textContent = size;
  if (state.editor) state.editor.size = size;
  draw();
}

export function updateEditUi() {
  if (!state.editor) return;
  $("undo-stroke").disabled = !state.editor.canUndo();
  $("redo-stroke").disabled = !state.editor.canRedo();
  $("edit-info").textContent = state.editor.changed ? "Edited, not saved" : "No change yet";
}

export function stopEditing() {
  state.editor = null;
  state.editMask = null;
  $("edit-panel").hidden = true;
  $("prompt-panel").hidden = false;
  canvas.classList.remove("editing");
  updatePointsUi();
  draw();
}

// Leave the editor; asks first when strokes would be lost. Returns whether it was left.
export function leaveEditing() {
  if (state.editor.changed && !window.confirm("Discard the edits of this mask?")) return false;
  stopEditing();
  setStatus("Edits discarded.");
  return true;
}

export async function saveEdits() {
  if (!state.editor) return;
  const mask = state.editMask;
  if (!state.editor.changed) { stopEditing(); setStatus("No change to save."); return; }
  if (!confirmSmall(state.editor.area())) return;
  $("save-edits").disabled = true;
  try {
    const saved = await post(`${data.urls.mask}${mask.id}/pixels/`, { png: state.editor.toPngDataUrl() });
    state.overlays.delete(mask.id);
    stopEditing();
    setStatus(`Saved the edits of mask #${saved.id} (${saved.area} px).`);
    await Promise.all([refreshMasks(), refreshTimeline()]);
    followActiveJob();
  } catch (error) { setStatus(error.message, true); }
  $("save-edits").disabled = false;
}

// Undo and redo: of a stroke while editing, else of a point (or a polygon's corner).
export function undo() {
  if (state.editor) { if (state.editor.undo()) { updateEditUi(); draw(); } } else undoPoint();
}

export function redo() {
  if (state.editor) { if (state.editor.redo()) { updateEditUi(); draw(); } } else redoPoint();
}
