-- question: How many premium subscribers did we have on 31 December 2025?
-- question: Premium subscriber count at the end of 2025
-- question: Number of users on the premium plan on 2025-12-31
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-01-14
-- tags: subscribers, plan, point in time
SELECT count(DISTINCT s.user_id) AS subscribers
FROM analytics.subscriptions s
JOIN analytics.plans p ON p.plan_id = s.plan_id
WHERE p.plan_name = 'premium'
  AND s.started_at <= DATE '2025-12-31'
  AND (s.ended_at IS NULL OR s.ended_at > DATE '2025-12-31')
  AND s.user_id >= 100;
