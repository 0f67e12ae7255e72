-- question: How much did we refund each month in 2026?
-- question: Monthly refunds in dollars for 2026
-- question: Refunded amount per month during 2026
-- verified_by: sofia.moreno@example.com
-- verified_at: 2026-11-16
-- tags: refunds, monthly, payments
SELECT date_trunc('month', payment_date)::DATE AS month,
       count(*) AS refunds,
       round(sum(amount_cents) / 100.0, 2) AS refunded_usd
FROM analytics.payments
WHERE status = 'refunded'
  AND payment_date >= DATE '2026-01-01' AND payment_date < DATE '2027-01-01'
  AND user_id >= 100
GROUP BY month
ORDER BY month;
