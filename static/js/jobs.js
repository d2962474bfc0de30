// Following a background job (extrapolation, pre-annotation, training run, export) to its end: the one poller
// of every page that shows a job. Every kind answers the same status shape (core.jobs.job_status_json: ``state``
// queued, running, succeeded, failed or cancelled; ``done`` of ``total``, ``progress``, ``error``, ``status_url``,
// ``cancel_url``, then its kind's own keys); the poller asks its URL until the state is final, then calls ``onEnd``
// once.
//
// Backoff: while the job moves, it is asked every ``interval`` ms; while nothing changes the wait grows by half
// each time up to ``maxInterval``, and a failed request (server restarting, network gone) doubles it, so a page
// left open on a long training run costs little and a lost connection does not end the following. A job that
// no longer exists (404, deleted with its sequence) ends the following with ``onGone``.
(function () {
  "use strict";
  const ACTIVE = ["queued", "running"];

  function isActive(status) { return ACTIVE.includes(status.state); }

  // ``url``: the job's status URL. Returns {stop()}. Callbacks: onProgress(status, changed) while active,
  // onEnd(status) once at the final state, onError(error) for each failed request, onGone() on 404.
  function followJob(url, { onProgress = () => {}, onEnd = () => {}, onError = () => {}, onGone = () => {},
    interval = 600, maxInterval = 8000, firstDelay = interval } = {}) {
    let stopped = false, timer = null, delay = interval, last = "";

    function schedule(wait) {
      if (!stopped) timer = setTimeout(poll, wait);
    }

    async function poll() {
      timer = null;
      let status;
      try {
        const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (response.status === 404) { stopped = true; onGone(); return; }
        if (!response.ok) throw new Error(`The job's status answered HTTP ${response.status}.`);
        status = await response.json();
      } catch (error) {
        if (stopped) return;
        onError(error);
        delay = Math.min(maxInterval, delay * 2);
        schedule(delay);
        return;
      }
      if (stopped) return;
      if (!isActive(status)) { stopped = true; onEnd(status); return; }
      const signature = JSON.stringify([status.state, status.done, status.progress, status.written]);
      const changed = signature !== last;
      last = signature;
      onProgress(status, changed);
      delay = changed ? interval : Math.min(maxInterval, Math.round(delay * 1.5));
      schedule(delay);
    }

    schedule(firstDelay);
    return { stop() { stopped = true; clearTimeout(timer); } };
  }

  // A list of jobs (the exports, the pre-annotations): every row rendered active (``data-state``) is followed from
  // its ``data-status-url``; ``show(row, status)`` updates it while it runs, and ``onEnd(row, status)`` (by default
  // ``show`` too) once it has ended. Other options go to followJob.
  function followJobRows(rows, show, { onEnd = show, ...options } = {}) {
    return Array.from(rows).filter((row) => isActive(row.dataset)).map((row) => followJob(row.dataset.statusUrl, {
      ...options,
      onProgress: (status) => show(row, status),
      onEnd: (status) => onEnd(row, status),
    }));
  }

  window.Workbench = window.Workbench || {};
  window.Workbench.followJob = followJob;
  window.Workbench.followJobRows = followJobRows;
  window.Workbench.isActiveJob = isActive;
})();
