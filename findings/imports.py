"""Importing frame findings in bulk, so a team can start from a labelled set it already has.

Two layouts:

- **A folder per class** (as public endoscopy classification sets are laid out, e.g. HyperKvasir's labelled
  images): ``ROOT/<class>/<image>``. Each image becomes a sequence of one frame (they are single images, not
  video: a split by sequence then splits images) holding a finding of its class's tag. An image of the same
  file name in several class folders becomes one sequence with each class's finding. A class folder finds its
  tag by the tag's name (case, spaces, dashes and underscores ignored), then by ``tags.taxonomy.ALIASES``
  (``normal-cecum`` → Caecum), or as the caller maps it.
- **A CSV** of ``frame,tag`` rows (``frame`` a frame's row id, as the API's ``frame_id``), or
  ``sequence,frame,tag`` (``sequence`` a sequence's id or exact name, ``frame`` a 0-based index in it or the
  file name the frame was imported from); a header row names the columns. Consecutive frames of one tag become
  one finding (a range).

Both are all or nothing: everything is checked before anything is written, and a failure part-way removes what
was imported.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.db import transaction

from accounts import roles
from core.errors import InvalidInput
from sequences.models import Frame, FrameSequence
from sequences.services import ImportFailed, delete_sequence, import_limits, import_sequence
from sequences.sources import IMAGE_EXTENSIONS, SourceError, SourceFrame, iter_source
from tags.models import Procedure, Tag
from tags.taxonomy import ALIASES

from .models import FrameFinding

MAX_CSV_ROWS = 1_000_000
MAX_CSV_BYTES = 64 * 1024**2  # a CSV is read whole: its rows are checked before any is written


def _normalised(name: str) -> str:
    return re.sub(r"[\s_\-–—]+", "-", name.strip().lower()).strip("-")


def tag_for_folder(folder: str, *, tags: Iterable[Tag], mapping: Mapping[str, str] | None = None) -> Tag | None:
    """The tag of a class folder named ``folder``: as ``mapping`` says (folder name → tag name), else the tag of
    that name, else of the name ``tags.taxonomy.ALIASES`` gives it; None if none."""
    by_name = {_normalised(t.name): t for t in tags}
    wanted = (mapping or {}).get(folder) or ALIASES.get(_normalised(folder)) or folder
    return by_name.get(_normalised(wanted)) or by_name.get(_normalised(folder))


@dataclass
class ClassFolderImport:
    """What a folder-per-class import made: ``sequences`` (one per image), images per tag name, and the files
    skipped (not images, unreadable) with why."""

    sequences: list[FrameSequence] = field(default_factory=list)
    per_tag: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def class_folders(root: Path, *, mapping: Mapping[str, str] | None = None) -> dict[str, Tag]:
    """The class folders of ``root`` (sub-folders holding at least one image) with their tags; InvalidInput
    naming every folder whose tag is not found."""
    root = Path(root)
    if not root.is_dir():
        raise InvalidInput(f"{root} is not a folder.")
    tags = list(Tag.objects.all())
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "__")))
    folders = [p for p in folders if any(f.suffix.lower() in IMAGE_EXTENSIONS for f in p.iterdir() if f.is_file())]
    if not folders:
        raise InvalidInput(f"{root.name} has no folder of images (expected one folder per class, named after it).")
    found: dict[str, Tag] = {}
    unknown = []
    for folder in folders:
        tag = tag_for_folder(folder.name, tags=tags, mapping=mapping)
        if tag is None:
            unknown.append(folder.name)
        else:
            found[folder.name] = tag
    if unknown:
        raise InvalidInput(
            f"No tag for the class folder(s) {', '.join(unknown)}: name a folder after a tag, or map it "
            "(folder=tag)."
        )
    return found


def import_class_folders(
    *, root: Path, mapping: Mapping[str, str] | None = None, procedure: str = Procedure.OTHER,
    deidentify: bool = True, created_by=None, progress: Callable[[int, int], None] | None = None,
) -> ClassFolderImport:
    """Import ``root``'s folder-per-class images as one-frame sequences with their class's finding (see the
    module docstring). ``progress(done, total)`` is told after every image. ``created_by``: a manager
    (importing sequences)."""
    roles.require(created_by, "sequences.add_framesequence", "Importing a labelled image set")
    roles.require(created_by, "findings.add_framefinding", "Importing a labelled image set")
    if procedure not in Procedure.values:
        raise InvalidInput(f"Unknown procedure {procedure!r}; choose one of {', '.join(Procedure.values)}.")
    root = Path(root)
    folders = class_folders(root, mapping=mapping)
    images: dict[str, list[tuple[Path, Tag]]] = {}  # file name → its files and tags
    report = ClassFolderImport()
    for folder, tag in folders.items():
        for path in sorted((root / folder).iterdir()):
            if not path.is_file() or path.name.startswith("."):
                continue
            if path.suffix.lower() not in IMAGE_EXTENSIONS:
                report.skipped.append(f"{folder}/{path.name}: not an image file")
                continue
            images.setdefault(path.name, []).append((path, tag))
    try:
        for done, (name, entries) in enumerate(sorted(images.items()), start=1):
            path, _ = entries[0]
            tags = list(dict.fromkeys(tag for _, tag in entries))
            try:
                imported = import_sequence(
                    source=path, name=f"{root.name}/{path.parent.name}/{name}"[:200], procedure=procedure,
                    created_by=created_by, source_label=f"{root.name}/{path.parent.name}/{name}",
                    deidentify=deidentify,
                )
            except ImportFailed as exc:
                report.skipped.append(f"{path.parent.name}/{name}: {exc}")
                continue
            report.sequences.append(imported.sequence)
            FrameFinding.objects.bulk_create([
                FrameFinding(sequence=imported.sequence, tag=tag, first_index=0, last_index=0,
                             note=f"imported from {root.name}/{path.parent.name}", created_by=created_by)
                for tag in tags
            ])
            for tag in tags:
                report.per_tag[tag.name] = report.per_tag.get(tag.name, 0) + 1
            if progress is not None:
                progress(done, len(images))
    except BaseException:
        for sequence in report.sequences:
            delete_sequence(sequence=sequence)
        raise
    if not report.sequences:
        raise InvalidInput(f"No readable image in the class folders of {root.name}.")
    return report


def import_class_zip(*, archive: Path, **options) -> ClassFolderImport:
    """As :func:`import_class_folders`, from a zip holding the class folders (at its top, or in one folder
    at its top). The zip is read within the import limits (``MAX_*``), as a sequence's zip is."""
    archive = Path(archive)
    with tempfile.TemporaryDirectory(prefix="class-import-") as folder:
        root = Path(folder) / (archive.stem or "classes")
        try:
            for item in iter_source(archive, limits=import_limits()):
                if not isinstance(item, SourceFrame):
                    continue  # not an image: nothing of a class
                parts = PurePosixPath(item.name.replace("\\", "/")).parts
                if len(parts) < 2:
                    continue  # an image outside any class folder
                target = root.joinpath(*parts[-2:])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(item.data)
        except SourceError as exc:
            raise InvalidInput(str(exc)) from exc
        if not root.is_dir():
            raise InvalidInput(f"{archive.name} holds no image inside a class folder.")
        return import_class_folders(root=root, **options)


