-- question: What were the most common cancellation reasons in 2026?
-- question: Why did subscribers cancel in 2026?
-- question: Churn reasons ranked for 2026
-- verified_by: viktor.holm@example.com
-- verified_at: 2026-11-16
-- tags: churn, cancel reason, cancellations, ranking
SELECT cancel_reason,
       count(*) AS subscriptions_ended
FROM analytics.subscriptions
WHERE year(ended_at) = 2026
  AND user_id >= 100
GROUP BY cancel_reason
ORDER BY subscriptions_ended DESC, cancel_reason;
