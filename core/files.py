"""The one rule of files and rows: a row that owns files under MEDIA_ROOT takes them with it when it is deleted.

A model owns files by declaring them (``owned_files()``: names relative to MEDIA_ROOT, files or folders) and
being registered with :func:`owns_files`. One ``post_delete`` receiver, the same for every such model, removes
them once the deletion has committed: however the row goes (a service, the admin's delete or bulk delete, a
cascade from its parent), its files follow, and a deletion that is rolled back leaves them in place.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from typing import Protocol, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete

logger = logging.getLogger(__name__)


class FileOwner(Protocol):
    def owned_files(self) -> Iterable[str]:
        """Names relative to MEDIA_ROOT of the files and folders that go with the row ("" for none)."""


Model = TypeVar("Model", bound=type)


def owns_files(model: Model) -> Model:
    """Class decorator: deleting a row of ``model`` removes its ``owned_files()`` once the deletion commits."""
    uid = f"owned-files:{model.__module__}.{model.__qualname__}"
    post_delete.connect(_remove_after_commit, sender=model, dispatch_uid=uid)
    return model


def _remove_after_commit(sender, instance: FileOwner, using: str, **kwargs) -> None:
    names = [name for name in instance.owned_files() if name]
    if names:
        # Robust: the rows are gone for good by then; a file that cannot be removed is logged, not raised into
        # the request or job that deleted them.
        transaction.on_commit(lambda: remove_media(names), using=using, robust=True)


def remove_media(names: Iterable[str]) -> None:
    """Remove files and folders named relative to MEDIA_ROOT; what is missing is skipped, and a name that
    points outside MEDIA_ROOT (or at MEDIA_ROOT itself) is refused, never followed."""
    root = os.path.normpath(settings.MEDIA_ROOT)
    for name in names:
        path = os.path.normpath(os.path.join(root, name))
        if not path.startswith(root + os.sep):
            logger.error("Not removing %r: it is not inside MEDIA_ROOT", name)
            continue
        try:
            os.unlink(path)  # one system call for a file, the usual case
        except FileNotFoundError:
            pass
        except (IsADirectoryError, PermissionError):  # a folder (Linux says EISDIR, macOS EPERM)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                raise
