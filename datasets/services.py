"""Writing datasets: importing masks that already exist, importing a benchmark-layout folder, exporting.

The file formats and the split are framework-free (:mod:`datasets.formats`, :mod:`datasets.splits`);
this module adapts them: reads frames and masks through their apps, writes the zip atomically (a reader
never sees half an export), reports progress and honours cancellation.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from natsort import natsorted

from accounts import roles
from core import jobs
from core.errors import InvalidInput
from core.jobs import JobRecord
from findings.models import FrameFinding
from masks import storage
from masks.models import Mask
from masks.services import delete_masks, save_mask, validate_color
from sequences.models import Frame, FrameSequence
from sequences.selectors import frame_path
from sequences.services import ImportFailed, delete_sequence, import_sequence
from tags.models import Procedure, Tag
from vision.io import read_mask

from . import formats
from .models import DatasetExport
from .splits import SPLITS, check_split, split_by_sequence

MATCH_MODES = ("original-name", "stem", "order")
MASK_EXTENSIONS = {".png", ".bmp", ".tif", ".tiff", ".jpg", ".jpeg"}
EXPORT_FORMAT = "annotator-export/1"


# --- importing masks that already exist ----------------------------------------------------------------


@dataclass
class MaskImportReport:
    sequence: FrameSequence
    tag: Tag
    imported: int = 0
    replaced: int = 0
    already_masked: list[str] = field(default_factory=list)  # frames that had a manual mask of the tag
    empty: list[str] = field(default_factory=list)  # mask files with no object pixel: nothing to save
    frames_without_mask: list[str] = field(default_factory=list)
    unused_files: list[str] = field(default_factory=list)


def _mask_files(masks_dir: Path) -> list[Path]:
    return natsorted(
        (p for p in masks_dir.iterdir() if p.is_file() and p.suffix.lower() in MASK_EXTENSIONS),
        key=lambda p: p.name,
    )


def _match_files(frames: list[Frame], files: list[Path], match: str) -> dict[int, Path]:
    """Frame id → mask file. 'original-name': same file name as imported; 'stem': same name without
    extension (frame.jpg ↔ frame.png); 'order': the n-th file (natural order) is the n-th frame."""
    if match == "order":
        if len(files) != len(frames):
            raise InvalidInput(
                f"--match order needs one mask file per frame: {len(files)} files for {len(frames)} frames."
            )
        return {f.id: p for f, p in zip(frames, files, strict=True)}
    key = (lambda name: name) if match == "original-name" else (lambda name: Path(name).stem)
    by_key: dict[str, Path] = {}
    for path in files:
        if key(path.name) in by_key:
            raise InvalidInput(f"Mask files {by_key[key(path.name)].name} and {path.name} match the same frame.")
        by_key[key(path.name)] = path
    return {f.id: by_key[key(f.original_name)] for f in frames if f.original_name and key(f.original_name) in by_key}


def import_masks(
    *,
    sequence: FrameSequence,
    masks_dir: Path,
    tag: Tag,
    match: str = "original-name",
    color: str | None = None,
    replace: bool = False,
    created_by=None,
) -> MaskImportReport:
    """Import existing mask images (0 background, >127 object) of ``sequence``'s frames as manual masks.

    Every file is read and checked first (size matches its frame); only then are masks saved, so bad
    input leaves nothing behind. Frames that already have a manual mask of ``tag`` keep it unless
    ``replace``; running the import twice therefore adds nothing the second time.
    """
    if match not in MATCH_MODES:
        raise InvalidInput(f"Unknown match mode {match!r}; choose one of {', '.join(MATCH_MODES)}.")
    masks_dir = Path(masks_dir)
    if not masks_dir.is_dir():
        raise InvalidInput(f"{masks_dir} is not a folder of mask images.")
    frames = list(sequence.frames.order_by("index"))
    if not frames:
        raise InvalidInput(f"Sequence {sequence.id} has no frames.")
    files = _mask_files(masks_dir)
    if not files:
        raise InvalidInput(f"No mask image ({', '.join(sorted(MASK_EXTENSIONS))}) in {masks_dir}.")
    matched = _match_files(frames, files, match)
    if not matched:
        example = frames[0].original_name or "(no name recorded)"
        raise InvalidInput(
            f"No mask file in {masks_dir} matches a frame of sequence {sequence.id} by {match} "
            f"(first frame: {example}; first file: {files[0].name}). Try --match stem or --match order."
        )
    report = MaskImportReport(sequence=sequence, tag=tag)
    manual = Mask.objects.filter(frame__sequence=sequence, tag=tag, source=Mask.Source.MANUAL)
    existing = set(manual.values_list("frame_id", flat=True))
    to_save: list[tuple[Frame, np.ndarray]] = []
    for frame in frames:
        path = matched.get(frame.id)
        if path is None:
            report.frames_without_mask.append(frame.original_name or f"frame {frame.number}")
            continue
        try:
            mask = read_mask(path)
        except FileNotFoundError as exc:
            raise InvalidInput(f"Mask file {path.name} cannot be read as an image.") from exc
        if mask.shape != (frame.height, frame.width):
            raise InvalidInput(
                f"Mask file {path.name} is {mask.shape[1]}×{mask.shape[0]} but frame {frame.number} "
                f"({frame.original_name}) is {frame.width}×{frame.height}."
            )
        if not mask.any():
            report.empty.append(path.name)
            continue
        if frame.id in existing and not replace:
            report.already_masked.append(frame.original_name or f"frame {frame.number}")
            continue
        to_save.append((frame, mask))
    used = set(matched.values())
    report.unused_files = [p.name for p in files if p not in used]
    color = validate_color(color or tag.color)
    saved_files: list[str] = []
    try:
        with transaction.atomic():
            if replace:
                report.replaced = delete_masks(Mask.objects.filter(
                    frame__in=[f for f, _ in to_save], tag=tag, source=Mask.Source.MANUAL
                ))
            for frame, mask in to_save:
                saved = save_mask(frame=frame, tag=tag, color=color, mask=mask, segmenter="import",
                                  created_by=created_by)
                saved_files.append(saved.file.name)
    except BaseException:
        for name in saved_files:  # the rows are rolled back; their files must go too
            storage.delete_mask_file(name)
        raise
    report.imported = len(to_save)
    return report


# --- importing a benchmark-layout folder ---------------------------------------------------------------


@dataclass
class DatasetImportReport:
    sequences: list[FrameSequence] = field(default_factory=list)
    masks: list[MaskImportReport] = field(default_factory=list)


def read_sequence_list(dataset_dir: Path) -> list[dict]:
    """``sequences.json`` of a BENCHMARKS.md-layout folder, checked: ids, frames in order, files present."""
    dataset_dir = Path(dataset_dir)
    listing = dataset_dir / "sequences.json"
    if not listing.is_file():
        raise InvalidInput(f"{dataset_dir} has no sequences.json (see BENCHMARKS.md for the layout).")
    try:
        entries = json.loads(listing.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{listing} is not valid JSON: {exc}") from exc
    if not isinstance(entries, list) or not entries:
        raise InvalidInput(f"{listing} must be a non-empty list of {{\"id\": ..., \"frames\": [...]}}.")
    for number, entry in enumerate(entries, start=1):
        if not (isinstance(entry, dict) and isinstance(entry.get("id"), str)
                and isinstance(entry.get("frames"), list) and entry["frames"]
                and all(isinstance(name, str) for name in entry["frames"])):
            raise InvalidInput(f"Entry {number} of {listing} needs an 'id' string and a non-empty 'frames' list.")
        missing = [n for n in entry["frames"] if not (dataset_dir / "frames" / n).is_file()]
        if missing:
            raise InvalidInput(
                f"Sequence {entry['id']}: {len(missing)} frame file(s) missing, e.g. frames/{missing[0]}."
            )
    return entries


def import_dataset(
    *, dataset_dir: Path, tag: Tag, procedure: str | None = None, created_by=None
) -> DatasetImportReport:
    """Import every sequence of a BENCHMARKS.md-layout folder (frames in ``sequences.json`` order) with its masks.

    All or nothing: if any sequence or its masks fail, the sequences imported so far are deleted.
    """
    dataset_dir = Path(dataset_dir)
    entries = read_sequence_list(dataset_dir)
    masks_dir = dataset_dir / "masks"
    procedure = procedure or tag.procedure or Procedure.OTHER
    report = DatasetImportReport()
    try:
        for entry in entries:
            sequence = _import_listed_frames(dataset_dir, entry, procedure=procedure, created_by=created_by)
            report.sequences.append(sequence)
            if masks_dir.is_dir():
                report.masks.append(import_masks(
                    sequence=sequence, masks_dir=masks_dir, tag=tag, match="original-name", created_by=created_by
                ))
    except BaseException:
        for sequence in report.sequences:
            delete_sequence(sequence=sequence)
        raise
    return report


def _import_listed_frames(dataset_dir: Path, entry: dict, *, procedure: str, created_by) -> FrameSequence:
    # import_sequence orders a folder's images by natural name order; links named by their position keep
    # the order of sequences.json whatever the names, and the real names are recorded afterwards.
    with tempfile.TemporaryDirectory(prefix="dataset-import-") as folder:
        for position, name in enumerate(entry["frames"]):
            source = (dataset_dir / "frames" / name).resolve()
            os.symlink(source, Path(folder) / f"{position:06d}{source.suffix.lower()}")
        try:
            imported = import_sequence(
                source=Path(folder), name=entry["id"], procedure=procedure, created_by=created_by,
                source_label=f"{dataset_dir.name}/{entry['id']}",
            )
        except ImportFailed as exc:
            raise InvalidInput(f"Sequence {entry['id']}: {exc}") from exc
    frames = list(imported.sequence.frames.order_by("index"))
    if imported.skipped or len(frames) != len(entry["frames"]):
        delete_sequence(sequence=imported.sequence)
        unreadable = ", ".join(entry["frames"][int(Path(s.name).stem)] for s in imported.skipped[:5])
        raise InvalidInput(f"Sequence {entry['id']}: unreadable frame(s): {unreadable}.")
    for frame, name in zip(frames, entry["frames"], strict=True):
        frame.original_name = name
    Frame.objects.bulk_update(frames, ["original_name"])
    return imported.sequence


# --- exports -------------------------------------------------------------------------------------------


def validate_fractions(train: float, val: float, test: float) -> None:
    values = (train, val, test)
    if any(v < 0 or v > 1 for v in values):
        raise InvalidInput("Split fractions must lie between 0 and 1.")
    if abs(sum(values) - 1) > 1e-6:
        raise InvalidInput(f"Split fractions must sum to 1 (they sum to {sum(values):g}).")
    if train <= 0:
        raise InvalidInput("The train fraction must be above 0.")


def create_export(
    *,
    name: str,
    sequences: Iterable[FrameSequence],
    tags: Iterable[Tag],
    include_propagated: bool = False,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    seed: int = 0,
    split: dict[str, list[int]] | None = None,
    created_by=None,
    enqueue: bool = True,
) -> DatasetExport:
    """Record an export and decide its split by sequence; queue it as a background job unless not ``enqueue``.

    The split is fixed here, so the export row says which sequence went where before a byte is written:
    drawn from ``fractions`` and ``seed``, or ``split`` as given ({"train": [sequence ids], "val": …,
    "test": …}, e.g. a cross-validation fold), in which case the recorded fractions are its own.
    ``created_by`` starts it: a manager's write (``datasets.export``).
    """
    roles.require(created_by, "datasets.export", "Exporting a dataset")
    name = name.strip()
    if not name:
        raise InvalidInput("The export needs a name.")
    sequences, tags = list(sequences), list(tags)
    if not sequences:
        raise InvalidInput("Choose at least one sequence.")
    if not tags:
        raise InvalidInput("Choose at least one tag.")
    if len(tags) > formats.MAX_CLASSES:
        raise InvalidInput(f"At most {formats.MAX_CLASSES} tags fit a uint8 label map.")
    if split is None:
        validate_fractions(*fractions)
    masks = Mask.objects.filter(frame__sequence__in=sequences, tag__in=tags)
    findings = FrameFinding.objects.filter(sequence__in=sequences, tag__in=tags)
    if not (masks if include_propagated else masks.trusted()).exists() and not findings.exists():
        kind = "" if include_propagated else " made by hand or reviewed"
        raise InvalidInput(f"No mask{kind} of the chosen tags on the chosen sequences, and no frame finding of "
                           "them: nothing to export.")
    if split is None:
        split = split_by_sequence([s.id for s in sequences], fractions=fractions, seed=seed)
    else:
        try:
            check_split(split, [s.id for s in sequences])
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        split = {side: sorted(split.get(side, [])) for side in SPLITS}
        fractions = tuple(len(split[side]) / len(sequences) for side in SPLITS)

    def create() -> DatasetExport:
        export = DatasetExport.objects.create(
            name=name, include_propagated=include_propagated, train_fraction=fractions[0],
            val_fraction=fractions[1], test_fraction=fractions[2], seed=seed, split=split, created_by=created_by,
        )
        export.sequences.set(sequences)
        export.tags.set(tags)
        return export

    return jobs.start_job(create, enqueue=enqueue)



def export_name(export: DatasetExport) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", export.name).strip("-")[:60] or "export"
    return f"exports/{export.id}-{slug}.zip"


def export_path(name: str) -> Path:
    """Absolute path of an export's zip from its name relative to MEDIA_ROOT."""
    return Path(settings.MEDIA_ROOT) / name


