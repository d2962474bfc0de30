"""The manager's role takes in the apps added since (comments, reports): every permission of theirs (the admin)."""

from django.db import migrations


def install(apps, schema_editor):
    from accounts.roles import _create_permissions, install_roles

    _create_permissions(apps)  # the new apps' permissions do not exist yet on a database migrated in one go
    install_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_roles"),
        ("comments", "0001_initial"),
        ("reports", "0001_initial"),
        ("extrapolation", "0003_partial_reruns_and_rejections"),
    ]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
