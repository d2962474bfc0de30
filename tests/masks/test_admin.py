"""Deleting masks in the admin follows the rule of the annotation page and the API: its author deletes a mask, a
reviewer anyone's, one at a time or in bulk; the file goes with the row."""

import numpy as np
import pytest
from django.test import Client

from accounts.roles import ANNOTATOR, REVIEWER, assign_role
from masks.models import Mask
from masks.services import save_mask
from tags.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    def make(name: str, role: str):
        person = django_user_model.objects.create_user(username=name, password="pass-word-123")
        assign_role(user=person, role=role)
        django_user_model.objects.filter(pk=person.pk).update(is_staff=True)  # let into the admin
        client = Client()
        client.force_login(person)
        return person, client

    return make


def _mask(sequence, author, index: int) -> Mask:
    polyp = Tag.objects.get(name="Polyp")
    pixels = np.zeros((288, 384), bool)
    pixels[10:40, 10:40] = True
    return save_mask(frame=sequence.frames.get(index=index), tag=polyp, color=polyp.color, mask=pixels,
                     created_by=author)


def test_an_annotator_deletes_their_own_masks_only(sequence, staff, media_root, django_capture_on_commit_callbacks):
    anna, as_anna = staff("anna", ANNOTATOR)
    otto, _ = staff("otto", ANNOTATOR)
    own, others = _mask(sequence, anna, 0), _mask(sequence, otto, 1)
    assert as_anna.post(f"/admin/masks/mask/{others.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [own.pk, others.pk], "post": "yes"}
    assert as_anna.post("/admin/masks/mask/", bulk).status_code == 403
    assert Mask.objects.count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert as_anna.post(f"/admin/masks/mask/{own.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(Mask.objects.all()) == [others]
    assert not (media_root / own.file.name).exists() and (media_root / others.file.name).exists()


def test_a_reviewer_deletes_anyones_masks_in_bulk(sequence, staff, media_root, django_capture_on_commit_callbacks):
    anna, _ = staff("anna", ANNOTATOR)
    _, as_rita = staff("rita", REVIEWER)
    masks = [_mask(sequence, anna, 0), _mask(sequence, anna, 1)]
    bulk = {"action": "delete_selected", "_selected_action": [m.pk for m in masks], "post": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        assert as_rita.post("/admin/masks/mask/", bulk).status_code == 302
    assert not Mask.objects.exists()
    assert not any((media_root / m.file.name).exists() for m in masks)
