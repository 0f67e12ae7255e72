-- question: How many streams did The Violet Moons get in 2025?
-- question: Streams for the artist The Violet Moons in 2025
-- question: Total 2025 streams of The Violet Moons
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-01-15
-- tags: artist, streams, year
SELECT count(*) AS streams
FROM analytics.streams s
JOIN analytics.tracks t ON t.track_id = s.track_id
JOIN analytics.artists a ON a.artist_id = t.artist_id
WHERE a.artist_name = 'The Violet Moons'
  AND year(s.stream_date) = 2025
  AND s.ms_played >= 30000
  AND s.user_id >= 100;
