# Custom permissions for the roles (accounts/migrations/0002_roles gives them to groups); no schema change.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('masks', '0005_mask_source_model'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='mask',
            options={'ordering': ['frame', 'created_at', 'id'], 'permissions': [('review_mask', "Can review masks: accept proposals, edit or delete anyone's masks and tracks")]},
        ),
    ]
