"""The users' card names the model FrameSequence: its table, content type and permission codenames follow (data kept;
people still read "sequence")."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def rename_permissions(old: str, new: str):
    def run(apps, schema_editor):
        Permission = apps.get_model("auth", "Permission")
        for action in ACTIONS:
            Permission.objects.filter(content_type__app_label="sequences", codename=f"{action}_{old}").update(
                codename=f"{action}_{new}"
            )
    return run


class Migration(migrations.Migration):
    dependencies = [
        ("sequences", "0005_sequence_importing_deidentified"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # Every migration that refers to the model by its old name runs before the rename.
        ("masks", "0007_effort_event"),
        ("extrapolation", "0003_partial_reruns_and_rejections"),
        ("findings", "0002_framefinding_permissions"),
        ("training", "0006_run_validation"),
        ("datasets", "0003_datasetexport_permissions"),
        ("reports", "0001_initial"),
        ("comments", "0001_initial"),
    ]
    operations = [
        migrations.RenameModel("Sequence", "FrameSequence"),
        migrations.AlterModelOptions(name="framesequence", options={'ordering': ['-created_at', '-id'], 'permissions': [('submit_for_review', 'Can move a sequence between in progress and ready for review'), ('set_review_status', 'Can set any status of a sequence, done included')], 'verbose_name': 'sequence'}),
        migrations.RunPython(rename_permissions("sequence", "framesequence"),
                             rename_permissions("framesequence", "sequence")),
    ]
