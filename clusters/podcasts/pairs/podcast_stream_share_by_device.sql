-- question: What share of podcast streams came from each device in 2025?
-- question: Podcast device split for 2025
-- question: Percentage of podcast listening by platform in 2025
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-02-03
-- tags: device, platform, share, streams
SELECT device_type,
       count(*) AS podcast_streams,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct_of_streams
FROM analytics.podcast_streams
WHERE year(stream_date) = 2025
  AND seconds_played >= 60
  AND user_id >= 100
GROUP BY device_type
ORDER BY podcast_streams DESC;
