-- question: How many podcast listeners did we have in Sweden in October 2026?
-- question: Monthly podcast listeners in SE for October 2026
-- question: Unique podcast listeners in Sweden, 2026-10
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-11-04
-- tags: listeners, country, month
SELECT count(DISTINCT user_id) AS podcast_listeners
FROM analytics.podcast_streams
WHERE country_code = 'SE'
  AND stream_date >= DATE '2026-10-01' AND stream_date < DATE '2026-11-01'
  AND seconds_played >= 60
  AND user_id >= 100;
