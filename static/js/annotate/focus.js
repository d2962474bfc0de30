// The keyboard belongs to the page, whatever was clicked last, and leaving it with unsaved work asks first.
//
// A control clicked with the mouse (button, checkbox, link, summary) does not keep the focus, and a list,
// slider or colour chosen with the mouse gives it back: otherwise Enter would press the clicked button again and
// Space would toggle it instead of panning. A control the keyboard moved to (Tab: it shows its focus) keeps
// Enter and Space, and fields keep their typing.
// Whether a key pressed on ``target`` is the element's own rather than one of the page's shortcuts.
export function keyBelongsTo(target, event) {
  if (target.closest("select, textarea")) return true;
  const toggles = ["BUTTON", "SUMMARY", "A"].includes(target.tagName) || (target.tagName === "INPUT" && target.type === "checkbox");
  if (target.tagName === "INPUT" && !toggles) return true;
  return toggles && (event.key === "Enter" || event.key === " ") && target.matches(":focus-visible");
}

// Inside ``root``, mouse clicks leave no control focused; ``chosen``: lists and sliders that give the focus
// back once their value changes.
export function keepKeysForThePage(root, chosen) {
  root.addEventListener("mousedown", (event) => {
    if (!event.target.closest("button, input[type=checkbox], summary, a")) return;
    event.preventDefault();  // no focus for the clicked control; the click itself still happens
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
  for (const element of chosen) element?.addEventListener("change", (event) => event.target.blur());
}

// ``unsavedWork()``: what would be lost, in words, or null. The page's own links (top bar included) ask in
// words; closing the tab, reloading or typing an address get the browser's own question (beforeunload
// cannot carry a message).
export function guardLeaving(unsavedWork) {
  let leaving = false;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (link.getAttribute("href").startsWith("#") || link.target === "_blank") return;
    const what = unsavedWork();
    if (!what) return;
    if (window.confirm(`Leave this page without saving ${what}? Unsaved work is lost.`)) leaving = true;
    else event.preventDefault();
  }, true);
  window.addEventListener("beforeunload", (event) => {
    if (leaving || !unsavedWork()) return;
    event.preventDefault();
    event.returnValue = "";
  });
}
