// Choosing the tag of a new mask: the tag list grouped by kind, the chips of the first nine (keys 1–9), and the
// tag's colour as the mask's default.
import { $, data, tagsById } from "./page.js";
import { setStatus } from "./status.js";
import { requestPreview } from "./prompts.js";

// Fill a <select> with the tags grouped by kind, kinds in the given order; onTag(tag) sees each tag in order.
export function fillTagSelect(select, kinds, onTag = () => {}) {
  for (const [kind, label] of Object.entries(kinds)) {
    const group = document.createElement("optgroup");
    group.label = label;
    for (const tag of data.tags.filter((t) => t.kind === kind)) {
      const option = document.createElement("option");
      option.value = tag.id;
      option.textContent = tag.name;
      group.appendChild(option);
      onTag(tag);
    }
    if (group.children.length) select.appendChild(group);
  }
}

// The ``number``th tag of the list (1–9).
export function pickTag(number) {
  const option = Array.from($("tag-select").options)[number - 1];
  if (!option) return;
  $("tag-select").value = option.value;
  $("tag-select").dispatchEvent(new Event("change"));
  setStatus(`Tag: ${tagsById.get(parseInt(option.value, 10)).name}`);
}

export function fillTags() {
  const select = $("tag-select");
  let number = 0;
  fillTagSelect(select, { pathology: "Pathological findings", landmark: "Anatomical landmarks", quality: "Quality findings" }, (tag) => {
    if (++number > 9) return;
    const key = number;  // this chip's own number (the counter goes on)
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "small chip";
    chip.dataset.tagId = tag.id;
    chip.title = `${tag.name} (key ${key})`;
    chip.innerHTML = `<kbd>${key}</kbd> <span class="swatch"></span> `;
    chip.querySelector(".swatch").style.background = tag.color;
    chip.append(tag.name);
    chip.addEventListener("click", () => pickTag(key));
    $("quick-tags").appendChild(chip);
  });
  if (!data.tags.length) {
    setStatus("No tag is defined: add tags in the admin before saving masks.", true);
    return;
  }
  const useTagColour = () => {
    $("mask-color").value = tagsById.get(parseInt(select.value, 10)).color.toLowerCase();
    for (const chip of $("quick-tags").children) chip.setAttribute("aria-pressed", String(chip.dataset.tagId === select.value));
  };
  select.addEventListener("change", () => { useTagColour(); requestPreview(); });
  useTagColour();
}
