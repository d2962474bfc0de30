"""Install the default taxonomy (tags/taxonomy.py) with the database; tags already present are kept."""

from django.db import migrations


def install(apps, schema_editor):
    from tags.taxonomy import install_default_tags

    install_default_tags(apps.get_model("tags", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
