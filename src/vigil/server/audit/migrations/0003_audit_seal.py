"""Take the hash chain off the request path: entries are only inserted, ``AuditSeal`` chains them.

Existing entries keep their place in the chain: their stored previous hash and hash (computed the
same way) become seals 1..n in id order before the columns and the one-row ``AuditHead`` go. On
PostgreSQL the seals get the same append-only trigger as the entries.
"""

from django.db import migrations, models
from django.db.models import deletion

SEAL_TRIGGER = """
DROP TRIGGER IF EXISTS vigil_audit_append_only ON audit_auditseal;
CREATE TRIGGER vigil_audit_append_only
    BEFORE UPDATE OR DELETE ON audit_auditseal
    FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_only();
"""

SEAL_TRIGGER_BACKWARD = "DROP TRIGGER IF EXISTS vigil_audit_append_only ON audit_auditseal;"


def copy_chain(apps, schema_editor):  # type: ignore[no-untyped-def]
    entry_model = apps.get_model("audit", "AuditEntry")
    seal_model = apps.get_model("audit", "AuditSeal")
    from django.utils import timezone

    now = timezone.now()
    batch = []
    rows = entry_model.objects.order_by("id").values_list("id", "prev_hash", "hash")
    for seq, (entry_id, prev_hash, digest) in enumerate(rows.iterator(chunk_size=2000), start=1):
        batch.append(seal_model(seq=seq, entry_id=entry_id, prev_hash=prev_hash, hash=digest, sealed_at=now))
        if len(batch) >= 2000:
            seal_model.objects.bulk_create(batch)
            batch = []
    seal_model.objects.bulk_create(batch)


def seal_trigger(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(SEAL_TRIGGER)


def seal_trigger_backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(SEAL_TRIGGER_BACKWARD)


class Migration(migrations.Migration):
    dependencies = (("audit", "0002_append_only_trigger"),)

    operations = (
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False)),
                (
                    "entry",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=deletion.DO_NOTHING,
                        related_name="seal",
                        to="audit.auditentry",
                    ),
                ),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                ("sealed_at", models.DateTimeField()),
            ],
            options={"ordering": ("seq",)},
        ),
        migrations.RunPython(copy_chain, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name="auditentry", name="prev_hash"),
        migrations.RemoveField(model_name="auditentry", name="hash"),
        migrations.DeleteModel(name="AuditHead"),
        migrations.RunPython(seal_trigger, seal_trigger_backward, elidable=False),
    )
