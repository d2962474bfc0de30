"""Install the default taxonomy (tags/taxonomy.py) with the database; tags already present are kept."""

from django.db import migrations


def install(apps, schema_editor):
    from tags.taxonomy import DEFAULT_TAGS

    Tag = apps.get_model("tags", "Tag")
    for order, (name, kind, procedure, color, description) in enumerate(DEFAULT_TAGS):
        Tag.objects.get_or_create(
            name=name,
            defaults={"kind": kind, "procedure": procedure, "color": color, "description": description, "order": order},
        )


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
