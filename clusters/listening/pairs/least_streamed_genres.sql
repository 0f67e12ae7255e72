-- question: Which 3 genres were streamed the least in 2025?
-- question: Bottom 3 genres by streams in 2025
-- question: Least popular music genres of 2025
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-01-20
-- tags: genre, bottom, ranking, streams, year
SELECT t.genre,
       count(*) AS streams
FROM analytics.streams s
JOIN analytics.tracks t ON t.track_id = s.track_id
WHERE year(s.stream_date) = 2025
  AND s.ms_played >= 30000
  AND s.user_id >= 100
GROUP BY t.genre
ORDER BY streams ASC, t.genre
LIMIT 3;
