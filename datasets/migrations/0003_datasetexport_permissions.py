# Custom permissions for the roles (accounts/migrations/0002_roles gives them to groups); no schema change.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('datasets', '0002_job_record_shared'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='datasetexport',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('export', 'Can export datasets: create, cancel and download exports')]},
        ),
    ]
