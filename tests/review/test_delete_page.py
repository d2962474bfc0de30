"""Deleting a sequence from its page (issue 14): managers only, a confirmation first, rows then files."""

from __future__ import annotations

import numpy as np
import pytest

from accounts.roles import REVIEWER, assign_role
from masks.models import Mask
from masks.services import save_mask
from sequences.models import Frame, FrameSequence
from tags.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def masked(sequence):
    polyp = Tag.objects.get(name="Polyp")
    pixels = np.zeros((288, 384), bool)
    pixels[10:40, 10:40] = True
    save_mask(frame=sequence.frames.get(index=2), tag=polyp, color=polyp.color, mask=pixels)
    return sequence


def test_a_manager_confirms_then_the_rows_and_files_go(client, user, masked, media_root,
                                                       django_capture_on_commit_callbacks):
    client.force_login(user)
    detail = client.get(f"/sequences/{masked.id}/").content.decode()
    assert f'href="/sequences/{masked.id}/delete/"' in detail
    confirmation = client.get(f"/sequences/{masked.id}/delete/")
    assert confirmation.status_code == 200 and "6 frames, 1 mask," in confirmation.content.decode()
    assert FrameSequence.objects.filter(pk=masked.pk).exists()  # asking deletes nothing
    folders = [media_root / "sequences" / str(masked.id), media_root / "masks" / str(masked.id)]
    assert all(folder.is_dir() for folder in folders)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/sequences/{masked.id}/delete/")
    assert answer.status_code == 302 and answer.url == "/"
    assert not FrameSequence.objects.filter(pk=masked.pk).exists()
    assert not Frame.objects.filter(sequence_id=masked.pk).exists() and not Mask.objects.exists()
    assert not any(folder.exists() for folder in folders)


def test_only_managers_may_delete(client, django_user_model, masked):
    reviewer = django_user_model.objects.create_user(username="rita", password="pass-word-123")
    assign_role(user=reviewer, role=REVIEWER)
    client.force_login(reviewer)
    assert "/delete/" not in client.get(f"/sequences/{masked.id}/").content.decode()
    assert client.get(f"/sequences/{masked.id}/delete/").status_code == 403
    assert client.post(f"/sequences/{masked.id}/delete/").status_code == 403
    assert FrameSequence.objects.filter(pk=masked.pk).exists()
