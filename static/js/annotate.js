// The annotation page: a frame on a canvas (zoom and pan), + / − points with a live mask preview (also
// refining a saved mask), polygon and box drawing, saved masks as overlays, brush and eraser edits of a saved
// mask, review of propagated masks (undo of a reject or delete), frame findings, comments, playing the
// sequence, and the timeline. Plain JavaScript; talks to the JSON API with the page's CSRF token. The parts
// with one job each live in js/annotate/ (viewport, editor, timeline, display, shapes, player, comments,
// findings, focus) and js/jobs.js, loaded before this file; this file holds the page's state (the frame, its
// masks, points and tools) and wires them together.
(function () {
  "use strict";

  const {
    Viewport, MaskEditor, Timeline, followJob, DisplayAdjust, Shape, Player, Comments, Findings,
    keyBelongsTo, keepKeysForThePage, guardLeaving,
  } = window.Workbench;
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const csrfToken = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  const tagsById = new Map(data.tags.map((t) => [t.id, t]));
  const OVERLAY_CACHE = 96;
  // A mask smaller than this is almost always a stray click or stroke: saving one asks first.
  const MIN_MASK_PIXELS = 20;
  const urls = {
    ...data.urls,
    comments: `/api/sequences/${data.sequence.id}/comments/`,
    comment: "/api/comments/",
    restore: "/api/masks/restore/",
  };
  const display = new DisplayAdjust($("annotate").dataset.user || "anonymous");

  // The frames arrive as parallel arrays (see sequences.views.compact_frames).
  const frames = (() => {
    const f = data.frames, media = f.media_url;
    return f.ids.map((id, index) => ({
      id, index,
      url: media + f.image_prefix + f.images[index],
      thumbnail_url: media + f.thumbnail_prefix + f.thumbnails[index],
      width: f.size ? f.size[0] : f.sizes[index][0],
      height: f.size ? f.size[1] : f.sizes[index][1],
      mask_count: f.mask_counts[index],
    }));
  })();

  const state = {
    index: -1,
    image: null,          // HTMLImageElement of the current frame
    points: [],           // [{x, y, sign}]
    redoPoints: [],
    mode: "+",            // the sign a plain left-click adds
    preview: null,        // {overlay: canvas, area, ms}
    previewSeq: 0,        // discards stale preview answers
    masks: [],            // saved masks of the current frame
    selectedMaskId: null,
    hiddenMasks: new Set(),
    hiddenTags: new Set(),
    overlays: new Map(),  // mask id -> tinted canvas (most recently used last)
    imageCache: new Map(),
    editor: null,         // MaskEditor while a mask's pixels are edited
    editMask: null,
    tool: "point",        // "point" or "hand"
    spaceHeld: false,
    pan: null,            // {x, y} of the pointer while panning
    pointer: null,        // frame coordinates of the pointer over the canvas
    job: null,
    drawTool: "clicks",   // "clicks", "polygon" or "box": what a click on the frame does
    shape: null,          // Shape being drawn (polygon or box)
    refine: null,         // the saved mask the clicks correct (issue 13), or null
    removed: [],          // masks deleted or rejected on this page, newest last: {mask, png}, for Undo
  };

  // ---------- helpers ----------
  function api(url, options = {}) {
    const headers = { "X-CSRFToken": csrfToken, ...(options.body ? { "Content-Type": "application/json" } : {}) };
    return fetch(url, { credentials: "same-origin", ...options, headers }).then(async (response) => {
      const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
      if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
      return body;
    });
  }
  const post = (url, body) => api(url, { method: "POST", body: JSON.stringify(body) });

  function setStatus(text, isError = false) {
    const status = $("status");
    status.textContent = text;
    status.classList.toggle("error", isError);
  }

  function hexToRgb(hex) {
    const value = parseInt(hex.slice(1), 16);
    return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
  }

  function loadImage(url) {
    if (!state.imageCache.has(url)) {
      state.imageCache.set(url, new Promise((resolve, reject) => {
        const image = new Image();
        image.onload = () => resolve(image);
        image.onerror = () => reject(new Error(`cannot load ${url}`));
        image.src = url;
      }));
      if (state.imageCache.size > 64) state.imageCache.delete(state.imageCache.keys().next().value);
    }
    return state.imageCache.get(url);
  }

  // A binary mask PNG turned into a translucent overlay of one colour, with its outline opaque.
  async function tintedOverlay(url, color) {
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

  function rememberOverlay(id, layer) {
    state.overlays.delete(id);
    state.overlays.set(id, layer);
    const keep = new Set(state.masks.map((m) => m.id));
    for (const key of state.overlays.keys()) {
      if (state.overlays.size <= OVERLAY_CACHE) break;
      if (!keep.has(key)) state.overlays.delete(key);
    }
  }

  // ---------- drawing ----------
  function draw() {
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
  function screenScale() {
    return canvas.getBoundingClientRect().width / canvas.width || 1;
  }

  const viewport = new Viewport(canvas, () => {
    $("zoom-level").textContent = `${Math.round(screenScale() * 100)} %`;
    draw();
  });

  // ---------- frames ----------
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

  async function showFrame(index) {
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
    findings.frameChanged(index);
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

  function frameShown(index) {
    canvas.dataset.frame = index;
    document.dispatchEvent(new CustomEvent("annotate:frame", { detail: { index } }));
  }

  function renderThumbs() {
    const strip = $("thumbs");
    const span = Math.max(3, Math.floor(strip.clientWidth / 84 / 2));
    const start = Math.max(0, Math.min(state.index - span, frames.length - 2 * span - 1));
    strip.replaceChildren();
    for (let i = start; i < Math.min(frames.length, start + 2 * span + 1); i++) {
      const figure = document.createElement("figure");
      figure.dataset.index = i;
      figure.className = (i === state.index ? "current " : "") + (frames[i].mask_count ? "has-masks" : "");
      figure.innerHTML = `<img src="${frames[i].thumbnail_url}" alt="frame ${i + 1}" loading="lazy"><figcaption>${i + 1}</figcaption>`;
      figure.addEventListener("click", () => showFrame(i));
      strip.appendChild(figure);
    }
  }

  // ---------- timeline ----------
  const allTags = new Map(data.all_tags.map(([id, name, color]) => [id, { name, color }]));
  const timeline = new Timeline($("timeline"), { frameCount: frames.length, tags: allTags, onSeek: (i) => showFrame(i) });

  async function refreshTimeline() {
    try {
      const [body, review] = await Promise.all([api(data.urls.timeline), api(data.urls.review)]);
      timeline.setData(body);
      timeline.setReview(review);
      timeline.setCurrent(state.index);
      const withMasks = timeline.framesWithMasks();
      frames.forEach((frame, i) => { frame.mask_count = withMasks.has(i) ? Math.max(1, frame.mask_count || 0) : 0; });
      const waiting = timeline.awaitingReview();
      $("review-count").textContent = waiting ? `(${waiting})` : "";
      $("next-review").disabled = !waiting;
      renderThumbs();
    } catch (error) { setStatus(error.message, true); }
  }

  function nextToReview() {
    const index = timeline.nextToReview(state.index);
    if (index < 0) { setStatus("Nothing awaits review: every proposed mask is accepted and no frame was left empty."); return; }
    showFrame(index);
  }

  // ---------- saved masks ----------
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
      while (maskCache.size > 12) maskCache.delete(maskCache.keys().next().value);
    }
    return maskCache.get(index);
  }

  function prefetchMasks(index, direction) {
    for (const neighbour of [index + direction, index + 2 * direction, index - direction]) {
      if (neighbour >= 0 && neighbour < frames.length) frameMasks(neighbour).catch(() => {});
    }
  }

  async function refreshMasks({ cached = false } = {}) {
    if (!cached) maskCache.clear();
    const index = state.index;
    const masks = await frameMasks(index);
    if (state.index !== index) return;
    state.masks = masks;
    frames[index].mask_count = masks.length;
    for (const m of masks) if (!state.overlays.has(m.id)) rememberOverlay(m.id, await tintedOverlay(m.url, m.color));
    if (state.index !== index) return;
    renderMaskList();
    comments.show(frames[index], masks);
    draw();
    frameShown(index);
  }

  // Masks a machine proposed (propagated, or a trained model's pre-annotation): reviewed like one another.
  function isProposal(mask) { return mask.source === "propagated" || mask.source === "model"; }

  function maskDetail(mask) {
    if (isProposal(mask)) {
      const review = mask.reviewed_at ? ` · accepted${mask.reviewed_by ? ` by ${mask.reviewed_by}` : ""}` : "";
      const low = mask.confidence !== null && mask.confidence < data.low_confidence && !mask.reviewed_at ? " · low" : "";
      const origin = mask.source === "model" ? `model proposal (${mask.segmenter})` : "propagated";
      return `${origin} · confidence ${(mask.confidence ?? 0).toFixed(2)}${low}${review}`;
    }
    return `${mask.track_id ? "keyframe" : "manual"} · ${mask.segmenter}`;
  }

  function renderMaskList() {
    const list = $("mask-list");
    list.replaceChildren();
    if (!state.masks.length) {
      list.innerHTML = '<p class="muted small">No mask on this frame yet.</p>';
      return;
    }
    const groups = new Map();
    for (const mask of state.masks) {
      if (!groups.has(mask.tag_id)) groups.set(mask.tag_id, []);
      groups.get(mask.tag_id).push(mask);
    }
    for (const [tagId, masks] of groups) {
      const group = document.createElement("div");
      group.className = "tag-group";
      group.dataset.tagId = tagId;
      const head = document.createElement("div");
      head.className = "tag-head";
      head.innerHTML = `<input type="checkbox" class="toggle-tag" title="Show or hide every mask of this tag" ${state.hiddenTags.has(tagId) ? "" : "checked"}>
        <span class="name"></span>
        <button type="button" class="small danger delete-tag" title="Delete every mask of this tag in the whole sequence">Delete all in sequence</button>`;
      head.querySelector(".name").textContent = masks[0].tag;
      head.querySelector(".toggle-tag").addEventListener("change", (event) => {
        if (event.target.checked) state.hiddenTags.delete(tagId); else state.hiddenTags.add(tagId);
        draw();
      });
      head.querySelector(".delete-tag").addEventListener("click", () => deleteTagMasks(tagId, masks[0].tag));
      group.appendChild(head);
      for (const mask of masks) {
        const row = document.createElement("div");
        const pending = isProposal(mask) && !mask.reviewed_at;
        row.className = `mask-row ${mask.source}${pending ? " pending" : ""}${mask.reviewed_at ? " accepted" : ""}${mask.id === state.selectedMaskId ? " selected" : ""}`;
        row.dataset.maskId = mask.id;
        row.innerHTML = `<input type="checkbox" class="toggle-mask" title="Show or hide this mask" ${state.hiddenMasks.has(mask.id) ? "" : "checked"}>
          <span class="swatch"></span><span class="info"></span>
          <span class="actions">
          ${pending ? '<button type="button" class="small accept-mask" title="The proposed mask is right (A)">Accept</button><button type="button" class="small danger reject-mask" title="The proposed mask is wrong: delete it (R)">Reject</button>' : ""}
          <button type="button" class="small edit-mask" title="Fix the pixels with a brush and an eraser (B)">Edit</button>
          <button type="button" class="small refine-mask" title="Correct it with + / − clicks, starting from its pixels (Shift+R)">Refine with clicks</button>
          ${mask.source === "manual" ? '<button type="button" class="small extrapolate-mask" title="Propagate this mask (and the other keyframes of its track) to every frame">Extrapolate</button>' : ""}
          ${mask.track_id ? '<button type="button" class="small danger delete-track" title="Delete every mask of this track in the sequence">Delete track</button>' : ""}
          <button type="button" class="small danger delete-mask" title="Delete this mask">Delete</button>
          </span>`;
        row.querySelector(".swatch").style.background = mask.color;
        row.querySelector(".info").textContent = `#${mask.id} · ${mask.area} px · ${maskDetail(mask)}`;
        row.querySelector(".info").addEventListener("click", () => selectMask(mask.id));
        row.querySelector(".accept-mask")?.addEventListener("click", () => reviewMask(mask, "accept"));
        row.querySelector(".reject-mask")?.addEventListener("click", () => reviewMask(mask, "reject"));
        row.querySelector(".edit-mask").addEventListener("click", () => startEditing(mask));
        row.querySelector(".refine-mask").addEventListener("click", () => startRefining(mask));
        row.querySelector(".extrapolate-mask")?.addEventListener("click", () => extrapolate({ mask_id: mask.id }));
        row.querySelector(".delete-track")?.addEventListener("click", () => deleteTrack(mask.track_id, masks[0].tag));
        row.querySelector(".toggle-mask").addEventListener("change", (event) => {
          if (event.target.checked) state.hiddenMasks.delete(mask.id); else state.hiddenMasks.add(mask.id);
          draw();
        });
        row.querySelector(".delete-mask").addEventListener("click", () => deleteMask(mask));
        group.appendChild(row);
      }
      list.appendChild(group);
    }
  }

  function selectMask(id) {
    state.selectedMaskId = state.selectedMaskId === id ? null : id;
    for (const row of document.querySelectorAll(".mask-row")) {
      row.classList.toggle("selected", Number(row.dataset.maskId) === state.selectedMaskId);
    }
  }

  // The mask a shortcut acts on: the selected one, else the only one (or the first awaiting review).
  function targetMask({ pendingOnly = false } = {}) {
    const candidates = pendingOnly ? state.masks.filter((m) => isProposal(m) && !m.reviewed_at) : state.masks;
    return candidates.find((m) => m.id === state.selectedMaskId) || (pendingOnly || candidates.length === 1 ? candidates[0] : null);
  }

  // ---------- undo of a delete or a reject ----------
  // The server deletes a rejected or deleted mask with its file; the page keeps its pixels (read before the
  // removal) and record, and Undo saves them back as a new mask of the same tag, source and track
  // (POST /api/masks/restore/). Kept until the page is left.
  async function keptForUndo(mask) {
    const image = await loadImage(mask.url);
    const copy = document.createElement("canvas");
    copy.width = image.naturalWidth;
    copy.height = image.naturalHeight;
    copy.getContext("2d").drawImage(image, 0, 0);
    return { mask, png: copy.toDataURL("image/png") };
  }

  function remembered(kept, how) {
    state.removed.push({ ...kept, how });
    updateUndoRemove();
  }

  function updateUndoRemove() {
    const last = state.removed[state.removed.length - 1];
    $("undo-remove").hidden = !last;
    if (last) $("undo-remove").textContent = `Undo: bring back mask #${last.mask.id} (${last.how})`;
  }

  async function undoRemove() {
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
      if (state.index !== mask.frame_index) await showFrame(mask.frame_index);
      await Promise.all([refreshMasks(), refreshTimeline()]);
    } catch (error) { setStatus(error.message, true); }
  }

  async function deleteMask(mask, { confirmFirst = false } = {}) {
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

  async function deleteTagMasks(tagId, tagName) {
    if (!window.confirm(`Delete every “${tagName}” mask of the whole sequence? This cannot be undone.`)) return;
    try {
      const body = await api(`${data.urls.tag_masks}${tagId}/masks/`, { method: "DELETE" });
      setStatus(`Deleted ${body.deleted} “${tagName}” masks in the sequence.`);
      for (const frame of frames) frame.mask_count = undefined;
      await Promise.all([refreshMasks(), refreshTimeline()]);
    } catch (error) { setStatus(error.message, true); }
  }

  async function deleteTrack(trackId, tagName) {
    if (!window.confirm(`Delete the whole track ${trackId} (“${tagName}”): its keyframes and every propagated mask?`)) return;
    try {
      const body = await api(`${data.urls.track}${trackId}/`, { method: "DELETE" });
      setStatus(`Deleted track ${trackId}: ${body.deleted} masks.`);
      await refreshTimeline();
      await refreshMasks();
    } catch (error) { setStatus(error.message, true); }
  }

  async function reviewMask(mask, decision) {
    try {
      const kept = decision === "reject" ? await keptForUndo(mask) : null;
      await post(`${data.urls.mask}${mask.id}/review/`, { decision });
      if (kept) { remembered(kept, "rejected"); state.overlays.delete(mask.id); }
      setStatus(decision === "accept" ? `Accepted mask #${mask.id}.` : `Rejected mask #${mask.id}: deleted.`);
      await Promise.all([refreshMasks(), refreshTimeline()]);
    } catch (error) { setStatus(error.message, true); }
  }

  function reviewTarget(decision) {
    const mask = targetMask({ pendingOnly: true });
    if (!mask) { setStatus("No proposed mask awaits review on this frame."); return; }
    reviewMask(mask, decision);
  }

  // ---------- extrapolation jobs ----------
  async function extrapolate(request) {
    try {
      const job = await post(data.urls.extrapolate, request);
      setStatus(`Extrapolating from mask #${job.keyframe_mask_id}…`);
      watchJob(job);
      await refreshMasks();
    } catch (error) { setStatus(error.message, true); }
  }

  function showJob(job) {
    $("job-panel").hidden = false;
    $("job-progress").max = Math.max(1, job.total);
    $("job-progress").value = job.done;
    const counts = `${job.done} / ${job.total} frames · ${job.written} masks`;
    const text = {
      queued: "Queued: waiting for a worker…",
      running: `Running: ${counts}`,
      succeeded: `Done: ${counts}${job.left_to_annotator ? ` · ${job.left_to_annotator} frames left to you (object lost)` : ""}`,
      cancelled: `Cancelled: ${counts} kept`,
      failed: `Failed: ${job.error}`,
    }[job.state];
    $("job-text").textContent = text;
    $("job-panel").dataset.state = job.state;
    $("job-cancel").hidden = !["queued", "running"].includes(job.state);
  }

  // Follows the job to its end (js/jobs.js): masks appear as they are written, and at the end the status line
  // says how it ended and the frame's masks and the timeline are read again.
  function watchJob(job) {
    state.follow?.stop();
    state.job = job;
    showJob(job);
    let polls = 0;
    state.follow = followJob(job.status_url, {
      firstDelay: 400,
      onProgress: (status, changed) => {
        state.job = status;
        showJob(status);
        if (!changed) return;
        refreshMasks();
        if (++polls % 5 === 0) refreshTimeline();
      },
      onEnd: async (status) => {
        state.job = null;
        state.follow = null;
        showJob(status);
        setStatus({
          succeeded: `Extrapolation done: ${status.written} masks on ${status.done} frames.`,
          cancelled: `Extrapolation cancelled: the ${status.written} masks written are kept.`,
          failed: `Extrapolation failed: ${status.error}`,
        }[status.state] || `Extrapolation ${status.state}.`, status.state === "failed");
        await refreshTimeline();
        await refreshMasks();
      },
      onError: (error) => setStatus(`${error.message} Still following the job…`, true),
      onGone: () => { state.job = null; $("job-panel").hidden = true; },
    });
  }

  // A job the page did not start (another person's, or the rerun a correction of a track starts on the server
  // when it is saved) is followed too.
  async function followActiveJob() {
    if (state.job) return;
    try {
      const body = await api(`${data.urls.jobs}?active=1`);
      if (body.jobs.length && !state.job) watchJob(body.jobs[0]);
    } catch (error) { /* the page works without it */ }
  }

  $("job-cancel").addEventListener("click", async () => {
    if (!state.job) return;
    try { showJob(await api(state.job.cancel_url, { method: "POST" })); } catch (error) { setStatus(error.message, true); }
  });

  // ---------- points and preview ----------
  function framePoint(event) {
    const rect = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * canvas.width) / rect.width,
      y: ((event.clientY - rect.top) * canvas.height) / rect.height,
    };
  }

  function canvasPoint(event) {
    const { x, y } = framePoint(event);
    const clamp = (v, max) => Math.round(Math.max(0, Math.min(max, v)) * 10) / 10;
    return { x: clamp(x, canvas.width - 1), y: clamp(y, canvas.height - 1) };
  }

  function addPoint(event, sign) {
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

  // ---------- polygon and box ----------
  function setDrawTool(tool) {
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
    const tolerance = window.Workbench.SHAPE_CLOSE_DISTANCE / screenScale();
    const { x, y } = framePoint(event);
    const last = state.shape.vertices[state.shape.vertices.length - 1];
    if (last && Math.hypot(x - last[0], y - last[1]) < tolerance / 2) return;  // a double-click's second click
    state.shape.addVertex([x, y], tolerance);
    shapeChanged();
  }

  function shapeChanged() {
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
  function confirmSmall(area) {
    if (area >= MIN_MASK_PIXELS) return true;
    return window.confirm(`This mask has only ${area} pixel${area === 1 ? "" : "s"} (fewer than ${MIN_MASK_PIXELS}): `
      + "it may be a stray click or stroke. Save it anyway?");
  }

  // ---------- refining a saved mask with clicks (issue 13) ----------
  // The clicks start from the mask's pixels (POST /generate_mask/ with its mask_id): the preview shows the
  // corrected mask, and saving replaces that mask's pixels (a proposal so corrected becomes a keyframe by hand).
  function startRefining(mask) {
    if (!mask) { setStatus("Select a mask to refine (click its line in the list).", true); return; }
    if (state.editor && !leaveEditing()) return;
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

  function stopRefining() {
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

  function undoPoint() {
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

  function redoPoint() {
    if (!state.redoPoints.length) return;
    state.points.push(state.redoPoints.pop());
    pointsChanged();
  }

  function clearPoints() {
    if (state.shape) { state.shape = null; setStatus("Shape discarded."); shapeChanged(); return; }
    if (!state.points.length) { if (state.refine) stopRefining(); return; }
    state.redoPoints = [...state.points].reverse();
    state.points = [];
    pointsChanged();
  }

  function setMode(sign) {
    state.mode = sign;
    const button = $("mode-toggle");
    button.textContent = sign === "+" ? "+ points" : "− points";
    button.className = `small mode ${sign === "+" ? "plus" : "minus"}`;
  }

  function updatePointsUi() {
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

  async function requestPreview() {
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
      state.preview = { overlay, area: body.area, ms: body.ms };
      setStatus(`Preview: ${body.area} px · ${body.segmenter} · ${body.ms} ms`);
    } catch (error) {
      if (seq !== state.previewSeq) return;
      state.preview = null;
      setStatus(error.message, true);
    }
    updatePointsUi();
    draw();
  }

  async function saveMask({ thenExtrapolate = false } = {}) {
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

  // ---------- editing a mask's pixels ----------
  async function startEditing(mask, tool) {
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

  function setTool(tool) {
    if (!state.editor) return;
    state.editor.tool = tool;
    $("brush-tool").setAttribute("aria-pressed", String(tool === "brush"));
    $("eraser-tool").setAttribute("aria-pressed", String(tool === "eraser"));
    draw();
  }

  function setBrushSize(size) {
    size = Math.max(1, Math.min(80, size));
    $("brush-size").value = size;
    $("brush-size-value").textContent = size;
    if (state.editor) state.editor.size = size;
    draw();
  }

  function updateEditUi() {
    if (!state.editor) return;
    $("undo-stroke").disabled = !state.editor.canUndo();
    $("redo-stroke").disabled = !state.editor.canRedo();
    $("edit-info").textContent = state.editor.changed ? "Edited, not saved" : "No change yet";
  }

  function stopEditing() {
    state.editor = null;
    state.editMask = null;
    $("edit-panel").hidden = true;
    $("prompt-panel").hidden = false;
    canvas.classList.remove("editing");
    updatePointsUi();
    draw();
  }

  // Leave the editor; asks first when strokes would be lost. Returns whether it was left.
  function leaveEditing() {
    if (state.editor.changed && !window.confirm("Discard the edits of this mask?")) return false;
    stopEditing();
    setStatus("Edits discarded.");
    return true;
  }

  async function saveEdits() {
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

  function undo() {
    if (state.editor) { if (state.editor.undo()) { updateEditUi(); draw(); } } else undoPoint();
  }

  function redo() {
    if (state.editor) { if (state.editor.redo()) { updateEditUi(); draw(); } } else redoPoint();
  }

  // ---------- pointer: points, strokes, panning ----------
  function wantsPan(event) {
    return event.button === 1 || state.spaceHeld || state.tool === "hand";
  }

  canvas.addEventListener("pointerdown", (event) => {
    state.suppressClick = false;
    if (wantsPan(event)) {
      event.preventDefault();
      state.pan = { x: event.clientX, y: event.clientY };
      canvas.setPointerCapture(event.pointerId);
      canvas.classList.add("panning");
      return;
    }
    if (state.drawTool === "box" && !state.editor && event.button === 0 && state.image) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const { x, y } = framePoint(event);
      state.boxStart = [x, y];
      state.shape = new Shape("box", canvas.width, canvas.height);
      return;
    }
    if (state.editor && (event.button === 0 || event.button === 2)) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      const { x, y } = framePoint(event);
      const tool = state.editor.tool;
      if (event.button === 2) state.editor.tool = "eraser";
      state.editor.strokeTool = tool;
      state.editor.beginStroke(x, y);
      draw();
    }
  });

  canvas.addEventListener("pointermove", (event) => {
    if (state.pan) {
      viewport.panBy(event.clientX - state.pan.x, event.clientY - state.pan.y);
      state.pan = { x: event.clientX, y: event.clientY };
      state.suppressClick = true;
      return;
    }
    state.pointer = framePoint(event);
    if (state.boxStart && state.shape) {
      state.shape.setBox(state.boxStart, [state.pointer.x, state.pointer.y]);
      draw();
      return;
    }
    if (state.shape && !state.shape.closed) { state.shape.pointer = [state.pointer.x, state.pointer.y]; draw(); }
    if (state.editor?.stroking) state.editor.strokeTo(state.pointer.x, state.pointer.y);
    if (state.editor) draw();
  });

  const endPointer = () => {
    if (state.pan) { state.pan = null; canvas.classList.remove("panning"); }
    if (state.boxStart) {
      state.boxStart = null;
      state.suppressClick = true;
      if (state.shape && !state.shape.area()) state.shape = null;  // a click, not a box
      shapeChanged();
    }
    if (state.editor?.stroking) {
      state.editor.endStroke();
      state.editor.tool = state.editor.strokeTool;
      updateEditUi();
      draw();
    }
  };
  canvas.addEventListener("pointerup", endPointer);
  canvas.addEventListener("pointercancel", endPointer);
  canvas.addEventListener("pointerleave", () => { state.pointer = null; if (state.editor) draw(); });
  canvas.addEventListener("auxclick", (event) => event.preventDefault());
  canvas.addEventListener("click", (event) => addPoint(event, event.shiftKey ? "-" : state.mode));
  canvas.addEventListener("contextmenu", (event) => addPoint(event, "-"));
  canvas.addEventListener("dblclick", (event) => {
    if (state.drawTool !== "polygon" || !state.shape) return;
    event.preventDefault();
    state.shape.close();
    shapeChanged();
  });
  $("canvas-wrap").addEventListener("wheel", (event) => {
    event.preventDefault();
    viewport.zoomAt(event.clientX, event.clientY, Math.exp(-event.deltaY * 0.0015));
  }, { passive: false });

  function setHand(on) {
    state.tool = on ? "hand" : "point";
    $("hand-tool").setAttribute("aria-pressed", String(on));
    canvas.classList.toggle("hand", on);
  }

  // ---------- frame findings (js/annotate/findings.js) ----------
  const findings = new Findings({
    api, urls, currentIndex: () => state.index, showFrame: (index) => showFrame(index),
    onChanged: () => refreshTimeline(), setStatus,
  });

  // ---------- sequence status ----------
  $("sequence-status").addEventListener("change", async (event) => {
    try {
      const body = await post(data.urls.status, { status: event.target.value });
      setStatus(`The sequence is now ${body.label.toLowerCase()}.`);
    } catch (error) { setStatus(error.message, true); }
  });

  // ---------- keyboard ----------
  const tagOptions = () => Array.from($("tag-select").options);
  function pickTag(number) {
    const option = tagOptions()[number - 1];
    if (!option) return;
    $("tag-select").value = option.value;
    $("tag-select").dispatchEvent(new Event("change"));
    setStatus(`Tag: ${tagsById.get(parseInt(option.value, 10)).name}`);
  }

  function toggleHelp(show) {
    const help = $("help");
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  // [keys shown in the help, description, test(event), action]
  const SHORTCUTS = [
    ["→ / ←", "Next / previous frame (Shift: 10 frames)", (e) => e.key === "ArrowRight" || e.key === "ArrowLeft",
      (e) => showFrame(state.index + (e.key === "ArrowRight" ? 1 : -1) * (e.shiftKey ? 10 : 1))],
    ["Home / End", "First / last frame", (e) => e.key === "Home" || e.key === "End", (e) => showFrame(e.key === "Home" ? 0 : frames.length - 1)],
    ["N", "Next frame to review (worst first: frames left empty, then low confidence)", (e) => e.key === "n", nextToReview],
    ["K", "Play / pause the sequence (with its masks; stops at the last frame)", (e) => e.key === "k", () => togglePlay()],
    ["C / P / D", "Draw with clicks / a polygon / a box", (e) => ["c", "p", "d"].includes(e.key),
      (e) => setDrawTool({ c: "clicks", p: "polygon", d: "box" }[e.key])],
    ["Shift+R", "Refine the selected mask with + / − clicks, starting from it", (e) => e.key === "R",
      () => startRefining(state.refine || targetMask())],
    ["M", "Switch clicks between + and − points", (e) => e.key === "m", () => setMode(state.mode === "+" ? "-" : "+")],
    ["+ / −", "Clicks add + points / − points", (e) => ["+", "=", "-"].includes(e.key), (e) => setMode(e.key === "-" ? "-" : "+")],
    ["1 … 9", "Choose one of the first nine tags", (e) => /^[1-9]$/.test(e.key), (e) => pickTag(parseInt(e.key, 10))],
    ["Enter / Ctrl+S", "Save the mask (the shape, the refinement, or the brush edits)", (e) => e.key === "Enter" || (e.key === "s" && (e.ctrlKey || e.metaKey)),
      () => (state.editor ? saveEdits() : saveMask())],
    ["E", "Save and extrapolate through the sequence", (e) => e.key === "e" && !state.editor, () => saveMask({ thenExtrapolate: true })],
    ["Ctrl+Z", "Undo the last point (or stroke)", (e) => e.key.toLowerCase() === "z" && (e.ctrlKey || e.metaKey) && !e.shiftKey, undo],
    ["Ctrl+Shift+Z / Ctrl+Y", "Redo", (e) => (e.ctrlKey || e.metaKey) && (e.key === "y" || (e.key.toLowerCase() === "z" && e.shiftKey)), redo],
    ["Esc", "Clear the points (or the shape), stop refining, leave the editor, close this help", (e) => e.key === "Escape", () => {
      if (!$("help").hidden) toggleHelp(false);
      else if (state.editor) leaveEditing();
      else clearPoints();
    }],
    ["U", "Undo the last delete or reject (brings the mask back)", (e) => e.key === "u", () => undoRemove()],
    ["V", "Show / hide the masks", (e) => e.key === "v", () => { $("show-all").checked = !$("show-all").checked; draw(); }],
    ["B / X", "Brush / eraser (edits the selected mask)", (e) => e.key === "b" || e.key === "x",
      (e) => startEditing(state.editMask || targetMask(), e.key === "b" ? "brush" : "eraser")],
    ["[ / ]", "Smaller / larger brush", (e) => e.key === "[" || e.key === "]", (e) => setBrushSize(parseInt($("brush-size").value, 10) + (e.key === "]" ? 2 : -2))],
    ["A", "Accept the proposed mask (propagated or a model's)", (e) => e.key === "a", () => reviewTarget("accept")],
    ["R", "Reject (delete) the proposed mask", (e) => e.key === "r", () => reviewTarget("reject")],
    ["Delete", "Delete the selected mask (asks first)", (e) => e.key === "Delete", () => {
      const mask = targetMask();
      if (mask) deleteMask(mask, { confirmFirst: true }); else setStatus("Select a mask first.");
    }],
    ["I / O", "Frame finding: first / last frame = this frame", (e) => e.key === "i" || e.key === "o",
      (e) => findings.setRangeEnd(e.key === "i" ? "first" : "last")],
    ["F", "Add the frame finding of the form", (e) => e.key === "f", () => findings.submit()],
    ["0", "Fit the frame in its place (the zoom label shows screen pixels per frame pixel: 100 % = 1:1)", (e) => e.key === "0", () => viewport.fit()],
    ["Wheel", "Zoom around the pointer", null, null],
    ["Space + drag / middle drag / H", "Pan (H toggles the hand tool)", (e) => e.key === "h", () => setHand(state.tool !== "hand")],
    ["?", "This help", (e) => e.key === "?", () => toggleHelp()],
  ];

  function fillHelp() {
    const table = $("help-table");
    for (const [keys, description] of SHORTCUTS) {
      const row = table.insertRow();
      row.insertCell().innerHTML = keys.split(" / ").map((k) => `<kbd>${k}</kbd>`).join(" / ");
      row.insertCell().textContent = description;
    }
  }

  // Keys go to the page whatever was clicked last (js/annotate/focus.js).
  keepKeysForThePage($("annotate"), ["tag-select", "sequence-status", "mask-color", "frame-slider", "brush-size", "play-speed"].map($));

  // Capture phase: the page's shortcuts are decided before a focused control acts on the key.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (keyBelongsTo(target, event)) {
      if (event.key === "Escape" && target.tagName !== "BUTTON") target.blur();
      return;
    }
    if (event.key === " ") {
      if (!state.spaceHeld) { state.spaceHeld = true; canvas.classList.add("hand"); }
      event.preventDefault();
      return;
    }
    if (event.altKey) return;
    const plain = !event.ctrlKey && !event.metaKey;
    for (const [keys, , test, action] of SHORTCUTS) {
      if (!test || !test(event)) continue;
      // Letters and digits are shortcuts only without Ctrl (Ctrl+C stays a copy); Ctrl combinations say so.
      if (!plain && !keys.includes("Ctrl") && event.key.length === 1) return;
      if (!$("help").hidden && event.key !== "?" && event.key !== "Escape") toggleHelp(false);
      event.preventDefault();
      action(event);
      return;
    }
  }, true);
  document.addEventListener("keyup", (event) => {
    if (event.key !== " " || keyBelongsTo(event.target, event)) return;
    event.preventDefault();  // a button presses itself on Space's release
    state.spaceHeld = false;
    canvas.classList.toggle("hand", state.tool === "hand");
  }, true);

  // ---------- leaving with unsaved work ----------
  // What would be lost by leaving the page now, in words, or null.
  function unsavedWork() {
    if (state.editor?.changed) return `the brush edits of mask #${state.editMask.id}`;
    if (state.shape?.started()) return `the ${state.shape.kind} you drew`;
    if (state.points.length) return `the ${state.points.length} point${state.points.length > 1 ? "s" : ""} of a new mask`;
    return null;
  }

  guardLeaving(unsavedWork);

  // ---------- set-up ----------
  // Fill a <select> with the tags grouped by kind, kinds in the given order; onTag(tag) sees each tag in order.
  function fillTagSelect(select, kinds, onTag = () => {}) {
    for (const [kind, label] of Object.entries(kinds)) {
      const group = document.createElement("optgroup");
      group.label = label;
      for (const tag of data.tags.filter((t) => t.kind === kind)) {
        const option = document.createElement("option");
        option.value = tag.id;
        option.textContent = tag.name;
        group.appendChild(option);
        onTag(tag);
      }
      if (group.children.length) select.appendChild(group);
    }
  }

  function fillTags() {
    const select = $("tag-select");
    let number = 0;
    fillTagSelect(select, { pathology: "Pathological findings", landmark: "Anatomical landmarks", quality: "Quality findings" }, (tag) => {
      if (++number > 9) return;
      const key = number;  // this chip's own number (the counter goes on)
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "small chip";
      chip.dataset.tagId = tag.id;
      chip.title = `${tag.name} (key ${key})`;
      chip.innerHTML = `<kbd>${key}</kbd> <span class="swatch"></span> `;
      chip.querySelector(".swatch").style.background = tag.color;
      chip.append(tag.name);
      chip.addEventListener("click", () => pickTag(key));
      $("quick-tags").appendChild(chip);
    });
    if (!data.tags.length) {
      setStatus("No tag is defined: add tags in the admin before saving masks.", true);
      return;
    }
    const useTagColour = () => {
      $("mask-color").value = tagsById.get(parseInt(select.value, 10)).color.toLowerCase();
      for (const chip of $("quick-tags").children) chip.setAttribute("aria-pressed", String(chip.dataset.tagId === select.value));
    };
    select.addEventListener("change", () => { useTagColour(); requestPreview(); });
    useTagColour();
  }

  $("undo-point").addEventListener("click", undoPoint);
  $("redo-point").addEventListener("click", redoPoint);
  $("clear-points").addEventListener("click", clearPoints);
  $("mode-toggle").addEventListener("click", () => setMode(state.mode === "+" ? "-" : "+"));
  $("save-mask").addEventListener("click", () => saveMask());
  $("save-extrapolate").addEventListener("click", () => saveMask({ thenExtrapolate: true }));
  $("mask-color").addEventListener("change", () => requestPreview());
  $("show-all").addEventListener("change", draw);
  $("frame-slider").max = frames.length - 1;
  $("frame-slider").addEventListener("input", (event) => showFrame(parseInt(event.target.value, 10)));
  $("prev-frame").addEventListener("click", () => showFrame(state.index - 1));
  $("next-frame").addEventListener("click", () => showFrame(state.index + 1));
  $("next-review").addEventListener("click", nextToReview);
  $("brush-tool").addEventListener("click", () => setTool("brush"));
  $("eraser-tool").addEventListener("click", () => setTool("eraser"));
  $("brush-size").addEventListener("input", (event) => setBrushSize(parseInt(event.target.value, 10)));
  $("brush-size").addEventListener("change", (event) => event.target.blur());
  $("undo-stroke").addEventListener("click", undo);
  $("redo-stroke").addEventListener("click", redo);
  $("save-edits").addEventListener("click", saveEdits);
  $("cancel-edits").addEventListener("click", () => { if (state.editor) leaveEditing(); });
  $("zoom-in").addEventListener("click", () => viewport.zoomCentre(1.5));
  $("zoom-out").addEventListener("click", () => viewport.zoomCentre(1 / 1.5));
  $("zoom-fit").addEventListener("click", () => viewport.fit());
  $("hand-tool").addEventListener("click", () => setHand(state.tool !== "hand"));
  $("help-button").addEventListener("click", () => toggleHelp());
  $("help").addEventListener("click", (event) => { if (event.target === $("help")) toggleHelp(false); });
  window.addEventListener("resize", () => { renderThumbs(); viewport.apply(); });

  // ---------- display: brightness, contrast, gamma ----------
  const DISPLAY_FIELDS = ["brightness", "contrast", "gamma"];
  function showDisplaySettings() {
    for (const name of DISPLAY_FIELDS) {
      const value = display.settings[name];
      $(`display-${name}`).value = value;
      $(`display-${name}-value`).textContent = name === "gamma" ? Number(value).toFixed(2) : String(value);
    }
    $("display-panel").classList.toggle("adjusted", !display.isNeutral());
  }
  for (const name of DISPLAY_FIELDS) {
    $(`display-${name}`).addEventListener("input", (event) => {
      display.set({ [name]: Number(event.target.value) });
      showDisplaySettings();
      draw();
    });
    $(`display-${name}`).addEventListener("change", (event) => event.target.blur());
  }
  $("display-reset").addEventListener("click", () => { display.reset(); showDisplaySettings(); draw(); });
  showDisplaySettings();

  // ---------- playing the sequence ----------
  const player = new Player({
    frameCount: frames.length,
    showFrame: (index) => showFrame(index),
    currentIndex: () => state.index,
    onChange: (playing) => {
      $("play").textContent = playing ? "Pause" : "Play";
      $("play").setAttribute("aria-pressed", String(playing));
      if (!playing) setStatus(`Stopped at frame ${state.index + 1}.`);
    },
  });
  function togglePlay() {
    if (!player.playing) {
      const what = unsavedWork();
      if (what && !window.confirm(`Playing moves to other frames: discard ${what}?`)) return;
      if (state.editor) stopEditing();
    }
    player.fps = Number($("play-speed").value);
    player.toggle();
  }
  $("play").addEventListener("click", togglePlay);
  $("play-speed").addEventListener("change", (event) => { player.fps = Number(event.target.value); });

  // ---------- comments ----------
  const comments = new Comments({
    api, urls, list: $("comment-list"), form: $("comment-form"), text: $("comment-text"), about: $("comment-about"),
    onCounts: (counts) => timeline.setComments(counts), onError: (error) => setStatus(error.message, true),
  });

  for (const tool of ["clicks", "polygon", "box"]) $(`tool-${tool}`).addEventListener("click", () => setDrawTool(tool));
  $("cancel-refine").addEventListener("click", stopRefining);
  $("undo-remove").addEventListener("click", undoRemove);

  fillTags();
  // Frame-level findings are mostly quality and landmarks: those come first.
  fillTagSelect($("finding-tag"), { quality: "Quality findings", landmark: "Anatomical landmarks", pathology: "Pathological findings" });
  fillHelp();
  setMode("+");
  setBrushSize(12);
  Promise.all([
    showFrame(data.start_index),
    refreshTimeline(),
    findings.load(),
    comments.load(),
  ]).then(() => {
    findings.resetForm();
    document.body.dataset.readyMs = Math.round(performance.now());
    document.body.dataset.ready = "1";  // the benchmark and the browser tests wait for this
  });
  followActiveJob();
})();
