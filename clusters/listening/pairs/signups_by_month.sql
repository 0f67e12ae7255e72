-- question: How many new users signed up each month in 2025?
-- question: Monthly signups in 2025
-- question: New accounts created per month during 2025
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-01-08
-- tags: signups, new users, growth, monthly
SELECT date_trunc('month', signup_date)::DATE AS month,
       count(*) AS signups
FROM analytics.users
WHERE signup_date >= DATE '2025-01-01' AND signup_date < DATE '2026-01-01'
  AND user_id >= 100
GROUP BY month
ORDER BY month;
