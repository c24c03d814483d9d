-- Partial aggregates in SQL (docs/aggregates.md): the log's dedup rules, the join of exposures with outcomes and
-- replies, and the per-unit aggregation, over a view `events_raw` with one row per log line and one JSON column per
-- field (type, id, ts, experiment, arm, unit, intent, trueIntent, handlingSeconds, confidence, model, phase,
-- fallback, covariate), which the engine defines (read_json over JSONL files, read_parquet over Parquet files).
-- DuckDB's dialect (json_type, ->>, QUALIFY, GROUP BY ALL, EXCLUDE). Parameters, substituted before it runs:
--   :experiment  the experiment, a string literal        :since, :as_of  TIMESTAMPTZ literals (or NULL)
--   :exclude_fallbacks  true or false                    :positive  a list of string literals, the positive reply intents
-- Statements are separated by lines holding only "-- ;". Each `result_*` table is read back by the engine.

CREATE OR REPLACE TEMP VIEW typed AS
SELECT
  CASE WHEN json_type("type") = 'VARCHAR' THEN "type" ->> '$' END AS t,
  json_type("type") AS type_kind,
  CASE WHEN json_type(id) = 'VARCHAR' THEN id ->> '$' END AS id,
  json_type(id) AS id_kind,
  TRY_CAST(CASE WHEN json_type(ts) = 'VARCHAR' THEN ts ->> '$' END AS TIMESTAMPTZ) AS event_at,
  json_type(ts) AS ts_kind,
  CASE WHEN json_type(experiment) = 'VARCHAR' THEN experiment ->> '$' END AS experiment,
  json_type(experiment) AS experiment_kind,
  CASE WHEN json_type(arm) = 'VARCHAR' THEN arm ->> '$' END AS arm,
  json_type(arm) AS arm_kind,
  CASE WHEN json_type(unit) = 'VARCHAR' THEN unit ->> '$' END AS unit,
  json_type(unit) AS unit_kind,
  CASE WHEN json_type(intent) = 'VARCHAR' THEN intent ->> '$' END AS intent,
  json_type(intent) AS intent_kind,
  CASE WHEN json_type("trueIntent") = 'VARCHAR' THEN "trueIntent" ->> '$' END AS true_intent,
  json_type("trueIntent") AS true_intent_kind,
  CASE WHEN json_type("handlingSeconds") IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST("handlingSeconds" AS DOUBLE) END AS handling,
  json_type("handlingSeconds") AS handling_kind,
  CASE WHEN json_type(confidence) IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(confidence AS DOUBLE) END AS confidence,
  json_type(confidence) AS confidence_kind,
  CASE WHEN json_type(model) = 'VARCHAR' THEN model ->> '$' END AS model,
  json_type(model) AS model_kind,
  CASE WHEN json_type(phase) = 'VARCHAR' THEN phase ->> '$' END AS phase,
  json_type(phase) AS phase_kind,
  CASE WHEN json_type(fallback) = 'BOOLEAN' THEN CAST(fallback AS BOOLEAN) END AS fallback,
  json_type(fallback) AS fallback_kind,
  CASE WHEN json_type(covariate) IN ('UBIGINT', 'BIGINT', 'DOUBLE') THEN CAST(covariate AS DOUBLE) END AS covariate,
  json_type(covariate) AS covariate_kind
