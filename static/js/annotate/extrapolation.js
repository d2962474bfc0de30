// Extrapolation jobs: start one from a saved mask, and follow it (or one the page did not start) to its end with
// the one poller of every page (js/jobs.js, a classic script loaded before the modules: window.Workbench).
import { $, data } from "./page.js";
import { api, post } from "./api.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { refreshMasks } from "./masks.js";
import { refreshTimeline } from "./overview.js";

const { followJob } = window.Workbench;

// ``request``: {mask_id} of the keyframe.
export async function extrapolate(request) {
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

// Follows the job to its end: masks appear as they are written, and at the end the status line says how it
// ended and the frame's masks and the timeline are read again.
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
export async function followActiveJob() {
  if (state.job) return;
  try {
    const body = await api(`${data.urls.jobs}?active=1`);
    if (body.jobs.length && !state.job) watchJob(body.jobs[0]);
  } catch (error) { /* the page works without it */ }
}

export async function cancelJob() {
  if (!state.job) return;
  try { showJob(await api(state.job.cancel_url, { method: "POST" })); } catch (error) { setStatus(error.message, true); }
}
