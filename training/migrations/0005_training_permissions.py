# Custom permissions for the roles (accounts/migrations/0002_roles gives them to groups); no schema change.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('training', '0004_job_record_shared'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='trainingrun',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('train', 'Can start and cancel training runs')]},
        ),
        migrations.AlterModelOptions(
            name='preannotationjob',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('preannotate', 'Can run a trained model over a sequence (pre-annotation)')]},
        ),
    ]
