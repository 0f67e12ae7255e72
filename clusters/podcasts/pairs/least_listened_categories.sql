-- question: Which 3 podcast categories had the fewest listeners in 2025?
-- question: Bottom 3 podcast categories by listeners for 2025
-- question: Least listened podcast categories in 2025
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-01-22
-- tags: category, bottom, ranking, listeners
SELECT sh.category,
       count(DISTINCT ps.user_id) AS listeners
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE year(ps.stream_date) = 2025
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100
GROUP BY sh.category
ORDER BY listeners ASC, sh.category
LIMIT 3;
