// While an export is queued or running, follow it (js/jobs.js) and reload the list when it ends.
(function () {
  const rows = Array.from(document.querySelectorAll(".export-row"))
    .filter((row) => window.Workbench.isActiveJob(row.dataset));
  for (const row of rows) {
    window.Workbench.followJob(`/api/exports/${row.dataset.exportId}/`, {
      interval: 1000,
      onProgress: (status) => {
        const bar = row.querySelector("progress");
        if (bar) bar.value = status.progress;
        const counter = row.querySelector(".counter");
        if (counter) counter.textContent = `${status.done} / ${status.total} frames`;
      },
      onEnd: () => window.location.reload(),
    });
  }
})();
