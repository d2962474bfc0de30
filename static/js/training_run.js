// A training run's page: its state, epochs and loss / Dice chart, polled while the run is queued or running.
(function () {
  const fmt = (v, d = 3) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));
  function show(status) {
    document.getElementById("run-state").textContent = status.state_label;
    document.getElementById("run-epochs").textContent = `${status.epochs_done} / ${status.epochs_total}`;
    document.getElementById("run-best").textContent = fmt(status.best_val_dice);
    document.getElementById("run-progress").value = status.progress;
    document.getElementById("run-error").textContent = status.error || "";
    if (status.model_metrics) {
      const m = status.model_metrics;
      document.getElementById("run-model").textContent =
        `Model #${status.model_id}: val Dice ${fmt(m.val_dice)}, test Dice ${fmt(m.test_dice)}, ${fmt(m.ms_per_frame, 1)} ms/frame`;
    }
    document.getElementById("epoch-rows").innerHTML = status.history.map((h) =>
      `<tr><td>${h.epoch}</td><td>${fmt(h.train_loss, 4)}</td><td>${fmt(h.val_loss, 4)}</td><td>${fmt(h.val_dice)}</td>` +
      `<td>${Number(h.learning_rate).toExponential(2)}</td><td>${fmt(h.seconds, 0)} s</td></tr>`).join("");
    window.TrainingChart.draw(document.getElementById("run-chart"), status.history, { diceLabel: status.validation_label });
    document.getElementById("dice-legend").textContent = status.validation_label;
  }
  const status = JSON.parse(document.getElementById("run-status").textContent);
  show(status);
  // Followed to its end (js/jobs.js); a finished run loses its Cancel button.
  const ended = (final) => { show(final); document.getElementById("run-cancel")?.remove(); };
  if (window.Workbench.isActiveJob(status)) {
    window.Workbench.followJob(status.status_url, { onProgress: show, onEnd: ended, interval: 2000, maxInterval: 10000 });
  } else ended(status);
})();
