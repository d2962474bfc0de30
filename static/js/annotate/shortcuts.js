// The keyboard: every shortcut of the page in one table (which also fills the ? help), decided before a focused
// control acts on the key; keys go to the page whatever was clicked last (js/annotate/focus.js).
import { $, frames } from "./page.js";
import { setStatus } from "./status.js";
import { state } from "./state.js";
import { draw, viewport } from "./canvas.js";
import { nextToReview } from "./overview.js";
import { deleteMask, targetMask, undoRemove } from "./masks.js";
import { reviewTarget } from "./review.js";
import { clearPoints, saveMask, setDrawTool, setMode, startRefining } from "./prompts.js";
import { leaveEditing, redo, saveEdits, setBrushSize, startEditing, undo } from "./editing.js";
import { showFrame } from "./frames.js";
import { holdSpace, setHand } from "./pointer.js";
import { pickTag } from "./tags.js";
import { keepKeysForThePage, keyBelongsTo } from "./focus.js";

export function toggleHelp(show) {
  const help = $("help");
  help.hidden = show === undefined ? !help.hidden : !show;
}

// [keys shown in the help, description, test(event), action]; ``findings``: the frame findings' panel,
// ``togglePlay()``: play or pause the sequence.
function shortcuts({ findings, togglePlay }) {
  return [
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
}

function fillHelp(table) {
  const help = $("help-table");
  for (const [keys, description] of table) {
    const row = help.insertRow();
    row.insertCell().innerHTML = keys.split(" / ").map((k) => `<kbd>${k}</kbd>`).join(" / ");
    row.insertCell().textContent = description;
  }
}

export function installShortcuts({ findings, togglePlay }) {
  const table = shortcuts({ findings, togglePlay });
  fillHelp(table);
  keepKeysForThePage($("annotate"), ["tag-select", "sequence-status", "mask-color", "frame-slider", "brush-size", "play-speed"].map($));

  // Capture phase: the page's shortcuts are decided before a focused control acts on the key.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (keyBelongsTo(target, event)) {
      if (event.key === "Escape" && target.tagName !== "BUTTON") target.blur();
      return;
    }
    if (event.key === " ") {
      if (!state.spaceHeld) holdSpace(true);
      event.preventDefault();
      return;
    }
    if (event.altKey) return;
    const plain = !event.ctrlKey && !event.metaKey;
    for (const [keys, , test, action] of table) {
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
    holdSpace(false);
  }, true);
}
