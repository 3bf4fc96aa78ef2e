# An app's first migration: RDS has no PostGIS engine, PostGIS is an extension of postgres.
# The master user has rds_superuser, so the migration can create it (`spontime-infra deploy --migrate`
# or `spontime-infra run -- python manage.py migrate`).
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [CreateExtension("postgis")]
