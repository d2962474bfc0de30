"""The apps' layers: the real code imports only downwards, and an import pointing up fails, named."""

from __future__ import annotations

import ast
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from core.architecture import draw_svg, imported_modules, node_of, read_graph, violations


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_code_imports_only_apps_on_lower_layers():
    out = StringIO()
    call_command("app_graph", "--check", stdout=out)
    assert "every one pointing down" in out.getvalue()


def test_the_committed_picture_is_the_code_s():
    root = Path(settings.BASE_DIR)
    drawn = draw_svg(read_graph(root))
    assert (root / "docs" / "architecture.svg").read_text() == drawn, (
        "docs/architecture.svg is out of date: redraw it with `python manage.py app_graph`")


def test_an_import_pointing_up_fails_the_check_and_names_where(tmp_path):
    write(tmp_path, {
        "sequences/__init__.py": "",
        "sequences/models.py": "from tags.models import Tag\n",
        "sequences/selectors.py": "def timeline():\n    from masks.models import Mask  # dodging the cycle\n",
        "masks/__init__.py": "",
        "masks/models.py": "from sequences.models import Frame\n",
        "tags/__init__.py": "",
        "tags/models.py": "",
    })
    with pytest.raises(CommandError) as failure:
        call_command("app_graph", "--check", root=tmp_path)
    message = str(failure.value)
    assert "sequences imports masks, above it: sequences/selectors.py:2" in message
    assert "masks imports sequences" not in message and "sequences imports tags" not in message
    assert not (tmp_path / "docs").exists()


def test_an_import_on_the_same_layer_and_an_app_on_no_layer_fail(tmp_path):
    write(tmp_path, {
        "masks/__init__.py": "", "masks/api.py": "from findings import selectors\n",
        "findings/__init__.py": "", "findings/selectors.py": "",
        "gadgets/__init__.py": "",
    })
    problems = violations(read_graph(tmp_path))
    assert problems == [
        "gadgets is on no layer: add it to LAYERS in core/architecture.py",
        "masks imports findings, on its own layer: masks/api.py:1",
    ]


def test_migrations_and_tests_are_left_out_and_a_clean_tree_is_drawn(tmp_path):
    write(tmp_path, {
        "sequences/__init__.py": "",
        "sequences/migrations/__init__.py": "", "sequences/migrations/0002.py": "import masks.models\n",
        "sequences/tests/test_it.py": "from review import views\n",
        "masks/__init__.py": "", "masks/models.py": "from . import storage\nfrom sequences.models import Frame\n",
        "masks/storage.py": "",
    })
    out = StringIO()
    call_command("app_graph", root=tmp_path, stdout=out)
    graph = read_graph(tmp_path)
    assert graph.edges == {("masks", "sequences"): ["masks/models.py:2"]}
    svg = (tmp_path / "docs" / "architecture.svg").read_text()
    assert svg.startswith("<svg") and "<title>masks imports sequences</title>" in svg and "#c00" not in svg


def test_names_resolve_to_their_app():
    assert node_of("old.shared.jobs", {"old.shared": "core"}) == "core"  # a module placed in another app
    assert node_of("annotator.settings") == "annotator"
    assert node_of("masks.segmentation.sam") == "masks"
    tree = ast.parse("from . import services\nfrom .models import Mask\nfrom annotator import api\nimport numpy\n")
    names = [name for name, _ in imported_modules(tree, "review.views")]
    assert names == ["review.services", "review.models.Mask", "annotator.api", "numpy"]
    package = [name for name, _ in imported_modules(ast.parse("from .apps import X\n"), "review", package=True)]
    assert package == ["review.apps.X"]
