-- The DuckDB engine's source read (the only part of sql/aggregates.sql's input that is DuckDB's own): the view
-- `events` over `events_raw`, which the engine defines with one JSON column per field (read_json over JSONL files,
-- to_json over Parquet columns). A field holding a JSON value of the wrong type sets type_error.
CREATE OR REPLACE TEMP VIEW events AS
SELECT
  CASE WHEN k_type = 'VARCHAR' THEN "type" ->> '$' END AS t,
  CASE WHEN k_id = 'VARCHAR' THEN id ->> '$' END AS id,
  epoch_us(TRY_CAST(CASE WHEN k_ts = 'VARCHAR' THEN ts ->> '$' END AS TIMESTAMPTZ)) AS event_us,
  coalesce(k_ts, 'NULL') <> 'NULL' AS ts_present,
  CASE WHEN k_experiment = 'VARCHAR' THEN experiment ->> '$' END AS experiment,
  CASE WHEN k_arm = 'VARCHAR' THEN arm ->> '$' END AS arm,
  CASE WHEN k_unit = 'VARCHAR' THEN unit ->> '$' END AS unit,
  CASE WHEN k_intent = 'VARCHAR' THEN intent ->> '$' END AS intent,
  CASE WHEN k_true_intent = 'VARCHAR' THEN "trueIntent" ->> '$' END AS true_intent,
  CASE WHEN k_model = 'VARCHAR' THEN model ->> '$' END AS model,
  CASE WHEN k_phase = 'VARCHAR' THEN phase ->> '$' END AS phase,
  CASE WHEN k_handling IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST("handlingSeconds" AS DOUBLE) END AS handling,
  CASE WHEN k_confidence IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(confidence AS DOUBLE) END AS confidence,
  CASE WHEN k_covariate IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(covariate AS DOUBLE) END AS covariate,
  CASE WHEN k_fallback = 'BOOLEAN' THEN CAST(fallback AS BOOLEAN) END AS fallback,
  CASE WHEN json_type("latencyMs") IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST("latencyMs" AS DOUBLE) END AS latency,
  coalesce(k_type, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(k_id, 'NULL') NOT IN ('NULL', 'VARCHAR')
    OR coalesce(k_ts, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(k_experiment, 'NULL') NOT IN ('NULL', 'VARCHAR')
    OR coalesce(k_arm, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(k_unit, 'NULL') NOT IN ('NULL', 'VARCHAR')
    OR coalesce(k_intent, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(k_true_intent, 'NULL') NOT IN ('NULL', 'VARCHAR')
    OR coalesce(k_model, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(k_phase, 'NULL') NOT IN ('NULL', 'VARCHAR')
    OR coalesce(k_handling, 'NULL') NOT IN ('NULL', 'UBIGINT', 'BIGINT', 'DOUBLE')
    OR coalesce(k_confidence, 'NULL') NOT IN ('NULL', 'UBIGINT', 'BIGINT', 'DOUBLE')
    OR coalesce(k_covariate, 'NULL') NOT IN ('NULL', 'UBIGINT', 'BIGINT', 'DOUBLE')
    OR coalesce(k_fallback, 'NULL') NOT IN ('NULL', 'BOOLEAN') AS type_error
FROM (
  SELECT *, json_type("type") AS k_type, json_type(id) AS k_id, json_type(ts) AS k_ts, json_type(experiment) AS k_experiment,
    json_type(arm) AS k_arm, json_type(unit) AS k_unit, json_type(intent) AS k_intent, json_type("trueIntent") AS k_true_intent,
    json_type(model) AS k_model, json_type(phase) AS k_phase, json_type("handlingSeconds") AS k_handling,
    json_type(confidence) AS k_confidence, json_type(covariate) AS k_covariate, json_type(fallback) AS k_fallback
  FROM events_raw
) raw;
