"""API tokens stored as a digest only (issue 12): every existing DRF token (plain text in
authtoken_token) becomes an ApiToken with its key's SHA-256 digest and first 8 characters,
then the plain-text rows are deleted. The keys clients hold keep working."""

import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def hash_existing_tokens(apps, schema_editor):
    plain = apps.get_model("authtoken", "Token")
    hashed = apps.get_model("accounts", "ApiToken")
    hashed.objects.bulk_create(
        hashed(
            user_id=token.user_id,
            prefix=token.key[:8],
            digest=hashlib.sha256(token.key.encode()).hexdigest(),
        )
        for token in plain.objects.all()
    )
    plain.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_roles_never_delete_money'),
        ('authtoken', '0004_alter_tokenproxy_options'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('prefix', models.CharField(db_index=True, help_text="The key's first characters.", max_length=8)),
                ('digest', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'API token',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
    ]
