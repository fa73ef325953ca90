"""The corrective plan's texts about workers (why engaging failed, what happens to the workers)
become encrypted fields; the rows stored before are encrypted in place (and decrypted back if the
migration is reversed). A value already encrypted is left as it is, so a rerun changes nothing."""

from django.db import migrations

import vigil.server.fields

FIELDS = ("why_engaging_failed", "plan_for_workers")
CONTEXT = "supply.correctiveplan.{}"


def _rewrite(apps, schema_editor, encrypt: bool) -> None:
    from vigil.server.crypto import is_ciphertext
    from vigil.server.fields import keyring

    ring = keyring()
    conn = schema_editor.connection
    table = conn.ops.quote_name("supply_correctiveplan")
    with conn.cursor() as cur:
        for field in FIELDS:
            col = conn.ops.quote_name(field)
            cur.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")  # the table and columns are fixed names
            rows = cur.fetchall()
            for pk, value in rows:
                if encrypt and not is_ciphertext(value):
                    new = ring.encrypt(value, CONTEXT.format(field))
                elif not encrypt and is_ciphertext(value):
                    new = ring.decrypt(value, CONTEXT.format(field))
                else:
                    continue
                cur.execute(f"UPDATE {table} SET {col} = %s WHERE id = %s", [new, pk])


def encrypt(apps, schema_editor) -> None:
    _rewrite(apps, schema_editor, encrypt=True)


def decrypt(apps, schema_editor) -> None:
    _rewrite(apps, schema_editor, encrypt=False)


class Migration(migrations.Migration):
    dependencies = [
        ("supply", "0002_workers_bound"),
    ]

    operations = [
        migrations.AlterField(
            model_name="correctiveplan",
            name="why_engaging_failed",
            field=vigil.server.fields.EncryptedTextField(blank=True, verbose_name="why engaging failed"),
        ),
        migrations.AlterField(
            model_name="correctiveplan",
            name="plan_for_workers",
            field=vigil.server.fields.EncryptedTextField(
                blank=True, verbose_name="what happens to the workers"
            ),
        ),
        migrations.RunPython(encrypt, decrypt, elidable=False),
    ]
