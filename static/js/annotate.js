// The annotation page: a frame on a canvas, + / − points, live mask preview, saved masks as overlays.
// Plain JavaScript; talks to the JSON API (/generate_mask/, /api/...), with the page's CSRF token.
(function () {
  "use strict";

  const data = JSON.parse(document.getElementById("page-data").textContent);
  const csrfToken = document.querySelector("[name=csrfmiddlewaretoken]").value;
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  const frames = data.frames;
  const tagsById = new Map(data.tags.map((t) => [t.id, t]));

  const state = {
    index: -1,
    image: null,          // HTMLImageElement of the current frame
    points: [],           // [{x, y, sign}]
    preview: null,        // {overlay: canvas, area, ms}
    previewSeq: 0,        // discards stale preview answers
    masks: [],            // saved masks of the current frame
    hiddenMasks: new Set(),
    hiddenTags: new Set(),
    overlays: new Map(),  // mask id -> tinted canvas
    imageCache: new Map(),
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
    const lctx = layer.getContext("2d");
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

  // ---------- drawing ----------
  function draw() {
    if (!state.image) return;
    ctx.drawImage(state.image, 0, 0);
    const showAll = $("show-all").checked;
    for (const mask of state.masks) {
      const layer = state.overlays.get(mask.id);
      if (!layer || !showAll || state.hiddenMasks.has(mask.id) || state.hiddenTags.has(mask.tag_id)) continue;
      ctx.drawImage(layer, 0, 0);
    }
    if (state.preview) ctx.drawImage(state.preview.overlay, 0, 0);
    const radius = Math.max(4, canvas.width / 110);
    for (const p of state.points) {
      ctx.beginPath();
      ctx.arc(p.x, p.y, radius, 0, 2 * Math.PI);
      ctx.fillStyle = p.sign === "+" ? "#16a34a" : "#dc2626";
      ctx.fill();
      ctx.lineWidth = Math.max(1.5, radius / 3);
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  }

  // ---------- frames ----------
  // SAM only: ask the worker for the embeddings of the frames ahead, and show this frame's state.
  async function watchEmbedding(index, direction) {
    if (data.segmenter.kind !== "sam") return;
    const badge = $("embedding-state");
    const frame = frames[index];
    let body;
    try {
      body = await api(data.urls.embeddings, { method: "POST", body: JSON.stringify({ frame_index: index, direction }) });
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
    const direction = index >= state.index ? 1 : -1;
    state.index = index;
    watchEmbedding(index, direction);
    state.points = [];
    state.preview = null;
    const frame = frames[index];
    $("frame-slider").value = index;
    $("frame-label").textContent = `${index + 1} / ${frames.length}`;
    const url = new URL(window.location);
    url.searchParams.set("frame", index);
    window.history.replaceState(null, "", url);
    renderThumbs();
    updatePointsUi();
    const image = await loadImage(frame.url);
    if (state.index !== index) return;  // the annotator moved on meanwhile
    state.image = image;
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    // As large as the column allows while the whole frame stays on screen.
    canvas.style.width = `min(100%, calc((100vh - 240px) * ${image.naturalWidth / image.naturalHeight}))`;
    draw();
    await refreshMasks();
    for (const neighbour of [index + 1, index - 1, index + 2]) {
      if (neighbour >= 0 && neighbour < frames.length) loadImage(frames[neighbour].url).catch(() => {});
    }
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

  // ---------- saved masks ----------
  async function refreshMasks() {
    const frame = frames[state.index];
    const index = state.index;
    const body = await api(`${data.urls.masks}?frame_id=${frame.id}`);
    if (state.index !== index) return;
    state.masks = body.masks;
    frame.mask_count = body.masks.length;
    await Promise.all(body.masks.filter((m) => !state.overlays.has(m.id)).map(async (m) => {
      state.overlays.set(m.id, await tintedOverlay(m.url, m.color));
    }));
    if (state.index !== index) return;
    renderMaskList();
    renderThumbs();
    draw();
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
        row.className = `mask-row ${mask.source}`;
        row.dataset.maskId = mask.id;
        row.innerHTML = `<input type="checkbox" class="toggle-mask" title="Show or hide this mask" ${state.hiddenMasks.has(mask.id) ? "" : "checked"}>
          <span class="swatch"></span><span class="info"></span>
          ${mask.source === "manual" ? '<button type="button" class="small extrapolate-mask" title="Propagate this mask (and the other keyframes of its track) to every frame">Extrapolate</button>' : ""}
          ${mask.track_id ? '<button type="button" class="small danger delete-track" title="Delete every mask of this track in the sequence">Delete track</button>' : ""}
          <button type="button" class="small danger delete-mask" title="Delete this mask">Delete</button>`;
        row.querySelector(".swatch").style.background = mask.color;
        const detail = mask.source === "propagated"
          ? `propagated · confidence ${(mask.confidence ?? 0).toFixed(2)}`
          : `${mask.track_id ? "keyframe" : "manual"} · ${mask.segmenter}`;
        row.querySelector(".info").textContent = `#${mask.id} · ${mask.area} px · ${detail}`;
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

  async function deleteMask(mask) {
    try {
      await api(`${data.urls.mask}${mask.id}/`, { method: "DELETE" });
      state.overlays.delete(mask.id);
      setStatus(`Deleted mask #${mask.id}.`);
      await refreshMasks();
    } catch (error) { setStatus(error.message, true); }
  }

  async function deleteTagMasks(tagId, tagName) {
    if (!window.confirm(`Delete every “${tagName}” mask of the whole sequence? This cannot be undone.`)) return;
    try {
      const body = await api(`${data.urls.tag_masks}${tagId}/masks/`, { method: "DELETE" });
      setStatus(`Deleted ${body.deleted} “${tagName}” masks in the sequence.`);
      for (const frame of frames) frame.mask_count = undefined;
      await refreshMasks();
    } catch (error) { setStatus(error.message, true); }
  }

  async function deleteTrack(trackId, tagName) {
    if (!window.confirm(`Delete the whole track ${trackId} (“${tagName}”): its keyframes and every propagated mask?`)) return;
    try {
      const body = await api(`${data.urls.track}${trackId}/`, { method: "DELETE" });
      setStatus(`Deleted track ${trackId}: ${body.deleted} masks.`);
      await refreshFrameCounts();
      await refreshMasks();
    } catch (error) { setStatus(error.message, true); }
  }

  async function refreshFrameCounts() {
    const body = await api(data.urls.frames);
    body.frames.forEach((frame, i) => { if (frames[i]) frames[i].mask_count = frame.mask_count; });
    renderThumbs();
  }

  // ---------- extrapolation jobs ----------
  async function extrapolate(request) {
    try {
      const job = await api(data.urls.extrapolate, { method: "POST", body: JSON.stringify(request) });
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

  function watchJob(job) {
    state.job = job;
    showJob(job);
    let lastDone = job.done;
    const poll = async () => {
      if (state.job !== job) return;
      try {
        job = await api(job.status_url);
        state.job = job;
      } catch (error) { setStatus(error.message, true); return; }
      showJob(job);
      if (job.done !== lastDone) { lastDone = job.done; refreshMasks(); }
      if (["queued", "running"].includes(job.state)) setTimeout(poll, 600);
      else { refreshMasks(); refreshFrameCounts(); }
    };
    setTimeout(poll, 400);
  }

  $("job-cancel").addEventListener("click", async () => {
    if (!state.job) return;
    try { showJob(await api(state.job.cancel_url, { method: "POST" })); } catch (error) { setStatus(error.message, true); }
  });

  // ---------- points and preview ----------
  function canvasPoint(event) {
    const rect = canvas.getBoundingClientRect();
    const x = ((event.clientX - rect.left) * canvas.width) / rect.width;
    const y = ((event.clientY - rect.top) * canvas.height) / rect.height;
    const clamp = (v, max) => Math.round(Math.max(0, Math.min(max, v)) * 10) / 10;
    return { x: clamp(x, canvas.width - 1), y: clamp(y, canvas.height - 1) };
  }

  function addPoint(event, sign) {
    if (!state.image) return;
    event.preventDefault();
    state.points.push({ ...canvasPoint(event), sign });
    pointsChanged();
  }

  function pointsChanged() {
    updatePointsUi();
    draw();
    requestPreview();
  }

  function updatePointsUi() {
    const plus = state.points.filter((p) => p.sign === "+").length;
    const minus = state.points.length - plus;
    $("points-info").textContent = state.points.length ? `${plus} + / ${minus} − points` : "No points";
    $("save-mask").disabled = plus === 0 || !state.preview || !$("tag-select").value;
    $("save-extrapolate").disabled = $("save-mask").disabled;
    $("undo-point").disabled = !state.points.length;
    $("clear-points").disabled = !state.points.length;
  }

  async function requestPreview() {
    const seq = ++state.previewSeq;
    if (!state.points.some((p) => p.sign === "+")) {
      state.preview = null;
      updatePointsUi();
      draw();
      if (state.points.length) setStatus("Add a + point on the object.");
      return;
    }
    setStatus("Segmenting…");
    const frame = frames[state.index];
    try {
      const body = await api(data.urls.generate, {
        method: "POST",
        body: JSON.stringify({ sequence_id: data.sequence.id, frame_id: frame.id, points: state.points, preview: true }),
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
    const tagId = parseInt($("tag-select").value, 10);
    const frame = frames[state.index];
    $("save-mask").disabled = true;
    $("save-extrapolate").disabled = true;
    try {
      const mask = await api(data.urls.generate, {
        method: "POST",
        body: JSON.stringify({
          sequence_id: data.sequence.id, frame_id: frame.id, points: state.points,
          tag_id: tagId, mask_color: $("mask-color").value.toUpperCase(),
        }),
      });
      state.points = [];
      state.preview = null;
      updatePointsUi();
      setStatus(`Saved mask #${mask.id} (${mask.tag}, ${mask.area} px).`);
      await refreshMasks();
      if (thenExtrapolate) await extrapolate({ mask_id: mask.id });
    } catch (error) {
      setStatus(error.message, true);
      updatePointsUi();
    }
  }

  // ---------- set-up ----------
  function fillTags() {
    const select = $("tag-select");
    const kinds = { pathology: "Pathological findings", landmark: "Anatomical landmarks", quality: "Quality findings" };
    for (const [kind, label] of Object.entries(kinds)) {
      const group = document.createElement("optgroup");
      group.label = label;
      for (const tag of data.tags.filter((t) => t.kind === kind)) {
        const option = document.createElement("option");
        option.value = tag.id;
        option.textContent = tag.name;
        group.appendChild(option);
      }
      if (group.children.length) select.appendChild(group);
    }
    if (!data.tags.length) {
      setStatus("No tag is defined: add tags in the admin before saving masks.", true);
      return;
    }
    const useTagColour = () => { $("mask-color").value = tagsById.get(parseInt(select.value, 10)).color.toLowerCase(); };
    select.addEventListener("change", () => { useTagColour(); requestPreview(); });
    useTagColour();
  }

  canvas.addEventListener("click", (event) => addPoint(event, event.shiftKey ? "-" : "+"));
  canvas.addEventListener("contextmenu", (event) => addPoint(event, "-"));
  $("undo-point").addEventListener("click", () => { state.points.pop(); pointsChanged(); });
  $("clear-points").addEventListener("click", () => { state.points = []; pointsChanged(); });
  $("save-mask").addEventListener("click", () => saveMask());
  $("save-extrapolate").addEventListener("click", () => saveMask({ thenExtrapolate: true }));
  $("mask-color").addEventListener("change", () => requestPreview());
  $("show-all").addEventListener("change", draw);
  $("frame-slider").max = frames.length - 1;
  $("frame-slider").addEventListener("input", (event) => showFrame(parseInt(event.target.value, 10)));
  $("prev-frame").addEventListener("click", () => showFrame(state.index - 1));
  $("next-frame").addEventListener("click", () => showFrame(state.index + 1));
  window.addEventListener("resize", renderThumbs);
  document.addEventListener("keydown", (event) => {
    // Typing in a field (and the slider's own arrows) is not a shortcut; a checked checkbox keeps them.
    const target = event.target;
    if (target.closest("select, textarea") || (target.tagName === "INPUT" && target.type !== "checkbox")) return;
    if (event.key === "ArrowRight") { event.preventDefault(); showFrame(state.index + 1); }
    else if (event.key === "ArrowLeft") { event.preventDefault(); showFrame(state.index - 1); }
    else if (event.key === "Escape") { state.points = []; pointsChanged(); }
    else if (event.key === "Enter") { event.preventDefault(); saveMask(); }
    else if (event.key === "e" && !event.ctrlKey && !event.metaKey) { saveMask({ thenExtrapolate: true }); }
    else if ((event.ctrlKey || event.metaKey) && event.key === "z") { event.preventDefault(); state.points.pop(); pointsChanged(); }
  });

  fillTags();
  showFrame(data.start_index);
  api(`${data.urls.jobs}?active=1`).then((body) => { if (body.jobs.length) watchJob(body.jobs[0]); }).catch(() => {});
})();