FROM events_raw;
-- ;
-- A line is malformed when a field has the wrong JSON type or value (a null counts as absent), or a field its type
-- needs is missing; then it is counted and left out, as the built-in reader does.
CREATE OR REPLACE TEMP TABLE checked AS
SELECT t, id, event_at, experiment, arm, unit, intent, true_intent, handling, confidence, model, phase, fallback, covariate,
  CASE
    WHEN coalesce(type_kind, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(id_kind, 'NULL') NOT IN ('NULL', 'VARCHAR')
      OR coalesce(ts_kind, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(experiment_kind, 'NULL') NOT IN ('NULL', 'VARCHAR')
      OR coalesce(arm_kind, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(unit_kind, 'NULL') NOT IN ('NULL', 'VARCHAR')
      OR coalesce(intent_kind, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(true_intent_kind, 'NULL') NOT IN ('NULL', 'VARCHAR')
      OR coalesce(model_kind, 'NULL') NOT IN ('NULL', 'VARCHAR') OR coalesce(phase_kind, 'NULL') NOT IN ('NULL', 'VARCHAR') THEN 'a field is not a string'
    WHEN handling_kind IS NOT NULL AND handling_kind <> 'NULL' AND (handling IS NULL OR handling < 0 OR NOT isfinite(handling)) THEN 'handlingSeconds must be a number ≥ 0'
    WHEN confidence_kind IS NOT NULL AND confidence_kind <> 'NULL' AND (confidence IS NULL OR confidence < 0 OR confidence > 1) THEN 'confidence must be a number in [0, 1]'
    WHEN covariate_kind IS NOT NULL AND covariate_kind <> 'NULL' AND (covariate IS NULL OR NOT isfinite(covariate)) THEN 'covariate must be a finite number'
    WHEN fallback_kind IS NOT NULL AND fallback_kind <> 'NULL' AND fallback IS NULL THEN 'fallback must be true or false'
    WHEN phase IS NOT NULL AND phase NOT IN ('aa', 'ab') THEN 'phase must be "aa" or "ab"'
    WHEN t IS NULL THEN 'type is missing'
    WHEN t NOT IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') THEN NULL
    WHEN id IS NULL OR id = '' THEN 'id is missing'
    WHEN ts_kind IS NULL OR ts_kind = 'NULL' THEN 'ts is missing'
    WHEN event_at IS NULL THEN 'ts must be an RFC 3339 timestamp'
    WHEN t IN ('scored', 'assigned') AND (experiment IS NULL OR experiment = '') THEN 'experiment is missing'
    WHEN t IN ('scored', 'assigned') AND (arm IS NULL OR arm = '') THEN 'arm is missing'
    WHEN t IN ('scored', 'reply', 'shadow') AND intent IS NULL THEN 'intent is missing'
    WHEN t = 'shadow' AND (model IS NULL OR model = '') THEN 'model is missing'
    WHEN t = 'assigned' AND unit IS NULL THEN 'unit is missing'
  END AS problem
FROM typed;
-- ;
CREATE OR REPLACE TEMP TABLE accepted AS
SELECT * FROM checked
WHERE problem IS NULL AND t IN ('scored', 'outcome', 'assigned', 'reply')
  AND (:as_of IS NULL OR event_at <= :as_of) AND (:since IS NULL OR event_at >= :since)
  AND NOT (t IN ('scored', 'assigned') AND experiment <> :experiment);
-- ;
-- Exposures: the earliest of an id's wins. Outcomes: the latest wins. Replies: any reply, any positive one.
CREATE OR REPLACE TEMP TABLE exposures AS
SELECT id, event_at, arm, coalesce(unit, id) AS unit, intent, model, confidence, coalesce(fallback, false) AS fallback,
  CASE phase WHEN 'aa' THEN 1 WHEN 'ab' THEN 2 ELSE 0 END AS phase, t = 'assigned' AS template
FROM accepted WHERE t IN ('scored', 'assigned')
QUALIFY row_number() OVER (PARTITION BY id ORDER BY event_at) = 1;
-- ;
CREATE OR REPLACE TEMP TABLE outcomes AS
SELECT id, event_at, true_intent, handling, covariate
FROM accepted WHERE t = 'outcome'
QUALIFY row_number() OVER (PARTITION BY id ORDER BY event_at DESC) = 1;
-- ;
CREATE OR REPLACE TEMP TABLE replies AS
SELECT id, bool_or(list_contains(:positive, intent)) AS positive FROM accepted WHERE t = 'reply' GROUP BY id;
-- ;
CREATE OR REPLACE TEMP TABLE result_log AS
SELECT
  (SELECT count(*) FROM checked) AS lines,
  (SELECT count(*) FROM checked WHERE problem IS NOT NULL) AS malformed,
  (SELECT count(*) FROM checked WHERE problem IS NULL AND t NOT IN ('scored', 'outcome', 'assigned', 'reply', 'shadow')) AS unknown_types,
  (SELECT count(*) FROM accepted WHERE t IN ('scored', 'assigned')) - (SELECT count(*) FROM exposures) AS duplicate_exposures,
  (SELECT count(*) FROM accepted WHERE t = 'outcome') - (SELECT count(*) FROM outcomes) AS duplicate_outcomes,
  (SELECT count(*) FROM (SELECT id FROM outcomes UNION SELECT id FROM replies) o WHERE o.id NOT IN (SELECT id FROM exposures)) AS orphans,
  (SELECT count(*) FROM checked WHERE problem IS NULL AND t IN ('scored', 'assigned') AND experiment <> :experiment
     AND (:as_of IS NULL OR event_at <= :as_of) AND (:since IS NULL OR event_at >= :since)) AS other_experiments,
  (SELECT count(*) FROM checked WHERE problem IS NULL AND t IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') AND :as_of IS NOT NULL AND event_at > :as_of) AS after_as_of,
  (SELECT count(*) FROM checked WHERE problem IS NULL AND t IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') AND :since IS NOT NULL AND event_at < :since AND (:as_of IS NULL OR event_at <= :as_of)) AS before_since;
-- ;
-- One row per exposure and phase it is analysed in, joined: phase 1 (A/A) and 2 (A/B) hold their own exposures,
-- phase 0 (unspecified) holds every exposure, as the built-in reader selects them.
CREATE OR REPLACE TEMP TABLE joined AS
SELECT s.*, epoch_us(s.event_at) AS exposure_us,
  o.id IS NOT NULL AS has_outcome, epoch_us(o.event_at) AS outcome_us, o.true_intent, o.handling, o.covariate,
  r.id IS NOT NULL AS has_reply, coalesce(r.positive, false) AS positive,
  o.true_intent IS NOT NULL AS labelled, o.true_intent IS NOT NULL AND o.true_intent = s.intent AS correct,
  :exclude_fallbacks AND s.fallback AS excluded
FROM (SELECT *, phase AS sel FROM exposures WHERE phase > 0 UNION ALL SELECT *, 0 AS sel FROM exposures) s
LEFT JOIN outcomes o ON o.id = s.id LEFT JOIN replies r ON r.id = s.id;
-- ;
-- Units seen in several arms of a phase are left out of it; so are excluded fallbacks.
CREATE OR REPLACE TEMP TABLE unit_arms AS
SELECT sel, unit, count(DISTINCT arm) > 1 AS conflicted, count(*) AS per_unit FROM joined WHERE NOT excluded GROUP BY sel, unit;
-- ;
CREATE OR REPLACE TEMP TABLE result_phases AS
SELECT j.sel AS phase, bool_or(j.template) FILTER (WHERE NOT j.excluded) AS template, count(*) FILTER (WHERE j.fallback) AS fallbacks,
  min(j.exposure_us) FILTER (WHERE NOT j.excluded) AS first_us, max(j.exposure_us) FILTER (WHERE NOT j.excluded) AS last_us,
  (SELECT count(*) FROM unit_arms u WHERE u.sel = j.sel AND u.conflicted) AS conflicted_units,
  coalesce((SELECT max(per_unit) FROM unit_arms u WHERE u.sel = j.sel), 0) > 1 AS several
FROM joined j
WHERE j.sel > 0 OR EXISTS (SELECT 1 FROM exposures WHERE phase = 0)
GROUP BY j.sel;
-- ;
CREATE OR REPLACE TEMP TABLE analysed AS
SELECT j.* EXCLUDE (phase), j.sel AS phase FROM joined j JOIN unit_arms u ON u.sel = j.sel AND u.unit = j.unit
WHERE NOT j.excluded AND NOT u.conflicted;
-- ;
CREATE OR REPLACE TEMP TABLE result_arms AS
SELECT phase, arm, count(*) AS exposures, count(DISTINCT unit) AS units, list(DISTINCT model) FILTER (WHERE model IS NOT NULL) AS models,
  count(*) FILTER (WHERE labelled) AS labelled, count(*) FILTER (WHERE correct) AS correct,
  count(handling) AS timed, avg(handling) AS handling_mean, coalesce(var_pop(handling), 0) * count(handling) AS handling_m2,
  avg(ln(1 + handling)) AS log_mean, coalesce(var_pop(ln(1 + handling)), 0) * count(handling) AS log_m2,
  count(*) FILTER (WHERE template) AS messages, count(*) FILTER (WHERE template AND has_reply) AS replied,
  count(*) FILTER (WHERE template AND positive) AS positive,
  count(*) FILTER (WHERE labelled AND confidence IS NOT NULL) AS brier_n,
  avg(power(confidence - CASE WHEN correct THEN 1 ELSE 0 END, 2)) FILTER (WHERE labelled AND confidence IS NOT NULL) AS brier_mean,
  coalesce(var_pop(power(confidence - CASE WHEN correct THEN 1 ELSE 0 END, 2)) FILTER (WHERE labelled AND confidence IS NOT NULL), 0)
    * count(*) FILTER (WHERE labelled AND confidence IS NOT NULL) AS brier_m2,
  count(*) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL) AS cuped_n,
  avg(covariate) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL) AS cuped_mean_x,
  avg(handling) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL) AS cuped_mean_y,
  coalesce(var_pop(covariate) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL), 0) * count(*) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL) AS cuped_m2x,
  coalesce(var_pop(handling) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL), 0) * count(*) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL) AS cuped_m2y,
  coalesce(covar_pop(covariate, handling) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL), 0) * count(*) FILTER (WHERE covariate IS NOT NULL AND handling IS NOT NULL) AS cuped_cxy
