-- question: How many streams were there in Sweden in 2025?
-- question: Total music streams in SE for 2025
-- question: Count of music streams from Sweden during 2025
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-01-12
-- tags: streams, country, year
SELECT count(*) AS streams
FROM analytics.streams
WHERE country_code = 'SE'
  AND year(stream_date) = 2025
  AND ms_played >= 30000
  AND user_id >= 100;
