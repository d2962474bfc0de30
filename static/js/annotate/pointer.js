// The pointer on the frame: clicks add points (or a polygon's corners), a drag draws a box or a brush stroke,
// the wheel zooms, and Space, the middle button or the hand tool pan.
import { $ } from "./page.js";
import { state } from "./state.js";
import { canvas, draw, framePoint, viewport } from "./canvas.js";
import { addPoint, shapeChanged } from "./prompts.js";
import { updateEditUi } from "./editing.js";
import { Shape } from "./shapes.js";

function wantsPan(event) {
  return event.button === 1 || state.spaceHeld || state.tool === "hand";
}

export function setHand(on) {
  state.tool = on ? "hand" : "point";
  $("hand-tool").setAttribute("aria-pressed", String(on));
  canvas.classList.toggle("hand", on);
}

// Space held: dragging pans (the key's own handling is the shortcuts').
export function holdSpace(held) {
  state.spaceHeld = held;
  canvas.classList.toggle("hand", held || state.tool === "hand");
}

function endPointer() {
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
}

export function bindPointer() {
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
}
