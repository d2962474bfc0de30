// Moving through the sequence: showing a frame (its image, its masks, the thumbnails and the timeline's cursor
// follow; the address keeps ?frame=), loading the frames and masks ahead, and SAM's embedding of the frame.
import { $, data, frames } from "./page.js";
import { api, post } from "./api.js";
import { state } from "./state.js";
import { actions } from "./actions.js";
import { loadImage } from "./images.js";
import { canvas, draw, viewport } from "./canvas.js";
import { renderThumbs } from "./thumbs.js";
import { timeline } from "./overview.js";
import { prefetchMasks, refreshMasks } from "./masks.js";
import { stopRefining, updatePointsUi } from "./prompts.js";
import { leaveEditing } from "./editing.js";

// SAM only: ask the worker for the embeddings of the frames ahead, and show this frame's state.
async function watchEmbedding(index, direction) {
  if (data.segmenter.kind !== "sam") return;
  const badge = $("embedding-state");
  const frame = frames[index];
  let body;
  try {
    body = await post(data.urls.embeddings, { frame_index: index, direction });
    while (state.index === index) {
      const current = body.states[frame.id];
      badge.hidden = false;
      badge.textContent = current === "ready" ? "Embedding ready" : `Embedding ${current}…`;
      badge.className = `badge embedding-${current}`;
      if (current === "ready" || current === "failed") return;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      body = await api(`${data.urls.embeddings}?frame_ids=${frame.id}`);
    }
  } catch (error) { badge.hidden = true; }
}

// Resolves once the frame and its masks are drawn (or the annotator moved on meanwhile).
export async function showFrame(index) {
  index = Math.max(0, Math.min(frames.length - 1, index));
  if (index === state.index) return;
  if (state.editor && !leaveEditing()) return;
  const direction = index >= state.index ? 1 : -1;
  state.index = index;
  watchEmbedding(index, direction);
  state.points = [];
  state.redoPoints = [];
  state.preview = null;
  state.selectedMaskId = null;
  state.shape = null;
  if (state.refine) stopRefining();
  const frame = frames[index];
  $("frame-slider").value = index;
  $("frame-label").textContent = `${index + 1} / ${frames.length}`;
  const url = new URL(window.location);
  url.searchParams.set("frame", index);
  window.history.replaceState(null, "", url);
  timeline.setCurrent(index);
  renderThumbs();
  updatePointsUi();
  actions.frameChanged(index);
  const image = await loadImage(frame.url);
  if (state.index !== index) return;  // the annotator moved on meanwhile
  state.image = image;
  if (canvas.width !== image.naturalWidth || canvas.height !== image.naturalHeight) {
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    // As large as the column allows while the frame and the timeline stay on screen.
    canvas.style.width = `min(100%, calc((100vh - 330px) * ${image.naturalWidth / image.naturalHeight}))`;
    viewport.apply();  // the zoom label follows the new on-screen size
  }
  draw();
  for (const neighbour of [index + direction, index - direction, index + 2 * direction, index + 3 * direction]) {
    if (neighbour >= 0 && neighbour < frames.length) loadImage(frames[neighbour].url).catch(() => {});
  }
  await refreshMasks({ cached: true });
  prefetchMasks(index, direction);
}
