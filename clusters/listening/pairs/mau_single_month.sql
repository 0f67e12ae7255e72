-- question: What was MAU in October 2026?
-- question: How many monthly active users did we have in October 2026?
-- question: Number of people who streamed music in 2026-10
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-11-03
-- tags: mau, active users, listeners, month
SELECT count(DISTINCT user_id) AS monthly_active_users
FROM analytics.streams
WHERE stream_date >= DATE '2026-10-01' AND stream_date < DATE '2026-11-01'
  AND ms_played >= 30000
  AND user_id >= 100;
