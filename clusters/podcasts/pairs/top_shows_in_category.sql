-- question: What were the top 5 true crime podcasts by streams in 2025?
-- question: Most streamed true crime shows in 2025
-- question: Top 5 shows in the true crime category for 2025
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-01-22
-- tags: shows, category, top, ranking, streams
SELECT sh.show_name,
       count(*) AS podcast_streams
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE sh.category = 'true crime'
  AND ps.stream_date >= DATE '2025-01-01' AND ps.stream_date < DATE '2026-01-01'
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100
GROUP BY sh.show_name
ORDER BY podcast_streams DESC, sh.show_name
LIMIT 5;
