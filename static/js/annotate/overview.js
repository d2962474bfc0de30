// The sequence at a glance, as the server reads it: the timeline under the frame (which frames hold masks of
// each tag and in which review state, the frame findings, the frames extrapolation left empty) and the review
// order behind "Next to review" (worst first). The page never works these out itself.
import { $, data, frames, allTags } from "./page.js";
import { api } from "./api.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { actions } from "./actions.js";
import { renderThumbs } from "./thumbs.js";
import { Timeline } from "./timeline.js";

export const timeline = new Timeline($("timeline"), {
  frameCount: frames.length, tags: allTags, onSeek: (index) => actions.showFrame(index),
});

// Read the timeline and the review order again (after any change of masks or findings).
export async function refreshTimeline() {
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

export function nextToReview() {
  const index = timeline.nextToReview(state.index);
  if (index < 0) { setStatus("Nothing awaits review: every proposed mask is accepted and no frame was left empty."); return; }
  actions.showFrame(index);
}
