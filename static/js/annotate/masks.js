// The saved masks of the frame shown: read (with their overlays, cached for the frames around), chosen in the
// list, deleted one by one, by tag or by track, and brought back by Undo.
import { $, data, frames, urls } from "./page.js";
import { api, post } from "./api.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { actions } from "./actions.js";
import { loadImage, rememberOverlay, tintedOverlay } from "./images.js";
import { canvas, draw } from "./canvas.js";
import { refreshTimeline } from "./overview.js";

const MASK_CACHE_FRAMES = 12;

// Masks of a frame with their overlays ready, kept for the frames around the current one so that a step
// draws at once; any change of masks (save, edit, review, delete, a job's progress) clears the cache.
const maskCache = new Map();  // frame index -> Promise of the masks

function frameMasks(index) {
  const frame = frames[index];
  if (!maskCache.has(index)) {
    const loading = (async () => {
      if (frame.mask_count === 0 && !state.job) return [];  // known empty: no request
      const body = await api(`${data.urls.masks}?frame_id=${frame.id}`);
      await Promise.all(body.masks.filter((m) => !state.overlays.has(m.id)).map(async (m) => {
        rememberOverlay(m.id, await tintedOverlay(m.url, m.color));
      }));
      return body.masks;
    })();
    loading.catch(() => maskCache.delete(index));
    maskCache.set(index, loading);
    while (maskCache.size > MASK_CACHE_FRAMES) maskCache.delete(maskCache.keys().next().value);
  }
  return maskCache.get(index);
}

export function prefetchMasks(index, direction) {
  for (const neighbour of [index + direction, index + 2 * direction, index - direction]) {
    if (neighbour >= 0 && neighbour < frames.length) frameMasks(neighbour).catch(() => {});
  }
}

function frameShown(index) {
  canvas.dataset.frame = index;
  document.dispatchEvent(new CustomEvent("annotate:frame", { detail: { index } }));
}

// Read the frame's masks (again, unless ``cached``) and show them.
export async function refreshMasks({ cached = false } = {}) {
  if (!cached) maskCache.clear();
  const index = state.index;
  const masks = await frameMasks(index);
  if (state.index !== index) return;
  state.masks = masks;
  frames[index].mask_count = masks.length;
  for (const m of masks) if (!state.overlays.has(m.id)) rememberOverlay(m.id, await tintedOverlay(m.url, m.color));
  if (state.index !== index) return;
  actions.masksShown(frames[index], masks);
  draw();
  frameShown(index);
}

export function selectMask(id) {
  state.selectedMaskId = state.selectedMaskId === id ? null : id;
  for (const row of document.querySelectorAll(".mask-row")) {
    row.classList.toggle("selected", Number(row.dataset.maskId) === state.selectedMaskId);
  }
}

// The mask a shortcut acts on: the selected one, else the only one (or the first awaiting review).
export function targetMask({ pendingOnly = false } = {}) {
  const candidates = pendingOnly ? state.masks.filter((m) => m.needs_review) : state.masks;
  return candidates.find((m) => m.id === state.selectedMaskId) || (pendingOnly || candidates.length === 1 ? candidates[0] : null);
}

// ---------- undo of a delete or a reject ----------
// The server deletes a rejected or deleted mask with its file; the page keeps its pixels (read before the
// removal) and record, and Undo saves them back as a new mask of the same tag, source and track
// (POST /api/masks/restore/). Kept until the page is left.
export async function keptForUndo(mask) {
  const image = await loadImage(mask.url);
  const copy = document.createElement("canvas");
  copy.width = image.naturalWidth;
  copy.height = image.naturalHeight;
  copy.getContext("2d").drawImage(image, 0, 0);
  return { mask, png: copy.toDataURL("image/png") };
}

// ``how``: "deleted" or "rejected", as the Undo button says.
export function remembered(kept, how) {
  state.removed.push({ ...kept, how });
  updateUndoRemove();
}

function updateUndoRemove() {
  const last = state.removed[state.removed.length - 1];
  $("undo-remove").hidden = !last;
  if (last) $("undo-remove").textContent = `Undo: bring back mask #${last.mask.id} (${last.how})`;
}

export async function undoRemove() {
  const last = state.removed[state.removed.length - 1];
  if (!last) { setStatus("Nothing deleted or rejected on this page to bring back."); return; }
  const { mask, png } = last;
  try {
    const restored = await post(urls.restore, {
      frame_id: mask.frame_id, tag_id: mask.tag_id, mask_color: mask.color, png, source: mask.source,
      segmenter: mask.segmenter, score: mask.score, confidence: mask.confidence, track_id: mask.track_id,
      keyframe_id: mask.keyframe_id, points: mask.points,
    });
    state.removed.pop();
    updateUndoRemove();
    frames[mask.frame_index].mask_count = (frames[mask.frame_index].mask_count || 0) + 1;
    setStatus(`Brought back mask #${mask.id} as #${restored.id} (${restored.tag}, ${restored.area} px).`);
    if (state.index !== mask.frame_index) await actions.showFrame(mask.frame_index);
    await Promise.all([refreshMasks(), refreshTimeline()]);
  } catch (error) { setStatus(error.message, true); }
}

// ---------- deleting ----------
export async function deleteMask(mask, { confirmFirst = false } = {}) {
  if (confirmFirst && !window.confirm(`Delete mask #${mask.id} (${mask.tag})?`)) return;
  try {
    const kept = await keptForUndo(mask);
    await api(`${data.urls.mask}${mask.id}/`, { method: "DELETE" });
    remembered(kept, "deleted");
    state.overlays.delete(mask.id);
    setStatus(`Deleted mask #${mask.id}.`);
    await Promise.all([refreshMasks(), refreshTimeline()]);
  } catch (error) { setStatus(error.message, true); }
}

export async function deleteTagMasks(tagId, tagName) {
  if (!window.confirm(`Delete every “${tagName}” mask of the whole sequence? This cannot be undone.`)) return;
  try {
    const body = await api(`${data.urls.tag_masks}${tagId}/masks/`, { method: "DELETE" });
    setStatus(`Deleted ${body.deleted} “${tagName}” masks in the sequence.`);
    for (const frame of frames) frame.mask_count = undefined;
    await Promise.all([refreshMasks(), refreshTimeline()]);
  } catch (error) { setStatus(error.message, true); }
}

export async function deleteTrack(trackId, tagName) {
  if (!window.confirm(`Delete the whole track ${trackId} (“${tagName}”): its keyframes and every propagated mask?`)) return;
  try {
    const body = await api(`${data.urls.track}${trackId}/`, { method: "DELETE" });
    setStatus(`Deleted track ${trackId}: ${body.deleted} masks.`);
    await refreshTimeline();
    await refreshMasks();
  } catch (error) { setStatus(error.message, true); }
}
