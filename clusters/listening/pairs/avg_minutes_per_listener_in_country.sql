-- question: How many minutes did the average listener in Brazil listen in 2025?
-- question: Average listening minutes per listener in BR for 2025
-- question: Mean minutes of music per user in Brazil in 2025
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-02-10
-- tags: minutes, listening time, average, listeners, country
SELECT round(sum(ms_played) / 60000.0 / count(DISTINCT user_id), 1) AS avg_minutes_per_listener
FROM analytics.streams
WHERE country_code = 'BR'
  AND year(stream_date) = 2025
  AND ms_played >= 30000
  AND user_id >= 100;
