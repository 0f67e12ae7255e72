-- question: What was the average payment amount in Mexico in 2025?
-- question: Average charge per successful payment in MX for 2025
-- question: Mean amount paid per transaction in Mexico in 2025
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-02-12
-- tags: payments, average, amount, country
SELECT round(avg(amount_cents) / 100.0, 2) AS avg_payment_usd
FROM analytics.payments
WHERE status = 'succeeded'
  AND billing_country = 'MX'
  AND year(payment_date) = 2025
  AND user_id >= 100;
