-- question: What share of free trials started in 2025 converted to paid?
-- question: Trial conversion rate for trials that began in 2025
-- question: How many 2025 trials turned into paying subscriptions?
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-03-02
-- tags: trial, conversion, rate
WITH paid AS (
    SELECT DISTINCT subscription_id
    FROM analytics.payments
    WHERE status = 'succeeded'
)
SELECT count(*) AS trials,
       count(paid.subscription_id) AS converted,
       round(100.0 * count(paid.subscription_id) / count(*), 2) AS conversion_rate_pct
FROM analytics.subscriptions s
LEFT JOIN paid ON paid.subscription_id = s.subscription_id
WHERE s.started_with_trial
  AND year(s.started_at) = 2025
  AND s.user_id >= 100;
