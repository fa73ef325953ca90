"""Record linkage on Splink's Spark backend, for real, in local mode (issue 14's scale path).

The same synthetic lists are linked by the DuckDB backend and by Spark (``local[2]``) with the
same model: the clusters must be the same record for record, hence the same capture histories.
pyspark is not a dependency of the suite (it is the ``scale`` extra, a 300 MB download that needs
Java): these tests run with ``make scale``, which installs it, and are skipped without it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from vigil.stats.linkage import capture_histories_csv, link_records
from vigil.stats.linkage_synth import generate

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="the Spark backend needs pyspark (pip install '.[scale]', or make scale) and Java",
)

@pytest.fixture(scope="module", autouse=True)
def _stop_spark() -> Iterator[None]:
    yield
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


SPARK = {"master": "local[2]",
         "conf": {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}}


def test_spark_finds_the_same_people_as_duckdb(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    data = generate(150, 3, seed=7, noise="moderate")
    config = data.config()
    duck = link_records(data.rows, config)
    # no checkpoint directory configured: Vigil makes a temporary one and removes it afterwards
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spark = link_records(data.rows, dataclasses.replace(config, backend="spark", spark=SPARK))
    assert spark.record_clusters == duck.record_clusters
    assert capture_histories_csv(spark.capture_histories) == capture_histories_csv(duck.capture_histories)
    assert duck.n_clusters < len(duck.record_clusters)  # links were made, not only singletons
    assert not list(tmp_path.glob("vigil-spark-*")), "the checkpoints (names) were left behind"
