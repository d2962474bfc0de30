// The live page's URL names the model and the sequence or video in its path: put the chosen id where the
// form's URL has its placeholder 0 (the segment data-slot names).
for (const form of document.querySelectorAll(".live-form")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const slot = form.dataset.slot;
    window.location = form.dataset.url.replace(slot, slot.replace("0", form.querySelector("select").value));
  });
}
