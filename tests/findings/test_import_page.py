"""The bulk findings import page: managers upload a zip of class folders or a CSV; errors are the form's."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.roles import ANNOTATOR, assign_role
from findings.models import FrameFinding
from tests.findings.factories import write_class_folders


def zipped(root) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for path in sorted(root.rglob("*.png")):
            out.write(path, f"{path.parent.name}/{path.name}")
    return buffer.getvalue()


def test_a_manager_imports_a_zip_of_class_folders(client_logged_in, tmp_path):
    archive = zipped(write_class_folders(tmp_path / "set", {"polyp": 2, "normal-cecum": 1, "blobs": 1}))
    page = client_logged_in.get("/findings/import/")
    assert page.status_code == 200 and b"class-folders-form" in page.content
    token = page.cookies["csrftoken"].value
    response = client_logged_in.post("/findings/import/", {
        "form": "folders", "archive": SimpleUploadedFile("set.zip", archive), "procedure": "colonoscopy",
        "mapping": "blobs=Bubbles", "deidentify": "", "csrfmiddlewaretoken": token}, follow=True)
    assert response.redirect_chain[-1][0] == "/findings/import/" and b"Imported 4 images" in response.content
    assert sorted(FrameFinding.objects.values_list("tag__name", flat=True)) == ["Bubbles", "Caecum", "Polyp", "Polyp"]


def test_an_unmapped_folder_and_a_bad_csv_are_form_errors(client_logged_in, tmp_path):
    archive = zipped(write_class_folders(tmp_path / "set", {"polyp": 1, "blobs": 1}))
    client_logged_in.get("/findings/import/")
    token = client_logged_in.cookies["csrftoken"].value
    response = client_logged_in.post("/findings/import/", {
        "form": "folders", "archive": SimpleUploadedFile("set.zip", archive), "procedure": "other",
        "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and b"No tag for the class folder(s) blobs" in response.content
    response = client_logged_in.post("/findings/import/", {
        "form": "csv", "csv_file": SimpleUploadedFile("f.csv", b"frame,tag\n1,Nonsense\n"),
        "csrfmiddlewaretoken": token})
    assert response.status_code == 200 and b"no tag named" in response.content
    assert not FrameFinding.objects.exists()


def test_a_csv_of_findings_on_existing_frames(client_logged_in, sequence):
    client_logged_in.get("/findings/import/")
    token = client_logged_in.cookies["csrftoken"].value
    csv = f"sequence,frame,tag\n{sequence.id},0,Blur\n{sequence.id},1,Blur\n".encode()
    response = client_logged_in.post("/findings/import/", {
        "form": "csv", "csv_file": SimpleUploadedFile("f.csv", csv), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert list(FrameFinding.objects.values_list("first_index", "last_index")) == [(0, 1)]


def test_an_annotator_may_not_import(django_user_model):
    user = django_user_model.objects.create_user(username="ann", password="secret-pass-123")
    assign_role(user=user, role=ANNOTATOR)
    client = Client()
    client.force_login(user)
    assert client.get("/findings/import/").status_code == 403