def run_export(export_id: int) -> str:
    """Write a queued export's zip (the body of the background task). Returns the final state."""
    return jobs.run_job(DatasetExport, export_id, write_export_zip)


def write_export_zip(export: DatasetExport, progress: jobs.Progress) -> dict:
    """The work of an export job: its zip, written beside its place and moved there whole (a reader never sees
    half an export; a cancelled or failed export leaves none). Answers what to record on the export."""
    target = export_path(export_name(export))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.partial")
    try:
        counts = write_export(export, temporary, progress=progress)
        os.replace(temporary, target)  # atomic: the zip appears whole or not at all
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return {"counts": counts, "file": export_name(export), "size_bytes": target.stat().st_size}


def export_classes(export: DatasetExport) -> list[formats.ExportClass]:
    """The export's classes: its tags in taxonomy order (order, kind, name), numbered from 1."""
    return [
        formats.ExportClass(index=i, name=t.name, kind=t.kind, color=t.color, tag_id=t.id)
        for i, t in enumerate(export.tags.order_by("order", "kind", "name"), start=1)
    ]


def export_masks(export: DatasetExport):
    """The masks an export takes: of its tags, on its sequences; proposals awaiting review only if asked (otherwise
    those a person made or accepted: ``Mask.objects.trusted()``, the rule progress and the review status ask too)."""
    masks = Mask.objects.filter(frame__sequence__in=export.sequences.all(), tag__in=export.tags.all())
    return masks if export.include_propagated else masks.trusted()


