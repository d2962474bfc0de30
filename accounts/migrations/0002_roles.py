"""The roles (accounts/roles.py) as groups with their permissions; users already there become annotators."""

from django.db import migrations


def install(apps, schema_editor):
    from accounts.roles import ANNOTATOR, install_roles

    install_roles(apps)
    # Before roles, every user could write everything: they keep what an annotator may do (their own work).
    group = apps.get_model("auth", "Group").objects.get(name=ANNOTATOR)
    for user in apps.get_model("auth", "User").objects.filter(is_superuser=False, groups__isnull=True):
        user.groups.add(group)


def remove(apps, schema_editor):
    from accounts.roles import ROLES

    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("datasets", "0003_datasetexport_permissions"),
        ("extrapolation", "0002_job_record_shared"),
        ("findings", "0002_framefinding_permissions"),
        ("masks", "0006_mask_permissions"),
        ("sequences", "0004_sequence_permissions"),
        ("tags", "0002_default_taxonomy"),
        ("training", "0005_training_permissions"),
    ]
    operations = [migrations.RunPython(install, remove)]