FROM analysed GROUP BY phase, arm;
-- ;
-- Per unit, then per arm: the delta method's sums and co-moments (x: the unit's sum, y: its count).
CREATE OR REPLACE TEMP TABLE units AS
SELECT phase, arm, unit, count(*) AS exposures, count(*) FILTER (WHERE labelled) AS labelled, count(*) FILTER (WHERE correct) AS correct,
  count(handling) AS timed, sum(handling) AS seconds, count(*) FILTER (WHERE has_reply) AS replies, count(*) FILTER (WHERE positive) AS positives
FROM analysed GROUP BY phase, arm, unit;
-- ;
CREATE OR REPLACE TEMP TABLE result_unit_ratios AS
SELECT phase, arm, 'accuracy' AS metric, count(*) AS n, avg(correct) AS mean_x, avg(labelled) AS mean_y,
  coalesce(var_pop(correct), 0) * count(*) AS m2x, coalesce(var_pop(labelled), 0) * count(*) AS m2y, coalesce(covar_pop(correct, labelled), 0) * count(*) AS cxy
FROM units WHERE labelled > 0 GROUP BY phase, arm
UNION ALL
SELECT phase, arm, 'handling', count(*), avg(seconds), avg(timed), coalesce(var_pop(seconds), 0) * count(*), coalesce(var_pop(timed), 0) * count(*), coalesce(covar_pop(seconds, timed), 0) * count(*)
FROM units WHERE timed > 0 GROUP BY phase, arm
UNION ALL
SELECT phase, arm, 'replies', count(*), avg(replies), avg(exposures), coalesce(var_pop(replies), 0) * count(*), coalesce(var_pop(exposures), 0) * count(*), coalesce(covar_pop(replies, exposures), 0) * count(*)
FROM units GROUP BY phase, arm
UNION ALL
SELECT phase, arm, 'positiveReplies', count(*), avg(positives), avg(exposures), coalesce(var_pop(positives), 0) * count(*), coalesce(var_pop(exposures), 0) * count(*), coalesce(covar_pop(positives, exposures), 0) * count(*)
FROM units GROUP BY phase, arm;
-- ;
-- Handling times as exact-value histograms: the emails', and the units' means.
CREATE OR REPLACE TEMP TABLE result_values AS
SELECT phase, arm, false AS unit_means, handling AS value, count(*) AS n FROM analysed WHERE handling IS NOT NULL GROUP BY phase, arm, handling
UNION ALL
SELECT phase, arm, true, seconds / timed, count(*) FROM units WHERE timed > 0 GROUP BY phase, arm, seconds / timed;
-- ;
CREATE OR REPLACE TEMP TABLE result_days AS
SELECT phase, arm, CAST(floor(exposure_us / 86400000000) AS BIGINT) AS day, count(*) AS exposures,
  count(*) FILTER (WHERE labelled) AS labelled, count(*) FILTER (WHERE correct) AS correct,
  count(*) FILTER (WHERE template) AS messages, count(*) FILTER (WHERE template AND positive) AS positive