def write_export(export: DatasetExport, path: Path, *, progress: jobs.Progress | None = None) -> dict:
    """Write the export's zip at ``path``; returns the counts per split. ``progress`` is told the frames written
    (every tenth); when it answers that the export was cancelled, :class:`core.jobs.JobCancelled` stops it.

    Frames taken: those with at least one exported mask (on them, a tag without a mask is absent), and those
    holding a frame finding of one of the export's tags. Whether a frame has a segmentation label is
    :func:`segmentation_labelled`: a labelled frame without masks gets an empty label map (its masks are absent);
    an unlabelled one is marked ``"masked": false`` with ``"label_file": null`` and no label map (nobody drew
    on it, so its masks are unknown, not absent).
    Layout inside the zip::

        manifest.json                       what, how, which sequence went where, counts
        classes.json, classes.csv           the class table: 0 background, 1… the tags
        annotations/instances_<split>.json  COCO instance segmentation, RLE masks, one annotation per mask
        images/<split>/<name>               the frame as stored (PNG or JPEG bytes, unchanged)
        labels/<split>/<stem>.png           uint8 label map: 0 background, else the class index
    """
    classes = export_classes(export)
    class_of_tag = {c.tag_id: c for c in classes}
    masks = list(export_masks(export).select_related("frame", "frame__sequence").order_by(
        "frame__sequence_id", "frame__index", "tag__order", "id"
    ))
    by_frame: dict[int, list[Mask]] = {}
    for mask in masks:
        by_frame.setdefault(mask.frame_id, []).append(mask)
    frames = {m.frame_id: m.frame for m in masks}
    for frame in findings_frames(export):
        if frame.id not in frames:
            frames[frame.id] = frame
            by_frame[frame.id] = []
    side_of = {sid: side for side, ids in export.split.items() for sid in ids}
    sequences = {s.id: s for s in export.sequences.all()}
    labelled = segmentation_labelled(frames.values(), masked={f for f, m in by_frame.items() if m},
                                     sequences=sequences.values())
    progress = progress or jobs.Progress(export)
    progress(0, len(frames))
    coco = {side: {"images": [], "annotations": []} for side in SPLITS}
    counts = {side: {"sequences": len(export.split.get(side, [])), "frames": 0, "masks": 0} for side in SPLITS}
    per_sequence: dict[int, dict] = {sid: {"frames": 0, "masks": 0} for sid in sequences}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # In video order within each sequence (frames found by findings alone included): a reader, such as the
        # trainer holding out a contiguous block of frames for validation, can rely on it.
        in_order = sorted(by_frame.items(), key=lambda item: (frames[item[0]].sequence_id, frames[item[0]].index))
        for done, (frame_id, frame_masks) in enumerate(in_order, start=1):
            frame = frames[frame_id]
            side = side_of[frame.sequence_id]
            stem = f"{frame.sequence_id:05d}-{frame.index:06d}"
            ext = Path(frame.image.name).suffix.lower() or ".png"
            image_name = f"images/{side}/{stem}{ext}"
            label_name = f"labels/{side}/{stem}.png"
            # Frames are stored compressed already; deflating them again costs time and saves nothing.
            archive.write(frame_path(frame), image_name, compress_type=zipfile.ZIP_STORED)
            decoded = [(m, storage.read_mask(m.file.name)) for m in frame_masks]
            if frame_id in labelled:
                labels = formats.label_map((frame.height, frame.width),
                                           [(class_of_tag[m.tag_id].index, array) for m, array in decoded])
                archive.writestr(label_name, formats.png_bytes(labels))
            else:
                label_name = None  # no segmentation label: an all-background map would say "no lesion here"
            coco[side]["images"].append({
                "id": frame.id, "file_name": image_name, "label_file": label_name, "width": frame.width,
                "height": frame.height, "sequence_id": frame.sequence_id,
                "sequence_name": sequences[frame.sequence_id].name, "frame_index": frame.index,
                "original_name": frame.original_name, "masked": frame_id in labelled,
            })
            for mask, array in decoded:
                coco[side]["annotations"].append(formats.coco_annotation(
                    annotation_id=mask.id, image_id=frame.id, category_id=class_of_tag[mask.tag_id].index,
                    mask=array, source=mask.source, track_id=mask.track_id,
                ))
            counts[side]["frames"] += 1
            counts[side]["masks"] += len(frame_masks)
            per_sequence[frame.sequence_id]["frames"] += 1
            per_sequence[frame.sequence_id]["masks"] += len(frame_masks)
            if (done % 10 == 0 or done == len(by_frame)) and progress(done):
                raise jobs.JobCancelled()
        info = {"description": export.name, "version": EXPORT_FORMAT, "export_id": export.id,
                "date_created": timezone.now().isoformat()}
        for side in SPLITS:
            archive.writestr(f"annotations/instances_{side}.json", json.dumps(
                formats.coco_document(images=coco[side]["images"], annotations=coco[side]["annotations"],
                                      classes=classes, info={**info, "split": side})
            ))
        archive.writestr("classes.json", json.dumps(formats.class_table(classes), indent=1))
        archive.writestr("classes.csv", formats.class_table_csv(classes))
        archive.writestr("manifest.json", json.dumps(
            _manifest(export, classes, sequences, side_of, per_sequence, counts, info, frames.values()), indent=1
        ))
    return counts


