"""How fast the annotation page is on a long procedure: server time, page load and frame steps.

Generates (once, then reuses) a sequence of 5,000 small synthetic frames with a propagated track, some
accepted and some low-confidence masks and a few frame findings; times the annotation page and the
timeline endpoint on the server (with their query counts); then, when Chromium is available, loads the
page in a headless browser and steps through frames.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import threading
import time
from pathlib import Path

import cv2
import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from findings.models import FrameFinding
from masks import storage
from masks.models import Mask, Track
from masks.services import bounding_box
from sequences.models import Frame, FrameSequence
from sequences.services import THUMBNAIL_WIDTH, delete_sequence, sequence_dir
from sequences.synthetic import make_sequence
from tags.models import Tag

# Headless Chromium as the browser tests run it (tests/browser/conftest.py).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
DISTINCT_FRAMES = 24  # generated once, then repeated: the page's speed does not depend on the pixels


class Command(BaseCommand):
    help = "Time the annotation page and the timeline on a generated 5,000-frame sequence (server and browser)."

    def add_arguments(self, parser):
        parser.add_argument("--frames", type=int, default=5000)
        parser.add_argument("--repeat", type=int, default=5, help="Server timings: requests per endpoint.")
        parser.add_argument("--steps", type=int, default=30, help="Browser: frame steps to time.")
        parser.add_argument("--rebuild", action="store_true", help="Generate the sequence again.")
        parser.add_argument("--no-browser", action="store_true", help="Server timings only.")
        parser.add_argument("--delete", action="store_true", help="Delete the benchmark sequence at the end.")

    def handle(self, *args, frames: int, repeat: int, steps: int, rebuild: bool, no_browser: bool, delete: bool,
               **options):
        self.stdout.write(f"Load average before: {load()}")
        sequence = self.benchmark_sequence(frames, rebuild=rebuild)
        user, _ = get_user_model().objects.get_or_create(username="benchmark")
        client = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0] if settings.ALLOWED_HOSTS else "localhost")
        client.force_login(user)
        url = f"/sequences/{sequence.id}/annotate/"
        for name, path in (("annotation page", url), ("timeline endpoint", f"/api/sequences/{sequence.id}/timeline/")):
            times, queries, size = time_requests(client, path, repeat)
            self.stdout.write(
                f"Server, {name}: median {statistics.median(times):.0f} ms, best {min(times):.0f} ms "
                f"over {repeat} requests; {queries} queries; {size / 1024:.0f} kB"
            )
        if not no_browser:
            self.browser_figures(client, url, steps)
        self.stdout.write(f"Load average after: {load()}")
        if delete:
            delete_sequence(sequence=sequence)
            self.stdout.write(f"Deleted “{sequence.name}”.")

    def benchmark_sequence(self, count: int, *, rebuild: bool) -> FrameSequence:
        name = f"Benchmark ({count} frames)"
        existing = FrameSequence.objects.filter(name=name).first()
        if existing and not rebuild and existing.frames.count() == count:
            self.stdout.write(f"Reusing “{name}” (id {existing.id}); --rebuild generates it again.")
            return existing
        if existing:
            delete_sequence(sequence=existing)
        started = time.perf_counter()
        sequence = generate_sequence(name, count)
        self.stdout.write(f"Generated “{name}” (id {sequence.id}) in {time.perf_counter() - started:.1f} s.")
        return sequence

    def browser_figures(self, client: Client, url: str, steps: int) -> None:
        path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
        if not Path(path).exists():
            path = None
        if path is None:
            self.stdout.write("Browser: Chromium not found (set CHROMIUM_PATH); browser figures skipped.")
            return
        from playwright.sync_api import sync_playwright

        os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        server, base = start_server()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                context.add_cookies([{
                    "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": base,
                }])
                page = context.new_page()
                # The annotator arrives from the sequence list: the browser has started and shown a page of
                # the application, but has nothing of the annotation page in its cache yet.
                page.goto(f"{base}/")
                loads = []
                for _ in range(3):
                    page.goto(f"{base}{url}?frame=0")
                    page.wait_for_function("document.body.dataset.ready === '1'", timeout=60_000)
                    loads.append(int(page.evaluate("document.body.dataset.readyMs")))
                rapid = page.evaluate(STEP_SCRIPT, [steps, 0])
                paced = page.evaluate(STEP_SCRIPT, [steps, PACE_MS])
                browser.close()
        finally:
            server.shutdown()
        self.stdout.write(
            f"Browser, annotation page load to ready (frame, masks, timeline drawn), coming from the list: "
            f"first {loads[0]} ms (nothing cached), then {', '.join(f'{t} ms' for t in loads[1:])}"
        )
        for label, times in (("back to back", rapid), (f"one every {PACE_MS} ms or more", paced)):
            ordered = sorted(times)
            self.stdout.write(
                f"Browser, frame step (→ pressed until the frame and its masks are drawn), {label}, "
                f"{len(times)} steps: median {statistics.median(times):.0f} ms, "
                f"p90 {ordered[int(0.9 * (len(ordered) - 1))]:.0f} ms, max {ordered[-1]:.0f} ms"
            )


PACE_MS = 250  # an annotator looking at each frame; neighbours are prefetched meanwhile
# Press → in the page and wait for the frame (with its masks) to be drawn, ``steps`` times.
STEP_SCRIPT = """async ([steps, pause]) => {
  const times = [];
  for (let i = 0; i < steps; i++) {
    if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    const shown = new Promise((resolve) => document.addEventListener("annotate:frame", resolve, { once: true }));
    const started = performance.now();
    document.body.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowRight", bubbles: true }));
    await shown;
    times.push(performance.now() - started);
  }
  return times;
}"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def time_requests(client: Client, path: str, repeat: int) -> tuple[list[float], int, int]:
    client.get(path)  # warm-up: imports, templates, caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise CommandError(f"GET {path} answered {response.status_code}.")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return times, len(queries), len(response.content)


