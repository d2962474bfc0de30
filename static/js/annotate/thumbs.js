// The strip of thumbnails around the frame shown (a dot on those with masks); a click shows that frame.
import { $, frames } from "./page.js";
import { state } from "./state.js";
import { actions } from "./actions.js";

export function renderThumbs() {
  const strip = $("thumbs");
  const span = Math.max(3, Math.floor(strip.clientWidth / 84 / 2));
  const start = Math.max(0, Math.min(state.index - span, frames.length - 2 * span - 1));
  strip.replaceChildren();
  for (let i = start; i < Math.min(frames.length, start + 2 * span + 1); i++) {
    const figure = document.createElement("figure");
    figure.dataset.index = i;
    figure.className = (i === state.index ? "current " : "") + (frames[i].mask_count ? "has-masks" : "");
    figure.innerHTML = `<img src="${frames[i].thumbnail_url}" alt="frame ${i + 1}" loading="lazy"><figcaption>${i + 1}</figcaption>`;
    figure.addEventListener("click", () => actions.showFrame(i));
    strip.appendChild(figure);
  }
}
