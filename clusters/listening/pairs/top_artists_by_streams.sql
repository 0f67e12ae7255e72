-- question: Who were the top 10 artists by streams in 2025?
-- question: Most streamed artists of 2025
-- question: Top 10 artists in 2025 ranked by number of streams
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-01-15
-- tags: artists, top, ranking, streams, year
SELECT a.artist_name,
       count(*) AS streams
FROM analytics.streams s
JOIN analytics.tracks t ON t.track_id = s.track_id
JOIN analytics.artists a ON a.artist_id = t.artist_id
WHERE year(s.stream_date) = 2025
  AND s.ms_played >= 30000
  AND s.user_id >= 100
GROUP BY a.artist_name
ORDER BY streams DESC, a.artist_name
LIMIT 10;
