-- question: How many subscriptions churned each month in 2025?
-- question: Monthly cancellations in 2025
-- question: Number of subscriptions that ended per month during 2025
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-01-06
-- tags: churn, cancellations, monthly, count
SELECT date_trunc('month', ended_at)::DATE AS month,
       count(*) AS churned_subscriptions
FROM analytics.subscriptions
WHERE ended_at >= DATE '2025-01-01' AND ended_at < DATE '2026-01-01'
  AND user_id >= 100
GROUP BY month
ORDER BY month;
