// What would be lost by leaving the frame or the page now, in words, or null: brush edits, a drawn shape, points.
import { state } from "./state.js";

export function unsavedWork() {
  if (state.editor?.changed) return `the brush edits of mask #${state.editMask.id}`;
  if (state.shape?.started()) return `the ${state.shape.kind} you drew`;
  if (state.points.length) return `the ${state.points.length} point${state.points.length > 1 ? "s" : ""} of a new mask`;
  return null;
}
