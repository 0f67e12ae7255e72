-- question: What are the top 5 genres in Mexico in 2026?
-- question: Most streamed music genres in MX in 2026
-- question: Top 5 genres by streams for Mexico, 2026
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-11-10
-- tags: genre, top, ranking, country, streams
SELECT t.genre,
       count(*) AS streams
FROM analytics.streams s
JOIN analytics.tracks t ON t.track_id = s.track_id
WHERE s.country_code = 'MX'
  AND year(s.stream_date) = 2026
  AND s.ms_played >= 30000
  AND s.user_id >= 100
GROUP BY t.genre
ORDER BY streams DESC, t.genre
LIMIT 5;
