"""Roles and ownership: who may write what. The one place these rules live; services ask it.

Roles are Django groups holding Django permissions (installed by ``accounts/migrations/0002_roles``), each
role holding every permission of the roles before it:

- **annotator**: makes masks and findings, extrapolates, edits and deletes *their own* work, hands a sequence
  in for review (in progress ↔ ready for review);
- **reviewer**: also accepts proposals, edits and deletes anyone's masks, tracks and findings, and sets any
  status of a sequence (done included);
- **manager**: also imports and deletes sequences, exports datasets, trains and runs models, uploads live
  videos, and manages users and the taxonomy in the admin (managers are staff; the others are not);
- **admin**: a superuser, who may do everything.

Ownership: a row's author is its ``created_by``. A propagated mask's author is whoever started the
extrapolation that wrote it, so an annotator's own extrapolations are their own work; a model's proposals
belong to the manager who ran the pre-annotation, and are reviewed by reviewers.

Every check takes the acting user. ``None`` stands for a caller without a request (a management command, a
background job started by someone already checked): it is allowed, since whoever runs commands on the server
already owns its database. Views and the API always pass ``request.user``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as installed_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

ANNOTATOR, REVIEWER, MANAGER = "annotator", "reviewer", "manager"
ROLES = (ANNOTATOR, REVIEWER, MANAGER)  # in order: each role holds every permission of those before it

PROJECT_APPS = (
    "accounts", "sequences", "tags", "masks", "extrapolation", "findings", "datasets", "training", "comments",
    "reports",
)

# What each role adds to the roles before it. "app.*" is every permission of that app (for the admin).
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ANNOTATOR: (
        "masks.add_mask", "masks.change_mask", "masks.delete_mask", "masks.delete_track",
        "findings.add_framefinding", "findings.change_framefinding", "findings.delete_framefinding",
        "extrapolation.add_extrapolationjob", "sequences.submit_for_review",
    ),
    REVIEWER: ("masks.review_mask", "findings.review_framefinding", "sequences.set_review_status"),
    MANAGER: (
        "auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_user", "auth.view_group",
        *(f"{app}.*" for app in PROJECT_APPS),
    ),
}


class RoleRequired(PermissionDenied):
    """The acting user's role does not allow the write; the message names the role needed.

    A subclass of Django's ``PermissionDenied``: pages answer 403 with it, the JSON API 403 ``{"error"}``.
    """


def role_permissions(role: str) -> tuple[str, ...]:
    """Every permission pattern of ``role``, those of the roles before it included."""
    return tuple(p for r in ROLES[: ROLES.index(role) + 1] for p in ROLE_PERMISSIONS[r])


def needed_role(permission: str) -> str:
    """The first role holding ``permission`` ("admin" if none does)."""
    app = permission.split(".", 1)[0]
    for role in ROLES:
        if permission in ROLE_PERMISSIONS[role] or f"{app}.*" in ROLE_PERMISSIONS[role]:
            return role
    return "admin"


def role_of(user) -> str | None:
    """"admin" for a superuser, else the highest role among the user's groups, else None."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return "admin"
    names = {group.name for group in user.groups.all()}  # all(): a prefetch (the admin's user list) serves it
    return next((role for role in reversed(ROLES) if role in names), None)


def may(user, permission: str) -> bool:
    """Whether ``user`` holds ``permission`` (``None``, a caller without a request, may do anything)."""
    return user is None or (user.is_authenticated and user.is_active and user.has_perm(permission))


def require(user, permission: str, what: str) -> None:
    """Raise RoleRequired unless ``user`` may ``permission``; ``what`` names the write ("Importing a sequence")."""
    if not may(user, permission):
        raise RoleRequired(f"{what} needs the {needed_role(permission)} role; {_you(user)}.")


def owns(user, row: Any) -> bool:
    """Whether ``user`` is the author (``created_by``) of ``row``."""
    return user is not None and user.pk is not None and row.created_by_id == user.pk


def may_change(user, row: Any, *, own: str, anyone: str) -> bool:
    """Whether ``user`` may write ``row``: with ``anyone`` any row, with ``own`` only a row they created."""
    return may(user, anyone) or (may(user, own) and owns(user, row))


def require_change(user, rows: Any | Iterable[Any], *, own: str, anyone: str, what: str) -> None:
    """Raise RoleRequired unless ``user`` may write every one of ``rows`` (one row, or several: a track's masks).

    An annotator holding ``own`` is told which role writes other people's work; one without it, which
    role writes at all.
    """
    if may(user, anyone):
        return
    require(user, own, what)
    rows = [rows] if hasattr(rows, "created_by_id") else rows
    if not all(owns(user, row) for row in rows):
        raise RoleRequired(
            f"{what} touches work created by someone else, which needs the {needed_role(anyone)} role; "
            f"{_you(user)}."
        )


def require_mask_change(user, masks: Any | Iterable[Any], *, permission: str, what: str) -> None:
    """Masks (and tracks, made of masks): their author changes them, a reviewer anyone's."""
    require_change(user, masks, own=permission, anyone="masks.review_mask", what=what)


def require_finding_change(user, finding: Any, *, permission: str, what: str) -> None:
    """Frame findings: their author changes them, a reviewer anyone's."""
    require_change(user, finding, own=permission, anyone="findings.review_framefinding", what=what)


def _you(user) -> str:
    if user is None or not user.is_authenticated:
        return "log in first"
    role = role_of(user)
    return f"you ({user.get_username()}) are {'an' if role == ANNOTATOR else 'a'} {role}" if role else (
        f"you ({user.get_username()}) have no role yet: ask a manager for one"
    )


def assign_role(*, user, role: str | None) -> None:
    """Give ``user`` exactly ``role`` (None: no role). Managers are staff (they use the admin); the others
    not, unless they are superusers."""
    if role is not None and role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(ROLES)}.")
    if Group.objects.filter(name__in=ROLES).count() < len(ROLES):
        install_roles()  # a flushed database (the browser tests' live server)
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    user.is_staff = user.is_superuser or role == MANAGER
    user.save(update_fields=["is_staff"])  # permissions already asked of this object stay cached on it (Django's rule)


def install_roles(apps=None) -> None:
    """Create or update the role groups with exactly their permissions (a migration passes its ``apps``)."""
    apps = apps or installed_apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    if not permission_model.objects.filter(content_type__app_label="masks", codename="review_mask").exists():
        _create_permissions(apps)
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        chosen = []
        for pattern in role_permissions(role):
            app, codename = pattern.split(".", 1)
            found = permission_model.objects.filter(content_type__app_label=app)
            if codename != "*":
                found = found.filter(codename=codename)
            if codename != "*" and not found.exists():
                raise LookupError(f"Role {role}: no permission {pattern}.")
            chosen.extend(found)
        group.permissions.set(chosen)


def _create_permissions(apps) -> None:
    """Django creates permissions after the last migration; the roles need them before (a fresh database). Its own
    ``create_permissions`` makes them; it skips an app whose ``models_module`` (a documented AppConfig attribute) is
    unset, as a historical app config's is, so that attribute is set for the call."""
    for app_config in apps.get_app_configs():
        module = getattr(app_config, "models_module", None)
        app_config.models_module = module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = module