# ---------- CSV ----------


@dataclass
class CsvImport:
    findings: list[FrameFinding] = field(default_factory=list)
    rows: int = 0
    already: int = 0  # rows whose frame already held a finding of that tag


def _frame_of(row: dict, number: int, *, sequences: dict[str, FrameSequence]) -> Frame:
    frame_value = (row.get("frame") or "").strip()
    sequence_value = (row.get("sequence") or "").strip()
    if not frame_value:
        raise InvalidInput(f"Row {number}: no frame.")
    if not sequence_value:
        if not frame_value.isdigit():
            raise InvalidInput(f"Row {number}: frame {frame_value!r} is not a frame id (without a sequence column).")
        frame = Frame.objects.filter(pk=int(frame_value)).first()
        if frame is None:
            raise InvalidInput(f"Row {number}: no frame of id {frame_value}.")
        return frame
    if sequence_value not in sequences:
        by_id = FrameSequence.objects.filter(pk=int(sequence_value)).first() if sequence_value.isdigit() else None
        by_name = list(FrameSequence.objects.filter(name=sequence_value)[:2])
        if by_id is None and len(by_name) != 1:
            what = "two sequences have" if len(by_name) > 1 else "no sequence has"
            raise InvalidInput(f"Row {number}: {what} the id or name {sequence_value!r}.")
        sequences[sequence_value] = by_id or by_name[0]
    sequence = sequences[sequence_value]
    frame = (Frame.objects.filter(sequence=sequence, index=int(frame_value)).first() if frame_value.isdigit()
             else Frame.objects.filter(sequence=sequence, original_name=frame_value).first())
    if frame is None:
        raise InvalidInput(f"Row {number}: sequence {sequence.id} has no frame {frame_value!r}.")
    return frame


def import_findings_csv(*, data: bytes | str, created_by=None) -> CsvImport:
    """Record the findings a CSV lists (see the module docstring); rows already recorded are counted, not
    doubled. InvalidInput names the first bad row; nothing is written then."""
    roles.require(created_by, "findings.add_framefinding", "Importing findings")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"The CSV is not UTF-8 text: {exc}.") from exc
    reader = csv.DictReader(io.StringIO(data))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not {"frame", "tag"} <= columns:
        raise InvalidInput("The CSV needs a header row with the columns frame and tag (and optionally sequence).")
    tags = {t.name.lower(): t for t in Tag.objects.all()}
    sequences: dict[str, FrameSequence] = {}
    wanted: dict[tuple[int, int], set[int]] = {}  # (sequence id, tag id) → frame indices
    report = CsvImport()
    for number, raw in enumerate(reader, start=2):
        if number > MAX_CSV_ROWS:
            raise InvalidInput(f"The CSV has more than {MAX_CSV_ROWS:,} rows.")
        row = {(k or "").strip().lower(): (v or "") for k, v in raw.items()}
        if not any(value.strip() for value in row.values()):
            continue
        tag = tags.get(row.get("tag", "").strip().lower())
        if tag is None:
            raise InvalidInput(f"Row {number}: no tag named {row.get('tag', '').strip()!r}.")
        frame = _frame_of(row, number, sequences=sequences)
        wanted.setdefault((frame.sequence_id, tag.id), set()).add(frame.index)
        report.rows += 1
    if not report.rows:
        raise InvalidInput("The CSV lists no finding.")
    with transaction.atomic():
        for (sequence_id, tag_id), indices in wanted.items():
            held = FrameFinding.objects.filter(sequence_id=sequence_id, tag_id=tag_id)
            covered = {i for f in held for i in range(f.first_index, f.last_index + 1)}
            report.already += len(indices & covered)
            for first, last in _runs(sorted(indices - covered)):
                report.findings.append(FrameFinding.objects.create(
                    sequence_id=sequence_id, tag_id=tag_id, first_index=first, last_index=last,
                    note="imported from a CSV", created_by=created_by,
                ))
    return report


def _runs(indices: list[int]) -> list[tuple[int, int]]:
    """Sorted ``indices`` as (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for index in indices:
        if runs and index == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], index)
        else:
            runs.append((index, index))
    return runs
