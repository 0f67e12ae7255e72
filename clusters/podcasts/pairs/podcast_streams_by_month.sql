-- question: How many podcast streams did we have each month in 2025?
-- question: Podcast streams per month in 2025
-- question: Monthly podcast stream volume for 2025
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-01-09
-- tags: streams, monthly, trend
SELECT date_trunc('month', stream_date)::DATE AS month,
       count(*) AS podcast_streams
FROM analytics.podcast_streams
WHERE stream_date >= DATE '2025-01-01' AND stream_date < DATE '2026-01-01'
  AND seconds_played >= 60
  AND user_id >= 100
GROUP BY month
ORDER BY month;
