-- Partial aggregates in SQL (docs/aggregates.md, docs/spark.md): the log's dedup rules, the join of exposures with
-- outcomes and replies, and the per-unit aggregation. Shared by the DuckDB engine (src/DuckDb) and the Spark job
-- (spark/verdict_aggregates.py); CI runs it on DuckDB. What differs between them is only the source read: a view
-- `events` with one row per log line, which each engine defines over its files:
--
--   t, id, experiment, arm, unit, intent, true_intent, model, phase  STRING (NULL when absent or JSON null)
--   event_us    BIGINT   microseconds since the Unix epoch of `ts`; NULL when absent or not an RFC 3339 timestamp
--   ts_present  BOOLEAN  `ts` is present and not null
--   handling, confidence, covariate  DOUBLE (NULL when absent or JSON null)
--   latency     DOUBLE   latencyMs, when it is a number (another value is ignored, not malformed)
--   fallback    BOOLEAN
--   type_error  BOOLEAN  some field holds a JSON value of the wrong type
--
-- The dialect is the subset DuckDB and Spark SQL share: no quoted identifiers, no QUALIFY, no FILTER clauses, no
-- list or struct values, no engine-specific functions; times are integers (microseconds).
--
-- The file is a list of steps. Each starts with a line `-- step NAME KIND [drop NAME...]`: KIND `view` (a named
-- query), `table` (materialised, spilling as the engine does) or `result` (materialised, and read back or written out
-- as the result table NAME, whose columns docs/spark.md lists); `drop` names tables no later step reads. Parameters,
-- substituted before a step runs:
--   :experiment         the experiment, a string literal      :sources  the number of files read, an integer
--   :since, :as_of      BIGINT microseconds, or NULL          :exclude_fallbacks  true or false
--   :positive           the positive reply intents, a parenthesised list of string literals

-- step checked view
-- A line is malformed when a field has the wrong JSON type or value (a null counts as absent), or a field its type
-- needs is missing; it is then counted and left out, as the built-in reader does. x - x = 0 holds only for finite x.
SELECT t, id, event_us, experiment, arm, unit, intent, true_intent, handling, confidence, model, phase, fallback, covariate, latency,
  CASE
    WHEN type_error THEN 'type'
    WHEN handling IS NOT NULL AND (handling < 0 OR NOT (handling - handling = 0)) THEN 'handlingSeconds'
    WHEN confidence IS NOT NULL AND (confidence < 0 OR confidence > 1) THEN 'confidence'
    WHEN covariate IS NOT NULL AND NOT (covariate - covariate = 0) THEN 'covariate'
    WHEN phase IS NOT NULL AND phase NOT IN ('aa', 'ab') THEN 'phase'
    WHEN t IS NULL THEN 'type'
    WHEN t NOT IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') THEN NULL
    WHEN id IS NULL OR id = '' THEN 'id'
    WHEN NOT ts_present THEN 'ts'
    WHEN event_us IS NULL THEN 'ts'
    WHEN t IN ('scored', 'assigned') AND (experiment IS NULL OR experiment = '') THEN 'experiment'
    WHEN t IN ('scored', 'assigned') AND (arm IS NULL OR arm = '') THEN 'arm'
    WHEN t IN ('scored', 'reply', 'shadow') AND intent IS NULL THEN 'intent'
    WHEN t = 'shadow' AND (model IS NULL OR model = '') THEN 'model'
    WHEN t = 'assigned' AND unit IS NULL THEN 'unit'
  END AS problem,
  CASE WHEN t IN ('scored', 'assigned') THEN 1 WHEN t = 'outcome' THEN 2 WHEN t = 'reply' THEN 3 WHEN t = 'shadow' THEN 4 ELSE 0 END AS kind,
  (:as_of IS NULL OR event_us <= :as_of) AND (:since IS NULL OR event_us >= :since) AS in_window
FROM events

