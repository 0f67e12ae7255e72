-- question: What is the skip rate by playback source in 2026?
-- question: Skip rate per source for 2026
-- question: How often do people skip songs from playlists, radio, search and so on in 2026?
-- verified_by: maja.lindqvist@example.com
-- verified_at: 2026-10-02
-- tags: skip rate, skips, source
SELECT source,
       count(*) AS plays,
       round(avg(CASE WHEN ms_played < 30000 THEN 1.0 ELSE 0.0 END), 4) AS skip_rate
FROM analytics.streams
WHERE year(stream_date) = 2026
  AND user_id >= 100
GROUP BY source
ORDER BY skip_rate DESC;
