-- question: What was MRR each month in 2025?
-- question: Monthly recurring revenue by month for 2025
-- question: Revenue per month in 2025
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-01-06
-- tags: mrr, revenue, monthly, trend
SELECT date_trunc('month', payment_date)::DATE AS month,
       round(sum(amount_cents) / 100.0, 2) AS mrr_usd
FROM analytics.payments
WHERE status = 'succeeded'
  AND payment_date >= DATE '2025-01-01' AND payment_date < DATE '2026-01-01'
  AND user_id >= 100
GROUP BY month
ORDER BY month;