def segmentation_labelled(frames: Iterable[Frame], *, masked: set[int], sequences: Iterable[FrameSequence]) -> set[int]:
    """Ids of those of ``frames`` whose segmentation is known for the export's tags, absence included.

    A frame is fully annotated for segmentation when a person made or accepted an exported mask on it (``masked``,
    ids of frames with exported masks: then a tag without a mask is absent, as exports always had it), or when its
    sequence is marked done (a reviewer has gone through every frame, so a frame left without a mask has none to
    draw). Any other frame, exported for its findings alone, has no segmentation label.
    """
    done = {s.id for s in sequences if s.status == FrameSequence.Status.DONE}
    return {f.id for f in frames if f.id in masked or f.sequence_id in done}


def findings_frames(export: DatasetExport) -> list[Frame]:
    """The frames of the export's sequences on which a frame finding of one of its tags holds."""
    frames: dict[int, Frame] = {}
    ranges = FrameFinding.objects.filter(sequence__in=export.sequences.all(), tag__in=export.tags.all())
    for finding in ranges.only("sequence_id", "first_index", "last_index"):
        for frame in Frame.objects.filter(sequence_id=finding.sequence_id,
                                          index__range=(finding.first_index, finding.last_index)):
            frames[frame.id] = frame
    return sorted(frames.values(), key=lambda f: (f.sequence_id, f.index))


