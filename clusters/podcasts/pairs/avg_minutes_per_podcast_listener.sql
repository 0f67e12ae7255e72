-- question: How many minutes did the average podcast listener listen in 2025?
-- question: Average podcast minutes per listener in 2025
-- question: Mean podcast listening time per user for 2025
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-02-05
-- tags: minutes, listening time, average, listeners
SELECT round(sum(seconds_played) / 60.0 / count(DISTINCT user_id), 1) AS avg_minutes_per_listener
FROM analytics.podcast_streams
WHERE year(stream_date) = 2025
  AND seconds_played >= 60
  AND user_id >= 100;
