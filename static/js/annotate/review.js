// Review of proposals (propagated masks and a model's): accept one as it is, or reject it (deleted; Undo brings
// it back). Which masks await review is the server's answer (each mask's ``needs_review``).
import { data } from "./page.js";
import { post } from "./api.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { keptForUndo, refreshMasks, remembered, targetMask } from "./masks.js";
import { refreshTimeline } from "./overview.js";

// ``decision``: "accept" or "reject".
export async function reviewMask(mask, decision) {
  try {
    const kept = decision === "reject" ? await keptForUndo(mask) : null;
    await post(`${data.urls.mask}${mask.id}/review/`, { decision });
    if (kept) { remembered(kept, "rejected"); state.overlays.delete(mask.id); }
    setStatus(decision === "accept" ? `Accepted mask #${mask.id}.` : `Rejected mask #${mask.id}: deleted.`);
    await Promise.all([refreshMasks(), refreshTimeline()]);
  } catch (error) { setStatus(error.message, true); }
}

// Accept or reject the selected proposal of the frame (or its first one).
export function reviewTarget(decision) {
  const mask = targetMask({ pendingOnly: true });
  if (!mask) { setStatus("No proposed mask awaits review on this frame."); return; }
  reviewMask(mask, decision);
}
