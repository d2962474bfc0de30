// The page's state: the one object the modules share, every field declared here. Each module writes the
// fields of its own job (named in the comments) and reads the others'.
export const state = {
  // frames.js
  index: -1,                // the frame shown, 0-based (-1 before the first)
  image: null,              // HTMLImageElement of the frame shown
  // prompts.js: a new mask from clicks, a drawn shape, or the refinement of a saved mask
  points: [],               // the + / − points: [{x, y, sign}] in frame pixels
  redoPoints: [],           // points undone, last undone last
  mode: "+",                // the sign a plain left-click adds
  preview: null,            // the segmenter's answer to the points: {overlay: canvas, area}
  previewSeq: 0,            // counts preview requests: an answer to an older one is dropped
  drawTool: "clicks",       // "clicks", "polygon" or "box": what a click on the frame does
  shape: null,              // Shape being drawn (polygon or box)
  boxStart: null,           // [x, y] where the box being dragged started, or null
  refine: null,             // the saved mask the clicks correct (issue 13), or null
  // masks.js
  masks: [],                // the saved masks of the frame shown, as the API answers them
  selectedMaskId: null,     // the mask chosen in the list (shortcuts act on it)
  hiddenMasks: new Set(),   // mask ids hidden by their checkbox
  hiddenTags: new Set(),    // tag ids hidden by their group's checkbox
  removed: [],              // masks deleted or rejected on this page, newest last: {mask, png, how}, for Undo
  // images.js
  overlays: new Map(),      // mask id -> tinted canvas (most recently used last)
  imageCache: new Map(),    // URL -> Promise of its HTMLImageElement (frames and mask PNGs)
  // editing.js
  editor: null,             // MaskEditor while a mask's pixels are edited, else null
  editMask: null,           // the mask being edited, else null
  // pointer.js
  tool: "point",            // "point" or "hand" (the hand tool pans)
  spaceHeld: false,         // Space is held down: dragging pans
  pan: null,                // {x, y} of the pointer while panning (client pixels), else null
  pointer: null,            // {x, y} frame coordinates of the pointer over the canvas, else null
  suppressClick: false,     // the pointer just panned or dragged a box: the click that ends it adds no point
  // extrapolation.js
  job: null,                // the extrapolation job followed (its status JSON), else null
  follow: null,             // the following of that job (js/jobs.js: {stop()}), else null
};
