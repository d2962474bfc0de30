"""Bulk import of findings: a folder per class (one-frame sequences with their class's finding) and a CSV."""

from __future__ import annotations

import zipfile

import pytest
from django.core.management import CommandError, call_command

from core.errors import InvalidInput
from findings.imports import import_class_folders, import_class_zip, import_findings_csv, tag_for_folder
from findings.models import FrameFinding
from sequences.models import FrameSequence
from tags.models import Tag
from tests.findings.factories import write_class_folders


def test_a_folder_finds_its_tag_by_name_alias_or_mapping(db):
    tags = list(Tag.objects.all())
    assert tag_for_folder("polyp", tags=tags).name == "Polyp"
    assert tag_for_folder("normal-cecum", tags=tags).name == "Caecum"  # HyperKvasir's name
    assert tag_for_folder("bbps-0-1", tags=tags).name == "BBPS 0–1"
    assert tag_for_folder("impacted_stool", tags=tags).name == "Impacted stool"
    assert tag_for_folder("weird", tags=tags) is None
    assert tag_for_folder("weird", tags=tags, mapping={"weird": "Blur"}).name == "Blur"


def test_class_folders_become_one_frame_sequences_with_their_finding(db, tmp_path, user):
    root = write_class_folders(tmp_path / "set", {"polyp": 3, "normal-cecum": 2})
    (root / "polyp" / "notes.txt").write_text("not an image")
    report = import_class_folders(root=root, created_by=user, deidentify=False)
    assert report.per_tag == {"Polyp": 3, "Caecum": 2}
    assert len(report.sequences) == 5 and any("notes.txt" in line for line in report.skipped)
    for sequence in report.sequences:
        assert sequence.frames.count() == 1
        finding = FrameFinding.objects.get(sequence=sequence)
        assert (finding.first_index, finding.last_index) == (0, 0)
        assert finding.tag.name == ("Polyp" if "/polyp/" in sequence.name else "Caecum")


def test_an_image_in_two_class_folders_is_one_sequence_with_two_findings(db, tmp_path):
    root = write_class_folders(tmp_path / "set", {"polyp": 1, "blur": 1})
    (root / "blur" / "blur-0.png").rename(root / "blur" / "polyp-0.png")
    report = import_class_folders(root=root, deidentify=False)
    assert len(report.sequences) == 1
    assert sorted(FrameFinding.objects.values_list("tag__name", flat=True)) == ["Blur", "Polyp"]


def test_an_unknown_class_folder_refuses_the_whole_import(db, tmp_path):
    root = write_class_folders(tmp_path / "set", {"polyp": 2, "mystery": 1})
    with pytest.raises(InvalidInput, match="mystery"):
        import_class_folders(root=root, deidentify=False)
    assert not FrameSequence.all_objects.exists()


def test_a_zip_of_class_folders_imports_the_same(db, tmp_path):
    root = write_class_folders(tmp_path / "set", {"bbps-2-3": 2, "bbps-0-1": 1})
    archive = tmp_path / "set.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in root.rglob("*.png"):
            out.write(path, f"set/{path.parent.name}/{path.name}")
    report = import_class_zip(archive=archive, deidentify=False)
    assert report.per_tag == {"BBPS 2–3": 2, "BBPS 0–1": 1}


def test_the_command_imports_folders_and_names_unmapped_ones(db, tmp_path, capsys):
    root = write_class_folders(tmp_path / "set", {"polyp": 1, "odd": 1})
    with pytest.raises(CommandError, match="odd"):
        call_command("import_findings", str(root), "--no-deidentify")
    call_command("import_findings", str(root), "--no-deidentify", "--map", "odd=Bubbles")
    assert "2 image(s) imported" in capsys.readouterr().out


def test_a_csv_records_findings_as_ranges_and_counts_what_was_there(db, sequence, user):
    frames = list(sequence.frames.order_by("index"))
    rows = ["sequence,frame,tag", *(f"{sequence.name},{i},Blur" for i in (0, 1, 2, 4)),
            f"{sequence.id},{frames[5].original_name},Bubbles"]
    report = import_findings_csv(data="\n".join(rows).encode(), created_by=user)
    assert report.rows == 5
    assert sorted(FrameFinding.objects.values_list("tag__name", "first_index", "last_index")) == [
        ("Blur", 0, 2), ("Blur", 4, 4), ("Bubbles", 5, 5)]
    again = import_findings_csv(data=f"frame,tag\n{frames[1].id},Blur\n{frames[3].id},Blur\n", created_by=user)
    assert again.already == 1 and [(f.first_index, f.last_index) for f in again.findings] == [(3, 3)]


@pytest.mark.parametrize(("text", "message"), [
    ("frame,label\n1,Blur\n", "columns frame and tag"),
    ("frame,tag\n999999,Blur\n", "no frame of id 999999"),
    ("frame,tag\n1,Nonsense\n", "no tag named 'Nonsense'"),
    ("sequence,frame,tag\nno such,0,Blur\n", "no sequence has"),
])
def test_a_bad_csv_names_its_row_and_writes_nothing(db, sequence, text, message):
    with pytest.raises(InvalidInput, match=message):
        import_findings_csv(data=text)
    assert not FrameFinding.objects.exists()
