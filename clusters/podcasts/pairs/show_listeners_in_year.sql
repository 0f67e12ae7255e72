-- question: How many listeners did Midnight Margin have in 2025?
-- question: Unique listeners of the show Midnight Margin in 2025
-- question: Audience size of Midnight Margin for 2025
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-01-22
-- tags: show, listeners, year
SELECT count(DISTINCT ps.user_id) AS listeners
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE sh.show_name = 'Midnight Margin'
  AND ps.stream_date >= DATE '2025-01-01' AND ps.stream_date < DATE '2026-01-01'
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100;
