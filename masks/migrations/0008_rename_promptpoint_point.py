"""The users' card names the model Point: its table, content type and permission codenames follow (data kept;
people still read "prompt point")."""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")


def rename_permissions(old: str, new: str):
    def run(apps, schema_editor):
        Permission = apps.get_model("auth", "Permission")
        for action in ACTIONS:
            Permission.objects.filter(content_type__app_label="masks", codename=f"{action}_{old}").update(
                codename=f"{action}_{new}"
            )
    return run


class Migration(migrations.Migration):
    dependencies = [
        ("masks", "0007_effort_event"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [
        migrations.RenameModel("PromptPoint", "Point"),
        migrations.AlterModelOptions(name="point", options={'ordering': ['mask', 'order'], 'verbose_name': 'prompt point'}),
        migrations.RunPython(rename_permissions("promptpoint", "point"),
                             rename_permissions("point", "promptpoint")),
    ]
