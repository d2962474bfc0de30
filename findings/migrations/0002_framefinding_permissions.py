# Custom permissions for the roles (accounts/migrations/0002_roles gives them to groups); no schema change.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('findings', '0001_initial'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='framefinding',
            options={'ordering': ['sequence', 'first_index', 'last_index', 'id'], 'permissions': [('review_framefinding', "Can edit or delete anyone's frame findings")]},
        ),
    ]
