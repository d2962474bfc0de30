"""Install the tags added to the default taxonomy for frame-level recognition (caecum, BBPS classes,
impacted stool); tags already present are kept."""

from django.db import migrations


def install(apps, schema_editor):
    from tags.taxonomy import install_default_tags

    install_default_tags(apps.get_model("tags", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("tags", "0002_default_taxonomy")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
