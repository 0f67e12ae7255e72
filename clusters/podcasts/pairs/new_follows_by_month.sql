-- question: How many new show follows did we get each month in 2026?
-- question: Monthly new podcast follows in 2026
-- question: Follows of podcast shows per month during 2026
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-11-06
-- tags: follows, followers, monthly, trend
SELECT date_trunc('month', followed_at)::DATE AS month,
       count(*) AS new_follows
FROM analytics.show_follows
WHERE followed_at >= TIMESTAMP '2026-01-01' AND followed_at < TIMESTAMP '2027-01-01'
  AND user_id >= 100
GROUP BY month
ORDER BY month;
