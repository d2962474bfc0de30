"""``manage.py app_graph``: check that no app imports an app on its own layer or above, and redraw the picture."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.architecture import LAYERS, draw_svg, read_graph, violations


class Command(BaseCommand):
    help = (
        "Read the apps' imports (ast; migrations and tests left out), check them against the layers of "
        "core/architecture.py and draw docs/architecture.svg. Fails, naming the imports, when one points up."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Only check; write no picture.")
        parser.add_argument("--root", type=Path, default=Path(settings.BASE_DIR),
                            help="The folder holding the apps (default: the project's).")
        parser.add_argument("--output", type=Path, default=None,
                            help="Where to write the SVG (default: docs/architecture.svg under --root).")

    def handle(self, *args, check: bool, root: Path, output: Path | None, **options) -> None:
        graph = read_graph(root)
        problems = violations(graph)
        if problems:
            raise CommandError("Imports against the layers:\n" + "\n".join(f"- {p}" for p in problems))
        self.stdout.write(f"{len(graph.apps)} apps on {len(LAYERS)} layers, {len(graph.edges)} dependencies, "
                          "every one pointing down.")
        if not check:
            output = output or root / "docs" / "architecture.svg"
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(draw_svg(graph))
            self.stdout.write(f"Drew {output}.")
