"""On PostgreSQL, forbid UPDATE and DELETE on the audit log with a trigger.

On SQLite this migration does nothing: there the hash chain (``manage.py verify_audit``) is what
reveals tampering. TRUNCATE is left to the database owner (test databases are flushed with it).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION vigil_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'vigil audit log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS vigil_audit_append_only ON audit_auditentry;
CREATE TRIGGER vigil_audit_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION vigil_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS vigil_audit_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS vigil_audit_append_only();
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(FORWARD)  # no parameters: the '%' of RAISE stays literal


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = (("audit", "0001_initial"),)
    operations = (migrations.RunPython(forward, backward, elidable=False),)
