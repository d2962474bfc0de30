"""People of every role, their clients, and work of theirs to write to."""

from __future__ import annotations

import numpy as np
import pytest
from django.test import Client

from accounts.models import ApiToken
from accounts.roles import ANNOTATOR, MANAGER, REVIEWER, assign_role
from findings.services import create_finding
from masks.models import Mask, Track
from masks.services import save_mask
from tags.models import Tag

# Who may try each write: "anna" and "otto" are annotators (anna made the work), "rita" a reviewer, "max" a
# manager, "root" a superuser, "nobody" a user without a role; "anonymous" is not logged in.
ROLES = {"anna": ANNOTATOR, "otto": ANNOTATOR, "rita": REVIEWER, "max": MANAGER, "nobody": None}
PEOPLE = [*ROLES, "root", "anonymous"]


@pytest.fixture
def people(django_user_model) -> dict:
    users = {}
    for name, role in ROLES.items():
        users[name] = django_user_model.objects.create_user(username=name, password="pass-word-123")
        assign_role(user=users[name], role=role)
    users["root"] = django_user_model.objects.create_superuser(username="root", password="pass-word-123")
    return users


@pytest.fixture
def api_as(people):
    """``api_as(name)``: a client authenticated with a token of ``name`` (anonymous: none)."""

    def client(name: str) -> Client:
        if name == "anonymous":
            return Client()
        _, key = ApiToken.issue(user=people[name], name="tests")
        return Client(HTTP_AUTHORIZATION=f"Token {key}")

    return client


@pytest.fixture
def page_as(people):
    """``page_as(name)``: a browser-like client with a session of ``name`` (anonymous: none)."""

    def client(name: str) -> Client:
        browser = Client()
        if name != "anonymous":
            browser.force_login(people[name])
        return browser

    return client


def square(frame, x: int = 40, size: int = 30) -> np.ndarray:
    mask = np.zeros((frame.height, frame.width), bool)
    mask[40:40 + size, x:x + size] = True
    return mask


@pytest.fixture
def work(sequence, polyp, people) -> dict:
    """anna's work on the sequence: a manual mask on frame 0 with a track, a proposal on frame 1 from her
    extrapolation of that track, and a finding on frames 2–3."""
    frames = list(sequence.frames.order_by("index"))
    keyframe = save_mask(frame=frames[0], tag=polyp, color=polyp.color, mask=square(frames[0]),
                         created_by=people["anna"])
    track = Track.objects.create(sequence=sequence, tag=polyp, color=polyp.color, created_by=people["anna"])
    Mask.objects.filter(pk=keyframe.pk).update(track=track)
    proposal = save_mask(frame=frames[1], tag=polyp, color=polyp.color, mask=square(frames[1], x=44),
                         source=Mask.Source.PROPAGATED, track=track, keyframe=keyframe, confidence=0.8,
                         created_by=people["anna"])
    finding = create_finding(sequence=sequence, tag=Tag.objects.get(name="Blur"), first_index=2, last_index=3,
                             created_by=people["anna"])
    return {"keyframe": keyframe, "proposal": proposal, "track": track, "finding": finding, "frames": frames}
