-- question: What was the monthly churn rate in 2025?
-- question: Subscriber churn rate by month for 2025
-- question: Percentage of subscriptions lost each month in 2025
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-01-14
-- tags: churn, churn rate, monthly, rate
WITH months AS (
    SELECT CAST(range AS DATE) AS month_start
    FROM range(DATE '2025-01-01', DATE '2026-01-01', INTERVAL 1 MONTH)
),
subs AS (
    SELECT started_at, ended_at
    FROM analytics.subscriptions
    WHERE user_id >= 100
)
SELECT m.month_start AS month,
       count(*) FILTER (WHERE s.started_at <= m.month_start
                          AND (s.ended_at IS NULL OR s.ended_at > m.month_start)) AS active_at_start,
       count(*) FILTER (WHERE s.ended_at >= m.month_start
                          AND s.ended_at < m.month_start + INTERVAL 1 MONTH) AS churned,
       round(100.0 * count(*) FILTER (WHERE s.ended_at >= m.month_start
                                        AND s.ended_at < m.month_start + INTERVAL 1 MONTH)
             / count(*) FILTER (WHERE s.started_at <= m.month_start
                                  AND (s.ended_at IS NULL OR s.ended_at > m.month_start)), 2)
         AS churn_rate_pct
FROM months m
CROSS JOIN subs s
GROUP BY m.month_start
ORDER BY m.month_start;
