-- question: How many podcast hours were listened to in each show language in 2025?
-- question: Total podcast hours by language for 2025
-- question: Podcast listening hours split by show language, 2025
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-02-05
-- tags: hours, listening time, total, language
SELECT sh.language_code,
       round(sum(ps.seconds_played) / 3600.0, 1) AS hours_listened
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE year(ps.stream_date) = 2025
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100
GROUP BY sh.language_code
ORDER BY hours_listened DESC;
