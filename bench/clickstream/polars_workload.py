"""The clickstream workload in Polars (the bar to meet). Prints {"seconds": ..., "maxRssMb": ...} as JSON."""
import json
import resource
import sys
import time

import polars as pl

data_dir, out = sys.argv[1], sys.argv[2]
TS = "%Y-%m-%dT%H:%M:%S"

start = time.perf_counter()
events = pl.scan_parquet(f"{data_dir}/**/*.parquet", hive_partitioning=True)
hourly = events.with_columns(pl.col("ts").dt.truncate("1h").alias("hour_ts"))
keys = ["customer", "url", "hour_ts"]
metrics = hourly.group_by(keys).agg(pl.len().alias("page_views"), pl.col("session_id").n_unique().alias("visitors"))
# referrer counts per group, as a struct with one field per referrer (absent referrers are null)
refs = hourly.group_by(keys + ["referrer"]).agg(pl.len().alias("n")).collect().pivot(on="referrer", index=keys, values="n")
ref_names = [c for c in refs.columns if c not in keys]
result = (
    metrics.collect()
    .join(refs, on=keys, how="left")
    .select(
        pl.concat_str([pl.col("url"), pl.col("customer"), pl.col("hour_ts").dt.strftime(TS)], separator="|").alias("_id"),
        "customer",
        "url",
        pl.col("hour_ts").dt.strftime(TS).alias("ts"),
        pl.struct(pl.col("page_views"), pl.col("visitors")).alias("metrics"),
        pl.struct([pl.col(c) for c in ref_names]).alias("referrers"),
    )
)
result.write_ndjson(out)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rows": result.height}))
