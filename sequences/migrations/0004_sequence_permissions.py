# Custom permissions for the roles (accounts/migrations/0002_roles gives them to groups); no schema change.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sequences', '0003_frame_checksum'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='sequence',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('submit_for_review', 'Can move a sequence between in progress and ready for review'), ('set_review_status', 'Can set any status of a sequence, done included')]},
        ),
    ]
