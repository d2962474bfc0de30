// The live page: one EventSource carries every frame (overlaid JPEG, findings, latency, achieved fps).
(() => {
  const root = document.getElementById("live");
  if (!root) return;
  const image = document.getElementById("live-frame");
  const stats = {
    fps: document.getElementById("live-fps"),
    latency: document.getElementById("live-latency"),
    index: document.getElementById("live-index"),
    state: document.getElementById("live-state"),
    tags: document.getElementById("live-tags"),
  };
  const toggle = document.getElementById("live-toggle");
  const loop = document.getElementById("live-loop");
  let source = null;
  let frames = 0;

  function stop(state) {
    if (source) source.close();  // closing the connection stops the server's playback
    source = null;
    stats.state.textContent = state;
    toggle.textContent = "Play";
  }

  function start() {
    const url = root.dataset.streamUrl + (loop.checked ? "?loop=1" : "");
    source = new EventSource(url);
    stats.state.textContent = "connecting…";
    toggle.textContent = "Stop";
    source.onmessage = (event) => {
      const frame = JSON.parse(event.data);
      image.src = `data:image/jpeg;base64,${frame.jpeg}`;
      frames += 1;
      root.dataset.frames = String(frames);
      stats.index.textContent = String(frame.index + 1);
      stats.latency.textContent = frame.latency_ms.toFixed(1);
      if (frame.fps > 0) stats.fps.textContent = frame.fps.toFixed(1);
      stats.tags.textContent = frame.tags.length ? frame.tags.join(", ") : "none";
      stats.state.textContent = "playing";
      for (const [name, probability] of Object.entries(frame.findings)) {
        const item = document.querySelector(`#live-findings [data-finding="${CSS.escape(name)}"] strong`);
        if (item) item.textContent = `${Math.round(probability * 100)} %`;
      }
    };
    // Without closing, EventSource would reconnect and play the sequence again from its start.
    source.addEventListener("end", () => stop("ended"));
    source.onerror = () => stop(frames ? "disconnected" : "could not connect");
  }

  toggle.addEventListener("click", () => (source ? stop("stopped") : start()));
  window.addEventListener("pagehide", () => source && source.close());
  start();
})();
