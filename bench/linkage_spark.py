"""The scale path of record linkage: Splink on Spark (local mode) against DuckDB, same lists.

Generates a hidden population large enough for the asked number of records (default
1,000,000 records in 4 lists), links it with ``vigil.stats.linkage`` on the Spark backend
(``local[*]``, every core of this machine) and, as the baseline measured in the same run, on
DuckDB in-process. Prints the time of each, records per second, the pairwise F1 of both against
the known truth and whether the two found the same clusters.

Prints
BENCH linkage_spark_<records> value=<records/s> unit=records/s baseline=<DuckDB records/s> ratio=<x>

    make scale                                   # installs pyspark, runs the test and this
    .venv/bin/python bench/linkage_spark.py [RECORDS]

Spark in local mode on one machine is slower than DuckDB (the ratio is below 1): its point is
that the same model runs unchanged on a cluster (``spark.master``) when the lists outgrow one.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from vigil.stats.linkage import evaluate_linkage, link_records
from vigil.stats.linkage_synth import generate

RECORDS = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
# about 0.9 records per person with 4 lists and the default capture probabilities
PEOPLE = max(100, round(RECORDS / 0.9))


def main() -> None:
    data = generate(PEOPLE, 4, seed=2026, noise="moderate")
    n = data.n_records
    config = data.config()
    start = time.perf_counter()
    duck = link_records(data.rows, config)
    t_duck = time.perf_counter() - start
    spark_config = dataclasses.replace(config, backend="spark", spark={
        "master": "local[*]", "conf": {"spark.ui.enabled": "false",
                                       "spark.driver.memory": "8g"}})
    start = time.perf_counter()
    spark = link_records(data.rows, spark_config)
    t_spark = time.perf_counter() - start
    q_duck = evaluate_linkage(duck.record_clusters, data.true_labels(duck))
    q_spark = evaluate_linkage(spark.record_clusters, data.true_labels(spark))
    same = spark.record_clusters == duck.record_clusters
    print(f"records {n} in {len(data.list_names)} lists, hidden population {PEOPLE}")
    print(f"duckdb: {t_duck:.1f} s; {q_duck.summary()}")
    print(f"spark local: {t_spark:.1f} s; {q_spark.summary()}")
    print(f"same clusters: {same}; people linked duckdb {duck.n_clusters} spark {spark.n_clusters}")
    print(f"BENCH linkage_spark_{n} value={n / t_spark:.1f} unit=records/s "
          f"baseline={n / t_duck:.1f} ratio={t_duck / t_spark:.2f}")


if __name__ == "__main__":
    main()
