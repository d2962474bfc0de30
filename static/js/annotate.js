// The annotation page's entry module: a frame on a canvas (zoom and pan), + / − points with a live mask preview
// (also refining a saved mask), polygon and box drawing, saved masks as overlays, brush and eraser edits of a
// saved mask, review of proposals (undo of a reject or delete), frame findings, comments, playing the sequence,
// and the timeline. ES modules, no build step: each part with one job lives in js/annotate/ and shares the one
// declared state (js/annotate/state.js); this module makes the panels, connects the buttons and starts the page.
// js/jobs.js, a classic script loaded before, follows the extrapolation jobs.
import { $, data, frames, urls } from "./annotate/page.js";
import { api, post } from "./annotate/api.js";
import { setStatus } from "./annotate/status.js";
import { state } from "./annotate/state.js";
import { actions } from "./annotate/actions.js";
import { display, draw, viewport } from "./annotate/canvas.js";
import { renderThumbs } from "./annotate/thumbs.js";
import { nextToReview, refreshTimeline, timeline } from "./annotate/overview.js";
import { undoRemove } from "./annotate/masks.js";
import { cancelJob, followActiveJob } from "./annotate/extrapolation.js";
import {
  clearPoints, redoPoint, requestPreview, saveMask, setDrawTool, setMode, stopRefining, undoPoint,
} from "./annotate/prompts.js";
import { leaveEditing, redo, saveEdits, setBrushSize, setTool, stopEditing, undo } from "./annotate/editing.js";
import { renderMaskList } from "./annotate/mask-list.js";
import { showFrame } from "./annotate/frames.js";
import { bindPointer, setHand } from "./annotate/pointer.js";
import { fillTagSelect, fillTags } from "./annotate/tags.js";
import { unsavedWork } from "./annotate/unsaved.js";
import { installShortcuts, toggleHelp } from "./annotate/shortcuts.js";
import { bindDisplayPanel } from "./annotate/display.js";
import { guardLeaving } from "./annotate/focus.js";
import { Findings } from "./annotate/findings.js";
import { Comments } from "./annotate/comments.js";
import { Player } from "./annotate/player.js";

// ---------- the panels ----------
const findings = new Findings({
  api, urls, currentIndex: () => state.index, showFrame: (index) => showFrame(index),
  onChanged: () => refreshTimeline(), setStatus,
});

const comments = new Comments({
  api, urls, list: $("comment-list"), form: $("comment-form"), text: $("comment-text"), about: $("comment-about"),
  onCounts: (counts) => timeline.setComments(counts), onError: (error) => setStatus(error.message, true),
});

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

Object.assign(actions, {
  showFrame,
  leaveEditing,
  frameChanged: (index) => findings.frameChanged(index),
  masksShown: (frame, masks) => { renderMaskList(); comments.show(frame, masks); },
});

// ---------- the controls ----------
$("sequence-status").addEventListener("change", async (event) => {
  try {
    const body = await post(data.urls.status, { status: event.target.value });
    setStatus(`The sequence is now ${body.label.toLowerCase()}.`);
  } catch (error) { setStatus(error.message, true); }
});
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
$("job-cancel").addEventListener("click", cancelJob);
$("play").addEventListener("click", togglePlay);
$("play-speed").addEventListener("change", (event) => { player.fps = Number(event.target.value); });
for (const tool of ["clicks", "polygon", "box"]) $(`tool-${tool}`).addEventListener("click", () => setDrawTool(tool));
$("cancel-refine").addEventListener("click", stopRefining);
$("undo-remove").addEventListener("click", undoRemove);
bindPointer();
bindDisplayPanel(display, draw);
installShortcuts({ findings, togglePlay });
guardLeaving(unsavedWork);

// ---------- start ----------
fillTags();
// Frame-level findings are mostly quality and landmarks: those come first.
fillTagSelect($("finding-tag"), { quality: "Quality findings", landmark: "Anatomical landmarks", pathology: "Pathological findings" });
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
