// The live page: one streamed response carries every frame as a Server-Sent Event (overlaid JPEG, findings,
// latency, achieved fps). Read with fetch rather than EventSource, which hides a refusal's status and message
// (a busy server answers 429 and says why).
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
  let playing = null;  // the AbortController of the stream being read
  let frames = 0;

  function stop(state, failed = false) {
    if (playing) playing.abort();  // closing the connection stops the server's playback
    playing = null;
    stats.state.textContent = state;
    stats.state.classList.toggle("error", failed);
    stats.state.classList.toggle("muted", !failed);
    toggle.textContent = "Play";
  }

  function show(frame) {
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
  }

  async function refusal(response) {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("json")) {
      const body = await response.json().catch(() => ({}));
      if (body.error) return body.error;
    }
    return `The stream was refused: ${response.status} ${response.statusText}`.trim();
  }

  // One event's fields ("event: end", "data: {...}") as {event, data}.
  function parse(block) {
    const fields = { event: "message", data: "" };
    for (const line of block.split("\n")) {
      const cut = line.indexOf(": ");
      if (cut > 0) fields[line.slice(0, cut)] = line.slice(cut + 2);
    }
    return fields;
  }

  async function start() {
    const controller = new AbortController();
    playing = controller;
    stats.state.textContent = "connecting…";
    stats.state.classList.remove("error");
    toggle.textContent = "Stop";
    const url = root.dataset.streamUrl + (loop.checked ? "?loop=1" : "");
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { Accept: "text/event-stream" } });
      if (!response.ok) {
        stop(await refusal(response), true);
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event.event === "end") {
            stop("ended");
            return;
          }
          show(JSON.parse(event.data));
        }
      }
      if (playing === controller) stop("disconnected", true);
    } catch {
      // Aborted by stop() (Stop, the end): that already said what happened.
      if (playing === controller) stop(frames ? "disconnected" : "could not connect", true);
    }
  }

  toggle.addEventListener("click", () => (playing ? stop("stopped") : start()));
  window.addEventListener("pagehide", () => playing && playing.abort());
  start();
})();
