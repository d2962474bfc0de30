// The list of the frame's saved masks, grouped by tag: show or hide each (or a tag's), choose one, and the
// actions on it. What a mask is (a proposal, awaiting review, its review state) is the server's answer.
import { $ } from "./page.js";
import { state } from "./state.js";
import { draw } from "./canvas.js";
import { deleteMask, deleteTagMasks, deleteTrack, selectMask } from "./masks.js";
import { reviewMask } from "./review.js";
import { extrapolate } from "./extrapolation.js";
import { startRefining } from "./prompts.js";
import { startEditing } from "./editing.js";

function maskDetail(mask) {
  if (mask.is_proposal) {
    const review = mask.review_state === "accepted" ? ` · accepted${mask.reviewed_by ? ` by ${mask.reviewed_by}` : ""}` : "";
    const low = mask.review_state === "low_confidence" ? " · low" : "";
    const origin = mask.source === "model" ? `model proposal (${mask.segmenter})` : "propagated";
    return `${origin} · confidence ${(mask.confidence ?? 0).toFixed(2)}${low}${review}`;
  }
  return `${mask.track_id ? "keyframe" : "manual"} · ${mask.segmenter}`;
}

export function renderMaskList() {
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
    for (const mask of masks) group.appendChild(maskRow(mask, masks[0].tag));
    list.appendChild(group);
  }
}

function maskRow(mask, tagName) {
  const row = document.createElement("div");
  const pending = mask.needs_review;
  const accepted = mask.review_state === "accepted";
  row.className = `mask-row ${mask.source}${pending ? " pending" : ""}${accepted ? " accepted" : ""}${mask.id === state.selectedMaskId ? " selected" : ""}`;
  row.dataset.maskId = mask.id;
  // Extrapolation starts from a mask made by hand (a keyframe), never from a proposal.
  row.innerHTML = `<input type="checkbox" class="toggle-mask" title="Show or hide this mask" ${state.hiddenMasks.has(mask.id) ? "" : "checked"}>
    <span class="swatch"></span><span class="info"></span>
    <span class="actions">
    ${pending ? '<button type="button" class="small accept-mask" title="The proposed mask is right (A)">Accept</button><button type="button" class="small danger reject-mask" title="The proposed mask is wrong: delete it (R)">Reject</button>' : ""}
    <button type="button" class="small edit-mask" title="Fix the pixels with a brush and an eraser (B)">Edit</button>
    <button type="button" class="small refine-mask" title="Correct it with + / − clicks, starting from its pixels (Shift+R)">Refine with clicks</button>
    ${mask.is_proposal ? "" : '<button type="button" class="small extrapolate-mask" title="Propagate this mask (and the other keyframes of its track) to every frame">Extrapolate</button>'}
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
  row.querySelector(".delete-track")?.addEventListener("click", () => deleteTrack(mask.track_id, tagName));
  row.querySelector(".toggle-mask").addEventListener("change", (event) => {
    if (event.target.checked) state.hiddenMasks.delete(mask.id); else state.hiddenMasks.add(mask.id);
    draw();
  });
  row.querySelector(".delete-mask").addEventListener("click", () => deleteMask(mask));
  return row;
}
