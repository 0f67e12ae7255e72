-- question: Total hours listened by country in 2025
-- question: How many hours of music did each market stream in 2025?
-- question: Listening hours per country for 2025
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-02-10
-- tags: hours, listening time, total, country
SELECT country_code,
       round(sum(ms_played) / 3600000.0, 1) AS hours_listened
FROM analytics.streams
WHERE year(stream_date) = 2025
  AND ms_played >= 30000
  AND user_id >= 100
GROUP BY country_code
ORDER BY hours_listened DESC;
