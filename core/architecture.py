"""The apps' dependency graph: read from their imports, checked against the declared layers, drawn as SVG.

An app imports only apps on layers below its own. So no two apps import each other, and a reader can learn the
code bottom up: the lower an app, the less it needs to be understood. ``python manage.py app_graph`` checks the
code and redraws docs/architecture.svg; the test suite runs the check, so an import pointing up fails it.

No Django here: the graph is read from the source files' syntax (``ast``), nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

#: Bottom to top. An app may import the apps of the layers below its own, none on its own layer or above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("accounts", "backbone", "vision"),  # vision: framework-free frame and mask arithmetic (numpy, OpenCV)
    ("core",),  # shared plumbing: one JSON error shape, media, uploads, jobs
    ("tags",),
    ("sequences",),
    ("masks", "findings"),
    ("extrapolation", "comments"),
    ("review",),  # the review surface: sequence list and page, annotation page, timeline, review order, status
    ("datasets", "reports"),
    ("training",),
    ("annotator",),  # the project: settings and the root URLconf, which include every app's urls
)

#: Modules whose app is not their top-level package (none today; a module moving between apps may sit here meanwhile).
PLACES: dict[str, str] = {}

#: Folders of the code base that are not app code (the tests may import anything).
SKIPPED_PARTS = frozenset({"migrations", "tests", "__pycache__"})


@dataclass
class Graph:
    """Apps and their imports: ``edges[(importer, imported)]`` lists where (``path:line``), in file order."""

    apps: set[str] = field(default_factory=set)
    edges: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def node_of(module: str, places: Mapping[str, str] = PLACES) -> str:
    """The app a dotted module belongs to: its longest prefix in ``places``, else its top-level package."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in places:
            return places[prefix]
    return parts[0]


