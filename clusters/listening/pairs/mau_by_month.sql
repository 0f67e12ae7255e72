-- question: How many monthly active users did we have each month in 2025?
-- question: MAU by month for 2025
-- question: Monthly listeners trend over 2025
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-01-08
-- tags: mau, active users, listeners, monthly, trend
SELECT date_trunc('month', stream_date)::DATE AS month,
       count(DISTINCT user_id) AS monthly_active_users
FROM analytics.streams
WHERE stream_date >= DATE '2025-01-01' AND stream_date < DATE '2026-01-01'
  AND ms_played >= 30000
  AND user_id >= 100
GROUP BY month
ORDER BY month;
