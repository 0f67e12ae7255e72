-- question: How many streams were there on 1 November 2026?
-- question: Total streams on 2026-11-01
-- question: Stream count for the day 2026-11-01
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-11-04
-- tags: streams, daily, day
SELECT count(*) AS streams
FROM analytics.streams
WHERE stream_date = DATE '2026-11-01'
  AND ms_played >= 30000
  AND user_id >= 100;
