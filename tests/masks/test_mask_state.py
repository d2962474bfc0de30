"""Which masks are trusted, awaiting review, accepted or low-confidence: the queryset and the rule for rows
already read (masks.selectors.mask_state) answer alike for every kind of mask."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import timezone

from masks.models import Mask
from masks.selectors import MaskState, is_awaiting_review, mask_state, proposals_awaiting_review
from masks.services import save_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


def test_the_queryset_and_the_row_rule_agree_on_every_kind_of_mask(sequence, user):
    polyp = Tag.objects.get(name="Polyp")
    frames = list(sequence.frames.order_by("index"))
    pixels = np.zeros((288, 384), bool)
    pixels[10:40, 10:40] = True
    kinds = [(source, confidence, reviewed) for source in Mask.Source.values for confidence in (None, 0.2, 0.9)
             for reviewed in (False, True)]
    for frame, (source, confidence, reviewed) in zip(frames * len(kinds), kinds, strict=False):
        mask = save_mask(frame=frame, tag=polyp, color=polyp.color, mask=pixels, source=source, confidence=confidence)
        if reviewed:
            Mask.objects.filter(pk=mask.pk).update(reviewed_at=timezone.now(), reviewed_by=user)
    assert Mask.objects.count() == len(kinds) == 18
    asked = {name: set(getattr(Mask.objects, name)().values_list("id", flat=True))
             for name in ("trusted", "awaiting_review", "accepted", "low_confidence")}
    for mask in Mask.objects.all():
        state = mask_state(mask.source, mask.confidence, mask.reviewed_at is not None)
        assert (mask.id in asked["trusted"]) == (state in (MaskState.MANUAL, MaskState.ACCEPTED))
        assert (mask.id in asked["accepted"]) == (state == MaskState.ACCEPTED)
        assert (mask.id in asked["awaiting_review"]) == (state >= MaskState.PROPAGATED)
        assert (mask.id in asked["awaiting_review"]) == is_awaiting_review(mask.source, mask.reviewed_at is not None)
        assert (mask.id in asked["low_confidence"]) == (state == MaskState.LOW_CONFIDENCE)
    # Two proposal sources × three confidences: six wait (two below 0.5), six were accepted; six were made by hand.
    assert [len(asked[name]) for name in ("awaiting_review", "low_confidence", "accepted", "trusted")] == [6, 2, 6, 12]
    waiting = Mask.objects.awaiting_review()
    assert proposals_awaiting_review(sequence_id=sequence.id) == (
        waiting.count(), waiting.values("frame_id").distinct().count())
