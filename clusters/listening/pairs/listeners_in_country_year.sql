-- question: How many unique listeners did we have in Germany in 2025?
-- question: Distinct users who streamed music in DE in 2025
-- question: Number of active listeners in Germany for the year 2025
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-01-12
-- tags: listeners, active users, country, year
SELECT count(DISTINCT user_id) AS listeners
FROM analytics.streams
WHERE country_code = 'DE'
  AND stream_date >= DATE '2025-01-01' AND stream_date < DATE '2026-01-01'
  AND ms_played >= 30000
  AND user_id >= 100;