FROM analysed GROUP BY ALL;
-- ;
CREATE OR REPLACE TEMP TABLE result_cells AS
SELECT phase, arm, 'confusion' AS kind, true_intent AS a, intent AS b, count(*) AS n, 0.0 AS x, 0 AS y
FROM analysed WHERE labelled AND intent IS NOT NULL GROUP BY phase, arm, true_intent, intent
UNION ALL
SELECT phase, arm, 'calibration', NULL, CAST(CAST(least(9, floor(confidence * 10)) AS INTEGER) AS VARCHAR), count(*), sum(confidence), count(*) FILTER (WHERE correct)
FROM analysed WHERE labelled AND confidence IS NOT NULL GROUP BY phase, arm, least(9, floor(confidence * 10))
UNION ALL
SELECT phase, arm, 'delay', NULL, CAST(CAST(CASE WHEN d <= 1 THEN 0 ELSE least(2047, 1 + floor(ln(d) / ln(1.01))) END AS INTEGER) AS VARCHAR), count(*), 0.0, 0
FROM (SELECT *, (outcome_us - exposure_us) / 1000000.0 AS d FROM analysed WHERE has_outcome) GROUP BY phase, arm, CASE WHEN d <= 1 THEN 0 ELSE least(2047, 1 + floor(ln(d) / ln(1.01))) END;
