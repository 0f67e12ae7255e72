-- question: How much revenue did each plan bring in during 2026?
-- question: Revenue by plan for 2026
-- question: 2026 revenue split by subscription plan
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-11-16
-- tags: revenue, plan, total, breakdown
SELECT pl.plan_name,
       round(sum(p.amount_cents) / 100.0, 2) AS revenue_usd
FROM analytics.payments p
JOIN analytics.plans pl ON pl.plan_id = p.plan_id
WHERE p.status = 'succeeded'
  AND p.payment_date >= DATE '2026-01-01' AND p.payment_date < DATE '2027-01-01'
  AND p.user_id >= 100
GROUP BY pl.plan_name
ORDER BY revenue_usd DESC;
