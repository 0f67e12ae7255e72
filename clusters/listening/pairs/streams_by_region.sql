-- question: How many streams did each region have in 2026?
-- question: Streams by region for 2026
-- question: Break down 2026 music streams by world region
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-11-12
-- tags: streams, region, country
SELECT c.region,
       count(*) AS streams
FROM analytics.streams s
JOIN analytics.countries c ON c.country_code = s.country_code
WHERE year(s.stream_date) = 2026
  AND s.ms_played >= 30000
  AND s.user_id >= 100
GROUP BY c.region
ORDER BY streams DESC;
