-- question: How many new subscriptions started each month in 2025?
-- question: Monthly subscription starts in 2025
-- question: New paid subscriptions per month during 2025
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-01-06
-- tags: subscriptions, new, starts, monthly, trend
SELECT date_trunc('month', started_at)::DATE AS month,
       count(*) AS new_subscriptions
FROM analytics.subscriptions
WHERE started_at >= DATE '2025-01-01' AND started_at < DATE '2026-01-01'
  AND user_id >= 100
GROUP BY month
ORDER BY month;
