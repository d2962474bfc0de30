"""The procedure report in a real browser: its figures, landmarks, timeline and lesion thumbnails, each figure a
link to its frames, the print layout, all under the Content-Security-Policy."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from reports.models import ProcedureReport
from reports.recording import Recorder
from reports.services import save_report
from sequences.services import import_sequence
from sequences.synthetic import make_sequence
from tests.browser.conftest import ARTIFACTS, log_in
from tests.conftest import write_frames

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NAMES = ["Caecum", "Ileocaecal valve", "Blur", "Bubbles", "BBPS 0–1", "Out of body"]


def generated_report(user) -> ProcedureReport:
    """A 90-frame colonoscopy at 2 frames/s (generated frames with a moving lesion) and per-frame output laid
    out as a model would give it: out of body, insertion, the caecum and its valve, blur, bubbles, two lesions."""
    images, masks = make_sequence(count=90, height=144, width=192, seed=5)
    with tempfile.TemporaryDirectory() as folder:
        sequence = import_sequence(source=write_frames(Path(folder), images), name="Colonoscopy 17",
                                   procedure="colonoscopy", created_by=user).sequence
    sequence.fps = 2.0
    sequence.save(update_fields=["fps"])
    p = np.full((90, len(NAMES)), 0.03)
    p[:4, 5] = p[86:, 5] = 0.97
    p[30:40, 0] = 0.9
    p[33:38, 1] = 0.8
    p[50:58, 2] = 0.85
    p[64:68, 3] = 0.7
    p[70:76, 4] = 0.75
    recorder = Recorder(names=NAMES, thresholds=[0.5, 0.5, 0.4, 0.5, 0.5, 0.5], lesion_tags=["Polyp"])
    for index, (row, mask) in enumerate(zip(p, masks, strict=True)):
        lesion = mask if (45 <= index < 60 or 75 <= index < 84) else np.zeros_like(mask)
        recorder.add(findings=dict(zip(NAMES, row, strict=True)), masks={"Polyp": lesion.astype(np.float32)},
                     frame_index=index)
    return save_report(recorder=recorder, source=ProcedureReport.Source.OFFLINE, fps=sequence.fps, sequence=sequence,
                       created_by=user)


def test_the_report_page_shows_every_figure_with_links_to_its_frames_and_prints(page, live_server, user):
    report = generated_report(user)
    log_in(page, live_server, "annotator", "secret-pass-123", "/reports/")
    page.click(f"a[href='/reports/{report.id}/']")
    expect(page.locator("h1")).to_have_text("Procedure report: Colonoscopy 17")
    caecum = page.locator("[data-indicator=caecum]")
    expect(caecum).to_contain_text("yes, at 0:15 (Caecum)")
    expect(page.locator("[data-indicator=withdrawal]")).to_contain_text("below the 6:00 minimum")
    expect(page.locator("[data-indicator=blur]")).to_contain_text("frames")
    expect(page.locator("[data-indicator=lesions]")).to_contain_text("2")
    expect(page.locator("[data-landmark='Ileocaecal valve']")).to_have_class("reached")
    expect(page.locator("#lesions tbody tr")).to_have_count(2)
    expect(page.locator("#lesions img.lesion-thumb")).to_have_count(2)
    assert page.locator("svg.timeline-svg rect.stretch").count() >= 6
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "procedure-report.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(page.locator(".report-actions")).to_be_hidden()
    page.emulate_media(media="screen")
    caecum.locator("a").click()  # a figure leads to its frames
    expect(page).to_have_url(re.compile(rf"/sequences/{report.sequence_id}/annotate/\?frame=30$"))
