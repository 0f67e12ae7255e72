-- question: How much revenue did we make in Brazil in 2025?
-- question: Total 2025 revenue from BR
-- question: Brazil revenue for the year 2025
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-01-14
-- tags: revenue, country, year
SELECT round(sum(amount_cents) / 100.0, 2) AS revenue_usd
FROM analytics.payments
WHERE status = 'succeeded'
  AND billing_country = 'BR'
  AND payment_date >= DATE '2025-01-01' AND payment_date < DATE '2026-01-01'
  AND user_id >= 100;
