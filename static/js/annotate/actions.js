// The calls a module makes upwards, to a module that imports it: set once by the entry module (annotate.js).
// Modules import one another in one direction only (page, api, state ... up to annotate.js), so that the
// imports form no cycle (collectstatic names each file by its content's hash, which a cycle would prevent).
export const actions = {
  showFrame: null,     // (index) => Promise: show frame ``index`` with its masks (frames.js)
  leaveEditing: null,  // () => bool: leave the brush editor, asking first when edits would be lost (editing.js)
  frameChanged: null,  // (index): the frame shown changed, before its image and masks arrive (the findings)
  masksShown: null,    // (frame, masks): the masks of the frame shown were read (the mask list, the comments)
};
