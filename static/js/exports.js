// While an export is queued or running, poll its status and reload the list when it ends.
(function () {
  const rows = Array.from(document.querySelectorAll(".export-row"))
    .filter((row) => ["queued", "running"].includes(row.dataset.state));
  if (!rows.length) return;
  async function poll() {
    let finished = false;
    for (const row of rows) {
      const answer = await fetch(`/api/exports/${row.dataset.exportId}/`, {credentials: "same-origin"});
      if (!answer.ok) continue;
      const status = await answer.json();
      const bar = row.querySelector("progress");
      if (bar) bar.value = status.progress;
      const counter = row.querySelector(".counter");
      if (counter) counter.textContent = `${status.done} / ${status.total} frames`;
      if (!["queued", "running"].includes(status.state)) finished = true;
    }
    if (finished) window.location.reload(); else setTimeout(poll, 1000);
  }
  setTimeout(poll, 500);
})();