def imported_modules(tree: ast.AST, module: str, *, package: bool = False) -> Iterable[tuple[str, int]]:
    """(dotted name, line) of every import in ``tree``, the syntax of ``module`` (an ``__init__``: ``package``), at
    module level or inside a function; relative imports are resolved against ``module``. ``from a import b`` gives
    ``a.b``: b may be a module of a (``from annotator import api``) or a name defined in it, the same app either way.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = module.split(".")
                base = parts[: len(parts) - node.level + (1 if package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            for alias in node.names:
                yield f"{name}.{alias.name}" if name else alias.name, node.lineno


def read_graph(root: Path, places: Mapping[str, str] = PLACES) -> Graph:
    """The graph of the packages directly under ``root`` (folders with an ``__init__.py``, the tests left out)."""
    graph = Graph()
    packages = sorted(p.name for p in root.iterdir() if (p / "__init__.py").is_file() and p.name not in SKIPPED_PARTS)
    graph.apps = {node_of(name, places) for name in packages} | {node for node in places.values()}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root)
            if SKIPPED_PARTS & set(relative.parts):
                continue
            module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            source = node_of(module, places)
            tree = ast.parse(path.read_text(), str(relative))
            for name, line in imported_modules(tree, module, package=path.name == "__init__.py"):
                if name.split(".")[0] not in packages:
                    continue  # the standard library, Django, numpy...
                target = node_of(name, places)
                if target != source:
                    where = f"{relative.as_posix()}:{line}"
                    found = graph.edges.setdefault((source, target), [])
                    if where not in found:
                        found.append(where)
    return graph


def layer_of(layers: Sequence[Sequence[str]]) -> dict[str, int]:
    return {app: i for i, layer in enumerate(layers) for app in layer}


def violations(graph: Graph, layers: Sequence[Sequence[str]] = LAYERS) -> list[str]:
    """What breaks the layering, one sentence each: an app on no layer, an import of an app not below."""
    level = layer_of(layers)
    problems = [f"{app} is on no layer: add it to LAYERS in core/architecture.py"
                for app in sorted(graph.apps - set(level))]
    for (source, target), where in sorted(graph.edges.items()):
        if source in level and target in level and level[target] >= level[source]:
            side = "on its own layer" if level[target] == level[source] else "above it"
            problems.append(f"{source} imports {target}, {side}: {', '.join(where)}")
    return problems


# Drawing: one row per layer, the top layer first; boxes evenly spread in their row; an arrow per import.
_WIDTH = 980
_ROW = 84
_BOX_HEIGHT = 34
_MARGIN = 24
_CHAR = 8.2  # width of a character of the 14px label, roughly
# Imported by nearly every app (roles, the JSON error shape): their arrows, and the project's, are drawn lighter.
_FOUNDATION = frozenset({"accounts", "core"})


def draw_svg(graph: Graph, layers: Sequence[Sequence[str]] = LAYERS) -> str:
    """The graph as a plain SVG document: layered boxes, an arrow from each importer down to what it imports.
    Arrows into accounts and core (used by nearly every app) and out of the project (annotator) are lighter."""
    rows = [sorted(app for app in layer if app in graph.apps) for layer in reversed(layers)]
    height = _MARGIN * 2 + _ROW * (len(rows) - 1) + _BOX_HEIGHT
    boxes: dict[str, tuple[float, float, float]] = {}  # app → (centre x, top y, width)
    for r, row in enumerate(rows):
        y = _MARGIN + r * _ROW
        for i, app in enumerate(row):
            x = 90 + (_WIDTH - 90) * (i + 1) / (len(row) + 1)
            boxes[app] = (x, y, max(150.0, _CHAR * len(app) + 28))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
        f'viewBox="0 0 {_WIDTH} {height}" font-family="sans-serif" font-size="14">',
        "<defs>",
        '<marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#345"/></marker>',
        '<marker id="head-light" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#bbc"/></marker>',
        "</defs>",
        f'<rect width="{_WIDTH}" height="{height}" fill="#fff"/>',
    ]
    level = layer_of(layers)
    for r in range(len(rows)):
        out.append(f'<text x="12" y="{_MARGIN + r * _ROW + 22}" fill="#889">layer {len(rows) - 1 - r}</text>')
    drawn = sorted(edge for edge in graph.edges if edge[0] in boxes and edge[1] in boxes)
    # Each arrow leaves and enters its boxes at its own point, in the order of the other ends, so that arrows
    # sharing a box do not pile up on one line.
    leaving = {app: sorted((boxes[t][0], t) for s, t in drawn if s == app) for app in boxes}
    entering = {app: sorted((boxes[s][0], s) for s, t in drawn if t == app) for app in boxes}

    def port(app: str, others: list[tuple[float, str]], other: str) -> float:
        x, _, w = boxes[app]
        k = [name for _, name in others].index(other)
        return x - w / 2 + w * (k + 1) / (len(others) + 1)

    for source, target in drawn:
        x1, x2 = port(source, leaving[source], target), port(target, entering[target], source)
        start, end = boxes[source][1] + _BOX_HEIGHT, boxes[target][1]
        if level.get(target, 0) >= level.get(source, 0):  # never in a checked graph: drawn red to be seen
            colour, marker, width = "#c00", "head", 2.0
        elif target in _FOUNDATION or source == "annotator":
            colour, marker, width = "#bbc", "head-light", 1.0
        else:
            colour, marker, width = "#345", "head", 1.4
        bend = (end - start) / 2
        curve = f"M{x1:.1f},{start:.1f} C{x1:.1f},{start + bend:.1f} {x2:.1f},{end - bend:.1f} {x2:.1f},{end:.1f}"
        out.append(
            f'<path d="{curve}" fill="none" stroke="{colour}" stroke-width="{width}" marker-end="url(#{marker})">'
            f"<title>{escape(source)} imports {escape(target)}</title></path>"
        )
    for app, (x, y, w) in sorted(boxes.items()):
        out.append(
            f'<rect x="{x - w / 2:.1f}" y="{y:.1f}" width="{w:.1f}" height="{_BOX_HEIGHT}" rx="6" '
            f'fill="#eef3f8" stroke="#345"/>'
            f'<text x="{x:.1f}" y="{y + 22:.1f}" text-anchor="middle" fill="#123">{escape(app)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
