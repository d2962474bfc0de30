"""The renames to the users' names (Sequence → FrameSequence, PromptPoint → Point) keep every row and every
permission a group or user held, on a database migrated before them."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("masks", "0007_effort_event"), ("sequences", "0005_sequence_importing_deidentified")]
AFTER = [("sequences", "0006_rename_sequence_framesequence"), ("masks", "0008_rename_promptpoint_point")]


def migrate(targets):
    """Migrate as ``manage.py migrate`` does (its signals rename the content types), then the models as of
    ``targets``."""
    for app, name in targets:
        call_command("migrate", app, name, verbosity=0)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    yield
    call_command("migrate", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_renames_keep_rows_and_permissions(back_to_latest):
    old = migrate(BEFORE)
    sequence_type, _ = ContentType.objects.get_or_create(app_label="sequences", model="sequence")
    point_type, _ = ContentType.objects.get_or_create(app_label="masks", model="promptpoint")
    delete_sequence, _ = Permission.objects.get_or_create(
        content_type=sequence_type, codename="delete_sequence", defaults={"name": "Can delete sequence"})
    view_point, _ = Permission.objects.get_or_create(
        content_type=point_type, codename="view_promptpoint", defaults={"name": "Can view prompt point"})
    group = Group.objects.create(name="renamed-permissions")
    group.permissions.add(delete_sequence, view_point)
    sequence = old.get_model("sequences", "Sequence").objects.create(name="kept")
    frame = old.get_model("sequences", "Frame").objects.create(
        sequence=sequence, index=0, image="frames/x.png", width=4, height=4)
    tag = old.get_model("tags", "Tag").objects.create(name="renamed-tag", color="#ff0000")
    mask = old.get_model("masks", "Mask").objects.create(
        frame=frame, tag=tag, color="#ff0000", file="m.png", area=1, bbox_x=0, bbox_y=0, bbox_width=1, bbox_height=1)
    old.get_model("masks", "PromptPoint").objects.create(mask=mask, x=1, y=2, sign="+", order=0)

    new = migrate(AFTER)
    kept = new.get_model("sequences", "FrameSequence").objects.get(pk=sequence.pk)
    assert kept.name == "kept" and kept.frames.count() == 1
    assert new.get_model("masks", "Point").objects.get(mask_id=mask.pk).x == 1
    codenames = set(Group.objects.get(pk=group.pk).permissions.values_list(
        "content_type__model", "codename"))
    assert codenames == {("framesequence", "delete_framesequence"), ("point", "view_point")}

    migrate(BEFORE)
    reverted = Permission.objects.filter(group__name="renamed-permissions").values_list("codename", flat=True)
    assert set(reverted) == {"delete_sequence", "view_promptpoint"}
