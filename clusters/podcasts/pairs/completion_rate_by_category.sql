-- question: What is the episode completion rate by category in 2026?
-- question: Completion rate per podcast category for 2026
-- question: Which podcast categories do listeners finish most often in 2026?
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-10-14
-- tags: completion, category, engagement
SELECT sh.category,
       count(*) AS podcast_streams,
       round(avg(CASE WHEN ps.is_completed THEN 1.0 ELSE 0.0 END), 4) AS completion_rate
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE year(ps.stream_date) = 2026
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100
GROUP BY sh.category
ORDER BY completion_rate DESC;
