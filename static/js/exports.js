// While an export is queued or running, follow it (js/jobs.js) and reload the list when it ends.
window.Workbench.followJobRows(document.querySelectorAll(".export-row"), (row, status) => {
  const bar = row.querySelector("progress");
  if (bar) bar.value = status.progress;
  const counter = row.querySelector(".counter");
  if (counter) counter.textContent = `${status.done} / ${status.total} frames`;
}, { interval: 1000, onEnd: () => window.location.reload() });
