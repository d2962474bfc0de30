// A training run's chart: training and validation loss (left axis) and validation Dice (right axis, 0 … 1) per
// epoch, as an SVG as wide as its container, redrawn when the container's width changes. Colours and sizes come
// from app.css (the Content-Security-Policy refuses inline styles).
//   window.TrainingChart.draw(container, history, { diceLabel })
// ``history``: the run's epochs, [{epoch, train_loss, val_loss, val_dice}, …] (null where not measured).
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const HEIGHT = 280;
  const MARGIN = { top: 16, right: 64, bottom: 44, left: 64 };
  const drawn = new WeakMap(); // container → its last history and options, for redrawing on resize

  function element(name, attributes, parent, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  // Round tick steps (1, 2, 5 × 10^n) giving about ``count`` ticks from 0 to ``max``.
  function ticks(max, count) {
    if (!(max > 0)) return [0, 1];
    const raw = max / count, power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
    const top = Math.ceil(max / step - 1e-9) * step;
    const values = [];
    for (let v = 0; v <= top + step / 2; v += step) values.push(Number(v.toPrecision(6)));
    return values;
  }

  function path(points) {
    let d = "", open = false;
    for (const point of points) {
      if (point === null) { open = false; continue; }
      d += `${open ? "L" : "M"}${point[0].toFixed(1)},${point[1].toFixed(1)}`;
      open = true;
    }
    return d;
  }

  function draw(container, history, options = {}) {
    drawn.set(container, { history, options });
    observe(container);
    container.replaceChildren();
    const width = Math.max(320, Math.floor(container.clientWidth || 720));
    const svg = element("svg", {
      viewBox: `0 0 ${width} ${HEIGHT}`, width, height: HEIGHT, class: "training-chart", role: "img",
      "aria-label": "Loss and validation Dice per epoch",
    }, container);
    const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right,
                   h: HEIGHT - MARGIN.top - MARGIN.bottom };
    if (!history.length) {
      element("text", { x: width / 2, y: HEIGHT / 2, class: "chart-empty", "text-anchor": "middle" }, svg,
        "No epoch finished yet.");
      return;
    }
    const epochs = history.map((h) => h.epoch);
    const firstEpoch = Math.min(...epochs), lastEpoch = Math.max(...epochs);
    const losses = history.flatMap((h) => [h.train_loss, h.val_loss]).filter((v) => v !== null && v !== undefined);
    const lossTicks = ticks(Math.max(...losses, 0), 5);
    const lossTop = lossTicks[lossTicks.length - 1] || 1;
    const x = (epoch) => plot.x + (lastEpoch === firstEpoch ? plot.w / 2
      : ((epoch - firstEpoch) / (lastEpoch - firstEpoch)) * plot.w);
    const yLoss = (v) => plot.y + plot.h - (v / lossTop) * plot.h;
    const yDice = (v) => plot.y + plot.h - v * plot.h;

    // Grid and axes: loss on the left, Dice on the right, epochs below.
    for (const v of lossTicks) {
      element("line", { x1: plot.x, x2: plot.x + plot.w, y1: yLoss(v), y2: yLoss(v), class: "chart-grid" }, svg);
      element("text", { x: plot.x - 6, y: yLoss(v) + 4, "text-anchor": "end", class: "chart-tick" }, svg, String(v));
    }
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      element("text", { x: plot.x + plot.w + 6, y: yDice(v) + 4, class: "chart-tick dice" }, svg, v.toFixed(2));
    }
    // Round epochs (50, 100, …) and the first one, whole numbers only.
    const epochTicks = ticks(lastEpoch, Math.max(2, Math.floor(plot.w / 70)))
      .filter((v) => v > firstEpoch && v <= lastEpoch && Number.isInteger(v));
    const spacing = epochTicks.length > 1 ? epochTicks[1] - epochTicks[0] : lastEpoch - firstEpoch;
    if (!epochTicks.length || epochTicks[0] - firstEpoch >= spacing / 2) epochTicks.unshift(firstEpoch);
    for (const epoch of epochTicks) {
      element("line", { x1: x(epoch), x2: x(epoch), y1: plot.y + plot.h, y2: plot.y + plot.h + 4,
                        class: "chart-axis" }, svg);
      element("text", { x: x(epoch), y: plot.y + plot.h + 18, "text-anchor": "middle", class: "chart-tick" }, svg,
        String(epoch));
    }
    element("line", { x1: plot.x, x2: plot.x + plot.w, y1: plot.y + plot.h, y2: plot.y + plot.h,
                      class: "chart-axis" }, svg);
    element("line", { x1: plot.x, x2: plot.x, y1: plot.y, y2: plot.y + plot.h, class: "chart-axis" }, svg);
    element("line", { x1: plot.x + plot.w, x2: plot.x + plot.w, y1: plot.y, y2: plot.y + plot.h,
                      class: "chart-axis" }, svg);
    element("text", { x: plot.x + plot.w / 2, y: HEIGHT - 6, "text-anchor": "middle", class: "chart-label" }, svg,
      "Epoch");
    element("text", { x: 14, y: plot.y + plot.h / 2, "text-anchor": "middle", class: "chart-label",
                      transform: `rotate(-90 14 ${plot.y + plot.h / 2})` }, svg, "Loss");
    // The axis says what it is; where the validation frames came from (``diceLabel``) is the line's own title.
    const diceLabel = options.diceLabel || "Validation Dice";
    element("text", { x: width - 12, y: plot.y + plot.h / 2, "text-anchor": "middle", class: "chart-label dice",
                      transform: `rotate(90 ${width - 12} ${plot.y + plot.h / 2})` }, svg, "Validation Dice");

    const series = [
      ["train_loss", yLoss, "train-loss", "Training loss"],
      ["val_loss", yLoss, "val-loss", "Validation loss"],
      ["val_dice", yDice, "val-dice", diceLabel],
    ];
    for (const [key, y, kind, label] of series) {
      const points = history.map((h) => (h[key] === null || h[key] === undefined ? null : [x(h.epoch), y(h[key])]));
      if (!points.some((p) => p !== null)) continue;
      const line = element("path", { d: path(points), class: `chart-line ${kind}`, "data-series": key }, svg);
      element("title", {}, line, label);
      if (key === "val_dice" && points.filter((q) => q !== null).length <= 80) {  // dots while they stay apart
        for (const p of points.filter((q) => q !== null)) {
          element("circle", { cx: p[0], cy: p[1], r: 2.5, class: `chart-dot ${kind}` }, svg);
        }
      }
    }
  }

  // Redraw at the new width when the page (and so the container) is resized.
  const observer = "ResizeObserver" in window ? new ResizeObserver((entries) => {
    for (const entry of entries) {
      const last = drawn.get(entry.target);
      const svg = entry.target.querySelector("svg");
      if (last && svg && Math.abs(Number(svg.getAttribute("width")) - entry.target.clientWidth) > 4) {
        draw(entry.target, last.history, last.options);
      }
    }
  }) : null;
  const observed = new WeakSet();
  function observe(container) {
    if (observer && !observed.has(container)) { observer.observe(container); observed.add(container); }
  }

  window.TrainingChart = { draw };
})();
