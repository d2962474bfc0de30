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
  const procedure = {
    indicators: document.getElementById("live-indicators"),
    landmarks: document.getElementById("live-landmarks"),
    lesions: document.getElementById("live-lesions"),
    saved: document.getElementById("live-report"),
    link: document.getElementById("live-report-link"),
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
    if (frame.report) showProcedure(frame.report);
    for (const [name, probability] of Object.entries(frame.findings)) {
      const item = document.querySelector(`#live-findings [data-finding="${CSS.escape(name)}"] strong`);
      if (item) item.textContent = `${Math.round(probability * 100)} %`;
    }
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    const total = Math.round(seconds);
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
  }

  // One indicator as the report page words it (reports/templates/reports/report_detail.html).
  function indicatorText(item) {
    if (item.share !== undefined) return `${(item.share * 100).toFixed(1)} %`;
    if (item.key === "caecum") return item.reached ? `yes, at ${duration(item.seconds)}` : "not yet";
    if (item.key === "withdrawal") {
      if (item.seconds === null) return "— (caecum not reached)";
      return `${duration(item.seconds)} (minimum ${duration(item.minimum_seconds)})`;
    }
    if (item.key === "stations") return `${item.seen} of ${item.of}`;
    if (item.key === "lesions") return String(item.count);
    return duration(item.seconds);
  }

  // The indicators accrued so far (sent about once a second of the stream).
  function showProcedure(report) {
    procedure.indicators.replaceChildren(...report.indicators.map((item) => {
      const li = document.createElement("li");
      li.dataset.indicator = item.key;
      const value = document.createElement("strong");
      value.textContent = indicatorText(item);
      li.append(`${item.label}: `, value);
      return li;
    }));
    procedure.landmarks.textContent = report.landmarks.length ? report.landmarks.map((n) => `✓ ${n}`).join(", ")
      : "none yet";
    procedure.lesions.textContent = String(report.lesions);
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
            const end = JSON.parse(event.data || "{}");
            if (end.report_url) {
              procedure.link.href = end.report_url;
              procedure.saved.hidden = false;
            }
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
