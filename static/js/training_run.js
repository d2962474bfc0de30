// A training run's page: its state, epochs and loss / Dice chart, polled while the run is queued or running.
(function () {
  const fmt = (v, d = 3) => (v === null || v === undefined ? "—" : Number(v).toFixed(d));
  function draw(history) {
    const canvas = document.getElementById("run-chart"), ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!history.length) return;
    const maxLoss = Math.max(...history.map((h) => h.train_loss || 0)) || 1;
    const x = (i) => 30 + (i / Math.max(1, history.length - 1)) * (canvas.width - 40);
    const line = (values, scale, color) => {
      ctx.strokeStyle = color; ctx.beginPath();
      values.forEach((v, i) => { if (v === null) return; const y = canvas.height - 10 - (v / scale) * (canvas.height - 20);
        i ? ctx.lineTo(x(i), y) : ctx.moveTo(x(i), y); });
      ctx.stroke();
    };
    line(history.map((h) => h.train_loss), maxLoss, "#0a66c2");
    line(history.map((h) => h.val_dice), 1, "#16a34a");
  }
  function show(status) {
    document.getElementById("run-state").textContent = status.state;
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
    draw(status.history);
  }
  let status = JSON.parse(document.getElementById("run-status").textContent);
  show(status);
  async function poll() {
    const answer = await fetch(`/api/training-runs/${status.id}/`, {credentials: "same-origin"});
    if (answer.ok) { status = await answer.json(); show(status); }
    if (["queued", "running"].includes(status.state)) setTimeout(poll, 2000);
  }
  if (["queued", "running"].includes(status.state)) setTimeout(poll, 2000);
})();
