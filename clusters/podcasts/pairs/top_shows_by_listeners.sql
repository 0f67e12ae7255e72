-- question: What were the top 10 podcast shows by listeners in 2026?
-- question: Most listened-to podcasts of 2026 by unique listeners
-- question: Top 10 shows in 2026 ranked by audience
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-11-18
-- tags: shows, top, ranking, listeners, year
SELECT sh.show_name,
       count(DISTINCT ps.user_id) AS listeners
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE year(ps.stream_date) = 2026
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100
GROUP BY sh.show_name
ORDER BY listeners DESC, sh.show_name
LIMIT 10;
