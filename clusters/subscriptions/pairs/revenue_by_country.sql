-- question: What was revenue by country in 2025?
-- question: Revenue per market for 2025
-- question: Break down 2025 revenue by billing country
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-01-06
-- tags: revenue, country, market, breakdown
SELECT billing_country,
       round(sum(amount_cents) / 100.0, 2) AS revenue_usd
FROM analytics.payments
WHERE status = 'succeeded'
  AND year(payment_date) = 2025
  AND user_id >= 100
GROUP BY billing_country
ORDER BY revenue_usd DESC;
