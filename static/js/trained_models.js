// The models page. The live page's URL names the model and the sequence or video in its path: put the chosen id where the
// form's URL has its placeholder 0 (the segment data-slot names).
for (const form of document.querySelectorAll(".live-form")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const slot = form.dataset.slot;
    window.location = form.dataset.url.replace(slot, slot.replace("0", form.querySelector("select").value));
  });
}

// Pre-annotations queued or running are followed to their end (js/jobs.js): state, frames and proposals.
window.Workbench.followJobRows(document.querySelectorAll("#preannotation-list tr[data-status-url]"), (row, job) => {
  row.dataset.state = job.state;
  row.querySelector(".job-state").textContent = job.state_label;
  row.querySelector(".job-error").textContent = job.error || "";
  row.querySelector(".job-frames").textContent = `${job.done} / ${job.total}`;
  row.querySelector(".job-written").textContent = job.written;
}, { interval: 1000 });
