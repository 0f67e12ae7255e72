-- question: What was ARPPU by plan in 2025?
-- question: Average revenue per paying user for each plan in 2025
-- question: How much did a paying user bring in on average per plan in 2025?
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-01-20
-- tags: arppu, average, revenue, plan
SELECT pl.plan_name,
       count(DISTINCT p.user_id) AS paying_users,
       round(sum(p.amount_cents) / 100.0 / count(DISTINCT p.user_id), 2) AS arppu_usd
FROM analytics.payments p
JOIN analytics.plans pl ON pl.plan_id = p.plan_id
WHERE p.status = 'succeeded'
  AND year(p.payment_date) = 2025
  AND p.user_id >= 100
GROUP BY pl.plan_name
ORDER BY arppu_usd DESC;
