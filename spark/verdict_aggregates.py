"""Verdict's partial-aggregates job for Spark (Databricks, Synapse, Fabric): docs/spark.md.

Reads an experiment's event log (hourly JSON Lines blobs and compacted Parquet days, e.g.
abfss://events@ACCOUNT.dfs.core.windows.net/EXPERIMENT/), runs
sql/aggregates.sql -- the SQL the DuckDB engine runs, tested in CI on DuckDB -- and writes its result tables as
JSON part files under --out, one folder per table. `verdict aggregate --tables OUT --out FILE` turns them into
partial aggregates for `verdict analyze --aggregates`.

Only the source read below is Spark's own: it gives the SQL the view `events` that sql/aggregates.sql describes.

    spark-submit verdict_aggregates.py --events abfss://... --experiment ID --out abfss://.../tables/ [--sql PATH]
        [--as-of RFC3339] [--since RFC3339] [--exclude-fallbacks] [--positive-intents positive,interested]
"""

import argparse
import os
import re
import sys
from datetime import datetime, timezone

STRING_FIELDS = ["type", "id", "ts", "experiment", "arm", "unit", "intent", "trueIntent", "model", "phase", "latencyMs"]
NUMBER_FIELDS = ["handlingSeconds", "confidence", "covariate"]
CORRUPT = "_corrupt_record"

# The source read. Spark's JSON reader with this schema (PERMISSIVE) nulls a line whose number or boolean field holds
# another type, or that is not a JSON object, and keeps its text in _corrupt_record: that is type_error. It reads a
# number or object given for a string field as its text, where the built-in reader calls the line malformed.
# latencyMs is read as text and cast, so that a latency that is not a number is ignored, as the built-in reader does.
SOURCE = f"""
SELECT
  type AS t, id, unix_micros(to_timestamp(ts)) AS event_us, ts IS NOT NULL AS ts_present,
  experiment, arm, unit, intent, trueIntent AS true_intent, model, phase,
  handlingSeconds AS handling, confidence, covariate, fallback,
  CAST(latencyMs AS DOUBLE) AS latency,
  {CORRUPT} IS NOT NULL AS type_error
FROM events_json
"""

STEP = re.compile(r"^-- step (\S+) (view|table|result)(?: drop((?: \S+)+))?\s*$")
PARAMETER = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def bind(query, parameters, name):
    """The query with every :parameter replaced by its SQL text."""
    def value(match):
        if match.group(1) not in parameters:
            sys.exit(f"error: step {name}: no value for :{match.group(1)}")
        return parameters[match.group(1)]
    return PARAMETER.sub(value, query)


def steps(script):
    """The steps of sql/aggregates.sql: (name, kind, drops, query), comment lines removed."""
    result, current = [], None
    for line in script.splitlines():
        match = STEP.match(line)
        if match:
            current = (match.group(1), match.group(2), (match.group(3) or "").split(), [])
            result.append(current)
        elif line.startswith("-- step "):
            sys.exit(f"error: '{line}': expected '-- step NAME view|table|result [drop NAME...]'")
        elif current is not None and not line.lstrip().startswith("--"):
            current[3].append(line)
    return [(name, kind, drops, "\n".join(lines).strip()) for name, kind, drops, lines in result]


def literal(text):
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def microseconds(text, option):
    if text is None:
        return "CAST(NULL AS BIGINT)"
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        sys.exit(f"error: {option} '{text}' is not an RFC 3339 instant.")
    if at.tzinfo is None:
        sys.exit(f"error: {option} '{text}' has no offset; give one, such as Z.")
    delta = at.astimezone(timezone.utc) - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return str((delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verdict's partial aggregates, as result tables (docs/spark.md).")
    parser.add_argument("--events", required=True, nargs="+", help="JSONL files or folders (abfss://, wasbs://, dbfs:/, local)")
    parser.add_argument("--experiment", required=True)
    parser.add_argument("--out", required=True, help="a folder; each result table is written to OUT/NAME/ as JSON part files")
    parser.add_argument("--sql", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sql", "aggregates.sql"))
    parser.add_argument("--as-of")
    parser.add_argument("--since")
    parser.add_argument("--exclude-fallbacks", action="store_true")
    parser.add_argument("--positive-intents", default="positive")
    args = parser.parse_args(argv)
    # Imported here, so that the step parsing above can be checked where Spark is not installed.
    from pyspark import StorageLevel
    from pyspark.sql import SparkSession
    from pyspark.sql.types import BooleanType, DoubleType, StringType, StructField, StructType

    with open(args.sql, encoding="utf-8") as f:
        script = f.read()
    positive = [p.strip() for p in args.positive_intents.split(",") if p.strip()]

    spark = SparkSession.builder.appName("verdict-aggregates").getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    # Not ANSI: a `ts` that is not a timestamp reads as null (a malformed line), rather than failing the job.
    spark.conf.set("spark.sql.ansi.enabled", "false")
    schema = StructType(
        [StructField(f, StringType()) for f in STRING_FIELDS]
        + [StructField(f, DoubleType()) for f in NUMBER_FIELDS]
        + [StructField("fallback", BooleanType()), StructField(CORRUPT, StringType())]
    )
    def json_reader():
        return spark.read.schema(schema).option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)

    raw = json_reader().option("recursiveFileLookup", "true").option("pathGlobFilter", "*.jsonl").json(args.events)
    sources = len(raw.inputFiles())
    # Compacted days (docs/compaction.md): Parquet files whose `line` column holds the day's lines, read by the same
    # JSON reader as the hourly blobs. Hourly blobs an interrupted compaction left beside them are read too: their
    # events come twice, which the dedup rules absorb (the log's duplicate counts rise).
    compacted = (spark.read.schema(StructType([StructField("line", StringType())])).option("recursiveFileLookup", "true")
                 .option("pathGlobFilter", "compacted-*.parquet").parquet(*args.events))
    if compacted.inputFiles():
        sources += len(compacted.inputFiles())
        raw = raw.unionByName(json_reader().json(compacted.rdd.map(lambda row: row.line)))
    raw.createOrReplaceTempView("events_json")
    spark.sql(SOURCE).createOrReplaceTempView("events")

    parameters = {
        "experiment": literal(args.experiment),
        "sources": str(sources),
        "exclude_fallbacks": "true" if args.exclude_fallbacks else "false",
        "as_of": microseconds(args.as_of, "--as-of"),
        "since": microseconds(args.since, "--since"),
        "positive": "(" + (", ".join(literal(p) for p in positive) if positive else "NULL") + ")",
    }
    kept = {}
    for name, kind, drops, query in steps(script):
        frame = spark.sql(bind(query, parameters, name))
        if kind != "view":
            # Materialised now, so that later steps read it from the cache (spilling to disk) rather than recompute it.
            frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
            frame.count()
            kept[name] = frame
        frame.createOrReplaceTempView(name)
        if kind == "result":
            frame.coalesce(1).write.mode("overwrite").json(f"{args.out.rstrip('/')}/{name}")
        for dropped in drops:
            # Only the name goes: unpersisting a table that a cached later step was built from could make Spark
            # recompute that step. The cached blocks are released when the job ends.
            spark.catalog.dropTempView(dropped)
    for frame in kept.values():
        frame.unpersist()
    print(f"result tables written to {args.out}; next: verdict aggregate --tables <that folder, copied here> --out FILE")


if __name__ == "__main__":
    main()