def frame_findings(frames: Iterable[Frame]) -> tuple[list[dict], list[str]]:
    """The frame-level findings holding on ``frames``: one entry per frame and tag
    ({"frame_id", "sequence_id", "frame_index", "tag_id", "tag"}), and the finding tags' names in
    taxonomy order."""
    by_sequence: dict[int, list[Frame]] = {}
    for frame in frames:
        by_sequence.setdefault(frame.sequence_id, []).append(frame)
    entries, tags = [], {}
    ranges = FrameFinding.objects.filter(sequence_id__in=by_sequence).select_related("tag")
    for finding in ranges.order_by("sequence_id", "first_index", "tag__order", "id"):
        tags[finding.tag_id] = finding.tag
        for frame in by_sequence[finding.sequence_id]:
            if finding.first_index <= frame.index <= finding.last_index:
                entries.append({"frame_id": frame.id, "sequence_id": frame.sequence_id, "frame_index": frame.index,
                                "tag_id": finding.tag_id, "tag": finding.tag.name})
    unique = {(e["frame_id"], e["tag_id"]): e for e in entries}  # overlapping ranges of one tag count once
    names = [t.name for t in sorted(tags.values(), key=lambda t: (t.order, t.kind, t.name))]
    return sorted(unique.values(), key=lambda e: (e["sequence_id"], e["frame_index"], e["tag"])), names


