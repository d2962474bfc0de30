"""The roles themselves: the groups the migration installs, giving a role, the demo's admin, callers without a
request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

from accounts.roles import ROLES, RoleRequired, assign_role, role_of
from masks.models import Mask
from masks.services import delete_mask


def codenames(role: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()}


@pytest.mark.django_db
def test_the_migration_installs_cumulative_roles():
    annotator, reviewer, manager = (codenames(role) for role in ROLES)
    assert annotator < reviewer < manager
    assert {"masks.add_mask", "masks.change_mask", "findings.add_framefinding", "sequences.submit_for_review",
            "extrapolation.add_extrapolationjob"} <= annotator
    assert reviewer - annotator == {"masks.review_mask", "findings.review_framefinding", "sequences.set_review_status"}
    assert {"sequences.add_framesequence", "sequences.delete_framesequence", "datasets.export", "training.train",
            "training.preannotate", "auth.change_user", "tags.change_tag"} <= manager - reviewer
    assert not {"auth.change_group", "auth.change_permission"} & manager  # roles are not a manager's to redefine


def test_set_role_gives_exactly_one_role(django_user_model, capsys):
    bob = django_user_model.objects.create_user(username="bob")
    call_command("set_role", "bob", "manager")
    bob = User.objects.get(pk=bob.pk)
    assert role_of(bob) == "manager" and bob.is_staff and bob.has_perm("datasets.export")
    call_command("set_role", "bob", "annotator")
    bob = User.objects.get(pk=bob.pk)
    assert role_of(bob) == "annotator" and not bob.is_staff and not bob.has_perm("datasets.export")
    call_command("set_role", "bob", "none")
    bob = User.objects.get(pk=bob.pk)
    assert role_of(bob) is None and not bob.has_perm("masks.add_mask")
    assert "bob now has no role." in capsys.readouterr().out
    with pytest.raises(CommandError, match="No user named 'alice'"):
        call_command("set_role", "alice", "reviewer")


def test_the_demo_admin_is_a_superuser_who_may_do_everything(db):
    call_command("setup_demo", "--frames", "2", stdout=None)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and role_of(admin) == "admin"
    assert all(admin.has_perm(p) for p in ("masks.review_mask", "datasets.export", "auth.change_group"))


def test_a_caller_without_a_request_is_not_asked_for_a_role(work):
    """Commands and jobs pass no user: whoever runs them already owns the server."""
    delete_mask(mask=work["keyframe"])
    assert not Mask.objects.filter(pk=work["keyframe"].pk).exists()


def test_an_inactive_user_may_do_nothing(work, people):
    anna = people["anna"]
    User.objects.filter(pk=anna.pk).update(is_active=False)
    anna.refresh_from_db()
    with pytest.raises(RoleRequired):
        delete_mask(mask=work["keyframe"], user=anna)
    assert Mask.objects.filter(pk=work["keyframe"].pk).exists()


def test_a_role_change_takes_effect_at_the_users_next_request(people, work):
    """Django caches a user's permissions on the user object for a request; the next request reads the user anew
    (as here: the row fetched again) and holds the new role."""
    otto = people["otto"]
    with pytest.raises(RoleRequired, match="needs the reviewer role"):
        delete_mask(mask=work["keyframe"], user=otto)
    assign_role(user=otto, role="reviewer")
    otto = type(otto).objects.get(pk=otto.pk)
    delete_mask(mask=work["keyframe"], user=otto)
    assert not Mask.objects.filter(pk=work["keyframe"].pk).exists()


@pytest.mark.django_db
def test_managers_manage_every_app_of_the_project_in_the_admin():
    manager = Group.objects.get(name="manager").permissions
    for codename in ("view_comment", "delete_comment", "view_procedurereport", "change_procedurereport",
                     "view_rejectedframe"):
        assert manager.filter(codename=codename).exists(), codename