-- step line_counts table
-- The reader's counts, in one pass over the lines.
SELECT
  count(*) AS lines,
  coalesce(sum(CASE WHEN problem IS NOT NULL THEN 1 ELSE 0 END), 0) AS malformed,
  coalesce(sum(CASE WHEN problem IS NULL AND t NOT IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') THEN 1 ELSE 0 END), 0) AS unknown_types,
  coalesce(sum(CASE WHEN problem IS NULL AND kind IN (1, 4) AND in_window AND coalesce(experiment, :experiment) <> :experiment THEN 1 ELSE 0 END), 0) AS other_experiments,
  coalesce(sum(CASE WHEN problem IS NULL AND t IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') AND :as_of IS NOT NULL AND event_us > :as_of THEN 1 ELSE 0 END), 0) AS after_as_of,
  coalesce(sum(CASE WHEN problem IS NULL AND t IN ('scored', 'outcome', 'assigned', 'reply', 'shadow') AND :since IS NOT NULL AND event_us < :since
    AND (:as_of IS NULL OR event_us <= :as_of) THEN 1 ELSE 0 END), 0) AS before_since
FROM checked

-- step firsts table
-- Per id and kind, the line that counts: an id's earliest exposure, its latest outcome, its replies (any reply;
-- positive when any is), and each shadow model's earliest prediction, with how many lines it had. A shadow that
-- names another experiment is left out.
SELECT kind, id, event_us, template, arm, unit, intent, model, confidence, fallback, phase, true_intent, handling, covariate, latency, copies, positive
FROM (
  SELECT kind, id, event_us, t = 'assigned' AS template, arm, unit, intent, model, confidence, fallback, phase, true_intent, handling, covariate, latency,
    row_number() OVER (PARTITION BY id, kind, shadow_model ORDER BY CASE WHEN kind = 2 THEN -event_us ELSE event_us END) AS rn,
    count(*) OVER (PARTITION BY id, kind, shadow_model) AS copies,
    max(CASE WHEN kind = 3 AND intent IN :positive THEN 1 ELSE 0 END) OVER (PARTITION BY id, kind, shadow_model) AS positive
  FROM (SELECT *, CASE WHEN kind = 4 THEN model END AS shadow_model FROM checked) c
  WHERE problem IS NULL AND kind > 0 AND in_window AND NOT (kind IN (1, 4) AND coalesce(experiment, :experiment) <> :experiment)
) ranked
WHERE rn = 1

-- step exposures view
-- Each exposure once per phase it is analysed in: phase 1 (A/A) and 2 (A/B) hold their own exposures; phase 0
-- (unspecified) holds every exposure, and is analysed only when some exposure has no phase.
SELECT sel, id, event_us, arm, unit, intent, model, confidence, fallback, template, :exclude_fallbacks AND fallback AS excluded
FROM (
  SELECT CASE phase WHEN 'aa' THEN 1 WHEN 'ab' THEN 2 ELSE 0 END AS sel, id, event_us, arm, coalesce(unit, id) AS unit, intent, model,
    confidence, coalesce(fallback, false) AS fallback, template
  FROM firsts WHERE kind = 1 AND phase IS NOT NULL
  UNION ALL
  SELECT 0, id, event_us, arm, coalesce(unit, id), intent, model, confidence, coalesce(fallback, false), template
  FROM firsts WHERE kind = 1 AND EXISTS (SELECT 1 FROM firsts WHERE kind = 1 AND phase IS NULL)
) e

-- step unit_arms table
-- Per phase and unit: whether it was seen in several arms (it is then left out of the phase), and its exposures.
SELECT sel, unit, min(arm) <> max(arm) AS conflicted, count(*) AS per_unit
FROM exposures WHERE NOT excluded GROUP BY sel, unit

-- step result_phases result
SELECT p.phase, p.template, p.fallbacks, p.first_us, p.last_us, coalesce(u.conflicted_units, 0) AS conflicted_units, coalesce(u.max_per_unit, 0) > 1 AS several
FROM (
  SELECT sel AS phase, max(CASE WHEN NOT excluded AND template THEN 1 ELSE 0 END) = 1 AS template,
    sum(CASE WHEN fallback THEN 1 ELSE 0 END) AS fallbacks,
    min(CASE WHEN NOT excluded THEN event_us END) AS first_us, max(CASE WHEN NOT excluded THEN event_us END) AS last_us
  FROM exposures GROUP BY sel
) p
LEFT JOIN (
  SELECT sel, sum(CASE WHEN conflicted THEN 1 ELSE 0 END) AS conflicted_units, max(per_unit) AS max_per_unit FROM unit_arms GROUP BY sel
) u ON u.sel = p.phase

-- step result_log result
SELECT :experiment AS experiment, :sources AS sources, :exclude_fallbacks AS exclude_fallbacks,
  c.lines, c.malformed, c.unknown_types,
  f.duplicate_exposures, f.duplicate_outcomes, o.orphans, c.other_experiments, c.after_as_of, c.before_since
FROM line_counts c
CROSS JOIN (
  SELECT coalesce(sum(CASE WHEN kind = 1 THEN copies - 1 ELSE 0 END), 0) AS duplicate_exposures,
    coalesce(sum(CASE WHEN kind = 2 THEN copies - 1 ELSE 0 END), 0) AS duplicate_outcomes
  FROM firsts
) f
CROSS JOIN (
  SELECT count(*) AS orphans
  FROM (SELECT DISTINCT id FROM firsts WHERE kind IN (2, 3)) r
  LEFT JOIN (SELECT id FROM firsts WHERE kind = 1) e ON e.id = r.id
  WHERE e.id IS NULL
) o

-- step analysed table drop unit_arms line_counts
-- One row per analysed exposure, joined with its outcome and replies. Units seen in several arms of a phase are left
-- out of it; so are excluded fallbacks.
SELECT s.sel AS phase, s.id, s.arm, s.unit, s.event_us AS exposure_us, s.intent, s.model, s.confidence, s.template,
  o.id IS NOT NULL AS has_outcome, o.event_us AS outcome_us, o.handling, o.covariate,
  r.id IS NOT NULL AS has_reply, coalesce(r.positive, 0) = 1 AS positive,
  o.true_intent IS NOT NULL AS labelled, o.true_intent, o.true_intent IS NOT NULL AND o.true_intent = s.intent AS correct
FROM exposures s
JOIN unit_arms u ON u.sel = s.sel AND u.unit = s.unit
LEFT JOIN (SELECT id, event_us, true_intent, handling, covariate FROM firsts WHERE kind = 2) o ON o.id = s.id
LEFT JOIN (SELECT id, positive FROM firsts WHERE kind = 3) r ON r.id = s.id
WHERE NOT s.excluded AND NOT u.conflicted

-- step paired table drop firsts
-- Each analysed exposure a shadow model scored too, with the served model's prediction and the outcome.
SELECT a.phase, a.model AS served, s.model AS shadow, a.intent, s.intent AS shadow_intent, a.labelled, a.true_intent, a.correct, s.latency
FROM analysed a JOIN (SELECT id, model, intent, latency FROM firsts WHERE kind = 4) s ON s.id = a.id
WHERE a.model IS NOT NULL

-- step result_paired result
-- McNemar's cells over the labelled emails, and agreement over every shadowed one.
SELECT phase, served, shadow, sum(CASE WHEN labelled THEN 1 ELSE 0 END) AS n,
  sum(CASE WHEN labelled AND correct AND shadow_intent = true_intent THEN 1 ELSE 0 END) AS both_right,
  sum(CASE WHEN labelled AND correct AND NOT (shadow_intent = true_intent) THEN 1 ELSE 0 END) AS served_only,
  sum(CASE WHEN labelled AND NOT correct AND shadow_intent = true_intent THEN 1 ELSE 0 END) AS shadow_only,
  count(*) AS shadowed, sum(CASE WHEN shadow_intent = intent THEN 1 ELSE 0 END) AS agreed
FROM paired GROUP BY phase, served, shadow

-- step result_paired_latency result drop paired
-- The shadow's latency in microseconds, in the 1 %-wide log-scale bins of the outcome delays.
SELECT phase, served, shadow, CAST(CASE WHEN us <= 1 THEN 0 ELSE least(2047, 1 + floor(ln(us) / ln(1.01))) END AS INT) AS bin, count(*) AS n
FROM (SELECT phase, served, shadow, latency * 1000 AS us FROM paired WHERE latency IS NOT NULL AND latency >= 0 AND latency - latency = 0) p
GROUP BY phase, served, shadow, CAST(CASE WHEN us <= 1 THEN 0 ELSE least(2047, 1 + floor(ln(us) / ln(1.01))) END AS INT)

-- step result_models result
SELECT DISTINCT phase, arm, model FROM analysed WHERE model IS NOT NULL

-- step result_arms result
SELECT phase, arm, count(*) AS exposures, count(DISTINCT unit) AS units,
  sum(CASE WHEN labelled THEN 1 ELSE 0 END) AS labelled, sum(CASE WHEN correct THEN 1 ELSE 0 END) AS correct,
  count(handling) AS timed, avg(handling) AS handling_mean, coalesce(var_pop(handling), 0) * count(handling) AS handling_m2,
  avg(ln(1 + handling)) AS log_mean, coalesce(var_pop(ln(1 + handling)), 0) * count(handling) AS log_m2,
  sum(CASE WHEN template THEN 1 ELSE 0 END) AS messages, sum(CASE WHEN template AND has_reply THEN 1 ELSE 0 END) AS replied,
  sum(CASE WHEN template AND positive THEN 1 ELSE 0 END) AS positive,
  count(brier) AS brier_n, avg(brier) AS brier_mean, coalesce(var_pop(brier), 0) * count(brier) AS brier_m2,
  count(cuped_x) AS cuped_n, avg(cuped_x) AS cuped_mean_x, avg(cuped_y) AS cuped_mean_y,
  coalesce(var_pop(cuped_x), 0) * count(cuped_x) AS cuped_m2x, coalesce(var_pop(cuped_y), 0) * count(cuped_x) AS cuped_m2y,
  coalesce(covar_pop(cuped_x, cuped_y), 0) * count(cuped_x) AS cuped_cxy
FROM (
  SELECT *,
    CASE WHEN labelled AND confidence IS NOT NULL THEN power(confidence - CASE WHEN correct THEN 1 ELSE 0 END, 2) END AS brier,
    CASE WHEN covariate IS NOT NULL AND handling IS NOT NULL THEN covariate END AS cuped_x,
    CASE WHEN covariate IS NOT NULL AND handling IS NOT NULL THEN handling END AS cuped_y
  FROM analysed
) a
GROUP BY phase, arm

-- step units table
-- Per unit: its sums and counts, for the delta method (x: the unit's sum, y: its count) and the units' means.
SELECT phase, arm, unit, count(*) AS exposures, sum(CASE WHEN labelled THEN 1 ELSE 0 END) AS labelled,
  sum(CASE WHEN correct THEN 1 ELSE 0 END) AS correct, count(handling) AS timed, sum(handling) AS seconds,
  sum(CASE WHEN has_reply THEN 1 ELSE 0 END) AS replies, sum(CASE WHEN positive THEN 1 ELSE 0 END) AS positives
FROM analysed GROUP BY phase, arm, unit

-- step result_unit_ratios result
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
FROM units GROUP BY phase, arm

-- step result_values result drop units
-- Handling times as exact-value histograms: the emails', and the units' means.
SELECT phase, arm, false AS unit_means, handling AS seconds, count(*) AS n FROM analysed WHERE handling IS NOT NULL GROUP BY phase, arm, handling
UNION ALL
SELECT phase, arm, true, seconds / timed, count(*) FROM units WHERE timed > 0 GROUP BY phase, arm, seconds / timed

-- step result_days result
SELECT phase, arm, day_number, count(*) AS exposures,
  sum(CASE WHEN labelled THEN 1 ELSE 0 END) AS labelled, sum(CASE WHEN correct THEN 1 ELSE 0 END) AS correct,
  sum(CASE WHEN template THEN 1 ELSE 0 END) AS messages, sum(CASE WHEN template AND positive THEN 1 ELSE 0 END) AS positive
FROM (SELECT *, CAST(floor(CAST(exposure_us AS DOUBLE) / 86400000000) AS BIGINT) AS day_number FROM analysed) a
GROUP BY phase, arm, day_number

-- step result_cells result drop analysed
-- Confusion cells (a: true intent, b: predicted), calibration bins (b: the bin, x: confidence sum, y: correct) and
-- outcome delays (b: the bin of the 1 %-wide log-scale histogram).
SELECT phase, arm, 'confusion' AS kind, true_intent AS a, intent AS b, count(*) AS n, CAST(0 AS DOUBLE) AS x, CAST(0 AS BIGINT) AS y
FROM analysed WHERE labelled AND intent IS NOT NULL GROUP BY phase, arm, true_intent, intent
UNION ALL
SELECT phase, arm, 'calibration', CAST(NULL AS STRING), CAST(bin AS STRING), count(*), sum(confidence), sum(CASE WHEN correct THEN 1 ELSE 0 END)
FROM (SELECT *, CAST(least(9, floor(confidence * 10)) AS INT) AS bin FROM analysed WHERE labelled AND confidence IS NOT NULL) a
GROUP BY phase, arm, bin
UNION ALL
SELECT phase, arm, 'delay', CAST(NULL AS STRING), CAST(bin AS STRING), count(*), CAST(0 AS DOUBLE), CAST(0 AS BIGINT)
FROM (
  SELECT phase, arm, CAST(CASE WHEN d <= 1 THEN 0 ELSE least(2047, 1 + floor(ln(d) / ln(1.01))) END AS INT) AS bin
  FROM (SELECT phase, arm, CAST(outcome_us - exposure_us AS DOUBLE) / 1000000 AS d FROM analysed WHERE has_outcome) a
) b
GROUP BY phase, arm, bin
