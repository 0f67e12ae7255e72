-- question: How many active subscribers do we have on each plan?
-- question: Current paying subscribers by plan
-- question: Number of active subscriptions per plan today
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-11-20
-- tags: subscribers, active, plan, breakdown
SELECT p.plan_name,
       count(*) AS active_subscribers
FROM analytics.subscriptions s
JOIN analytics.plans p ON p.plan_id = s.plan_id
WHERE s.status = 'active'
  AND s.user_id >= 100
GROUP BY p.plan_name
ORDER BY active_subscribers DESC;