def jpeg(image: np.ndarray, quality: int) -> bytes:
    """JPEG bytes of an RGB uint8 image."""
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buffer.tobytes()


def generate_sequence(name: str, count: int) -> FrameSequence:
    """A sequence of ``count`` 384×288 frames, a Polyp track through it and a few frame findings.

    Files are written directly and rows bulk-created: the importer would decode and re-encode every frame.
    """
    images, lesions = make_sequence(count=DISTINCT_FRAMES, seed=11)
    encoded = [jpeg(image, 85) for image in images]
    height, width = images[0].shape[:2]
    thumb_size = (THUMBNAIL_WIDTH, round(height * THUMBNAIL_WIDTH / width))
    thumbs = [jpeg(cv2.resize(image, thumb_size, interpolation=cv2.INTER_AREA), 80) for image in images]
    height, width = images[0].shape[:2]
    polyp = Tag.objects.get(name="Polyp")
    media = Path(settings.MEDIA_ROOT)
    with transaction.atomic():
        sequence = FrameSequence.objects.create(
            name=name, procedure="colonoscopy", source="generated by benchmark_pages"
        )
        base = media / sequence_dir(sequence.id)
        (base / "frames").mkdir(parents=True, exist_ok=True)
        (base / "thumbs").mkdir(parents=True, exist_ok=True)
        rows = []
        for index in range(count):
            image_name = f"{sequence_dir(sequence.id)}/frames/{index:06d}.jpg"
            thumb_name = f"{sequence_dir(sequence.id)}/thumbs/{index:06d}.jpg"
            (media / image_name).write_bytes(encoded[index % DISTINCT_FRAMES])
            (media / thumb_name).write_bytes(thumbs[index % DISTINCT_FRAMES])
            data = encoded[index % DISTINCT_FRAMES]
            rows.append(Frame(sequence=sequence, index=index, image=image_name, thumbnail=thumb_name,
                              width=width, height=height, original_name=f"{index:06d}.jpg",
                              checksum=hashlib.sha1(data).hexdigest()[:16]))
        Frame.objects.bulk_create(rows, batch_size=1000)
        frames = list(sequence.frames.order_by("index"))
        track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color)
        rng = np.random.default_rng(5)
        masks = []
        for frame in frames:
            lesion = lesions[frame.index % DISTINCT_FRAMES]
            name = storage.mask_name(sequence_id=sequence.id, frame_index=frame.index, tag_id=polyp.id)
            storage.write_mask(name, lesion)
            x, y, w, h = bounding_box(lesion)
            keyframe = frame.index % 500 == 0
            confidence = None if keyframe else float(rng.uniform(0.2, 1.0))
            accepted = not keyframe and frame.index % 7 == 0
            masks.append(Mask(
                frame=frame, tag=polyp, color=polyp.color, file=name, area=int(lesion.sum()), bbox_x=x, bbox_y=y,
                bbox_width=w, bbox_height=h, track=track, confidence=confidence,
                source=Mask.Source.MANUAL if keyframe else Mask.Source.PROPAGATED,
                segmenter="benchmark" if keyframe else "propagation",
                reviewed_at=timezone.now() if accepted else None,
            ))
        Mask.objects.bulk_create(masks, batch_size=1000)
        blur, bubbles = Tag.objects.get(name="Blur"), Tag.objects.get(name="Bubbles")
        FrameFinding.objects.bulk_create([
            FrameFinding(sequence=sequence, tag=blur if i % 2 else bubbles, first_index=start, last_index=start + 40)
            for i, start in enumerate(range(100, count - 50, count // 12))
        ])
    return sequence


def start_server():
    """The application (static files included) on a free local port, in a thread."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"
