-- question: What were the 10 most streamed songs in 2026?
-- question: Top 10 tracks by streams in 2026
-- question: Which tracks had the most streams in 2026?
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-11-18
-- tags: tracks, songs, top, ranking, streams, year
SELECT t.track_id,
       t.track_name,
       a.artist_name,
       count(*) AS streams
FROM analytics.streams s
JOIN analytics.tracks t ON t.track_id = s.track_id
JOIN analytics.artists a ON a.artist_id = t.artist_id
WHERE s.stream_date >= DATE '2026-01-01' AND s.stream_date < DATE '2027-01-01'
  AND s.ms_played >= 30000
  AND s.user_id >= 100
GROUP BY t.track_id, t.track_name, a.artist_name
ORDER BY streams DESC, t.track_id
LIMIT 10;
