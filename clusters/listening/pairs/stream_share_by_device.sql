-- question: What share of streams came from each device type in 2025?
-- question: Device split of music streams in 2025
-- question: Percentage of streams by platform in 2025
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-02-03
-- tags: device, platform, share, streams
SELECT device_type,
       count(*) AS streams,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS pct_of_streams
FROM analytics.streams
WHERE stream_date >= DATE '2025-01-01' AND stream_date < DATE '2026-01-01'
  AND ms_played >= 30000
  AND user_id >= 100
GROUP BY device_type
ORDER BY streams DESC;
