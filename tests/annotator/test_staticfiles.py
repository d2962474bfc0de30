"""The static files as production serves them: the annotation page's ES modules import one another under their
content-hashed names, so an upgrade never mixes a new module with an old one a browser kept."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test.utils import override_settings

IMPORT = re.compile(r'(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)";')


@pytest.mark.django_db
def test_the_annotation_modules_import_each_other_by_hashed_names(settings, tmp_path):
    root = tmp_path / "static"
    with override_settings(STATIC_ROOT=root, STORAGES={
            **settings.STORAGES, "staticfiles": {"BACKEND": "annotator.staticfiles.StaticFilesStorage"}}):
        call_command("collectstatic", "--no-input", verbosity=0)
        entry = root / static("js/annotate.js").removeprefix(settings.STATIC_URL)
    seen, todo = set(), [entry]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        for target in IMPORT.findall(module.read_text()):
            assert re.search(r"\.[0-9a-f]{12}\.js$", target), f"{module.name} imports {target} by its plain name"
            path = (module.parent / target).resolve()
            assert path.is_file(), f"{module.name} imports {target}, which collectstatic did not write"
            todo.append(path)
    names = {re.sub(r"\.[0-9a-f]{12}\.js$", ".js", p.name) for p in seen}
    assert {"annotate.js", "state.js", "api.js", "masks.js", "prompts.js", "shortcuts.js"} <= names
