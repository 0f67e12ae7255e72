-- question: What was our total revenue in 2025?
-- question: Total revenue for 2025 in dollars
-- question: How much money did subscriptions bring in during 2025?
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-01-06
-- tags: revenue, total, year
SELECT round(sum(amount_cents) / 100.0, 2) AS revenue_usd
FROM analytics.payments
WHERE status = 'succeeded'
  AND year(payment_date) = 2025
  AND user_id >= 100;
