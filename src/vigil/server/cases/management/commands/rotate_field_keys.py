"""Re-encrypt every encrypted field under the current (first) key and recompute blind indexes.

Run after putting a new key first in ``VIGIL_FIELD_KEYS`` (or a new ``VIGIL_INDEX_KEY``); when it
reports nothing left under old keys, the old keys can be removed from the environment.
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from vigil.server.audit.log import record
from vigil.server.crypto import is_ciphertext
from vigil.server.fields import encrypted_fields, keyring


def _stale_ids(model, fields) -> list[int]:  # type: ignore[no-untyped-def]
    """Rows with a value under an old key, read raw (no decryption) from the table."""
    qn = connection.ops.quote_name
    cols = ", ".join(qn(f.column) for f in fields)
    kr = keyring()
    stale: list[int] = []
    with connection.cursor() as cur:
        cur.execute(f"SELECT {qn(model._meta.pk.column)}, {cols} FROM {qn(model._meta.db_table)}")
        for pk, *values in cur.fetchall():
            if any(v and is_ciphertext(v) and kr.needs_rotation(v) for v in values):
                stale.append(pk)
    return stale


class Command(BaseCommand):
    help = "Re-encrypt encrypted fields under the newest key and recompute blind indexes."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="recompute blind indexes of every person (after changing VIGIL_INDEX_KEY)",
        )

    def handle(self, *args: object, **options: object) -> None:
        batch = int(options["batch"])  # type: ignore[call-overload]
        total = 0
        for model in apps.get_models():
            fields = encrypted_fields(model)
            if not fields:
                continue
            ids = _stale_ids(model, fields)
            if options["reindex"] and hasattr(model, "refresh_indexes"):
                ids = list(model.objects.values_list("pk", flat=True))
            for start in range(0, len(ids), batch):
                with transaction.atomic():
                    for obj in model.objects.filter(pk__in=ids[start : start + batch]):
                        # Saving re-encrypts with the current key (and refreshes indexes).
                        obj.save(update_fields=[f.name for f in fields])
            if ids:
                self.stdout.write(f"{model._meta.label}: {len(ids)} rows re-encrypted")
            total += len(ids)
        record(
            "rekey",
            object_type="system",
            via="cli",
            detail={"rows": total, "current_key": keyring().current_id},
        )
        self.stdout.write(f"done: {total} rows now under key {keyring().current_id!r}")
