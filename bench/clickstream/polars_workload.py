"""The clickstream workload in Polars (the bar to meet). Prints {"seconds": ..., "maxRssMb": ...} as JSON.

Written the fastest way we found on this data (hive-partitioned Parquet, thousands of small files): read the
five needed columns once into memory, then group eagerly. Two lazy collects (one per group_by) read the files
twice and took about 2x as long; one lazy query with collect_all, or the streaming engine, were slower too.
"""
import json
import resource
import sys
import time

import polars as pl

data_dir, out = sys.argv[1], sys.argv[2]
TS = "%Y-%m-%dT%H:%M:%S"
KEYS = ["customer", "url", "hour_ts"]

start = time.perf_counter()
events = (
    pl.scan_parquet(f"{data_dir}/**/*.parquet", hive_partitioning=True)
    .select("customer", "url", pl.col("ts").dt.truncate("1h").alias("hour_ts"), "session_id", "referrer")
    .collect()
)
metrics = events.group_by(KEYS).agg(pl.len().alias("page_views"), pl.col("session_id").n_unique().alias("visitors"))
# referrer counts per group, as a struct with one field per referrer (absent referrers are null)
refs = events.group_by(KEYS + ["referrer"]).len("n").pivot(on="referrer", index=KEYS, values="n")
ref_names = [c for c in refs.columns if c not in KEYS]
result = metrics.join(refs, on=KEYS, how="left").select(
    pl.concat_str([pl.col("url"), pl.col("customer"), pl.col("hour_ts").dt.strftime(TS)], separator="|").alias("_id"),
    "customer",
    "url",
    pl.col("hour_ts").dt.strftime(TS).alias("ts"),
    pl.struct(pl.col("page_views"), pl.col("visitors")).alias("metrics"),
    pl.struct([pl.col(c) for c in ref_names]).alias("referrers"),
)
result.write_ndjson(out)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": result.height}))