def _manifest(export, classes, sequences, side_of, per_sequence, counts, info, frames) -> dict:
    findings, finding_names = frame_findings(frames)
    return {
        "format": EXPORT_FORMAT,
        "export": {"id": export.id, "name": export.name, "created_at": info["date_created"],
                   "created_by": export.created_by.username if export.created_by else None},
        "masks": "manual and propagated" if export.include_propagated else "manual and reviewed propagated",
        "include_propagated": export.include_propagated,
        "frames": "frames with at least one exported mask (on them, a tag without a mask is absent) and frames "
                  "holding a frame finding of an exported tag",
        "segmentation_labels": "a frame has one (\"masked\": true, a label map) when a person made or accepted an "
                               "exported mask on it or its sequence is marked done (then a frame without masks has "
                               "an empty label map); otherwise \"masked\": false, \"label_file\": null, no label "
                               "map: its masks are unknown, not absent",
        "label_maps": "uint8 PNG, 0 background, else the class index; where tags overlap the higher index wins",
        "coco": "annotations/instances_<split>.json; segmentation is COCO RLE (iscrowd 0, one object each)",
        "split": {
            "by": "sequence", "seed": export.seed,
            "fractions": {"train": export.train_fraction, "val": export.val_fraction, "test": export.test_fraction},
            **{side: export.split.get(side, []) for side in SPLITS},
        },
        "classes": formats.class_table(classes),
        "tags": [{"id": c.tag_id, "name": c.name, "kind": c.kind, "class_index": c.index} for c in classes],
        "sequences": [
            {"id": s.id, "name": s.name, "procedure": s.procedure, "source": s.source, "split": side_of[s.id],
             **per_sequence[s.id]}
            for s in sorted(sequences.values(), key=lambda s: s.id)
        ],
        "counts": counts,
        # What the split lacks (one sequence, no validation or test sequence): said where the export is read.
        "warnings": export.split_warnings,
        # Frame-level findings (findings.FrameFinding, ranges of frame indices) on the exported frames, one
        # entry per frame and tag; a frame-level classifier (the trainer's optional head) learns from these.
        "frame_findings": findings,
        "finding_names": finding_names,
    }


def delete_export(*, export: DatasetExport) -> None:
    """Delete an export with its zip (once the deletion is committed: ``core.files``)."""
    if export.is_active:
        raise InvalidInput(f"Export {export.id} is still running; cancel it first.")
    export.delete()


def copy_export_zip(*, export: DatasetExport, out: Path) -> Path:
    """Copy a finished export's zip to ``out`` (for the command line)."""
    if export.state != JobRecord.State.SUCCEEDED or not export.file:
        raise InvalidInput(f"Export {export.id} has no zip ({export.state}).")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(export_path(export.file.name), out)
    return out
