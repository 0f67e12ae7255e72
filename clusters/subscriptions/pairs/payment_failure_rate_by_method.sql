-- question: What is the payment failure rate by payment method in 2025?
-- question: Share of declined charges per payment method for 2025
-- question: Which payment methods fail most often in 2025?
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-02-12
-- tags: payments, failed, failure rate, payment method
SELECT payment_method,
       count(*) AS charge_attempts,
       round(100.0 * avg(CASE WHEN status = 'failed' THEN 1.0 ELSE 0.0 END), 2) AS failure_rate_pct
FROM analytics.payments
WHERE year(payment_date) = 2025
  AND user_id >= 100
GROUP BY payment_method
ORDER BY failure_rate_pct DESC;
