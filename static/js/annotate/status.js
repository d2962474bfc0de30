// The status line under the panel: what just happened, or what went wrong.
import { $ } from "./page.js";

export function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}
