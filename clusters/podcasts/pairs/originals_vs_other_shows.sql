-- question: How many listeners did Nordtone Originals have compared with other shows in 2026?
-- question: Exclusive vs non-exclusive podcast listeners in 2026
-- question: Listeners of our original shows versus everything else, 2026
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-11-18
-- tags: originals, exclusive, listeners, comparison
SELECT CASE WHEN sh.is_exclusive THEN 'Nordtone Originals' ELSE 'Other shows' END AS show_type,
       count(DISTINCT ps.user_id) AS listeners,
       round(sum(ps.seconds_played) / 3600.0, 1) AS hours_listened
FROM analytics.podcast_streams ps
JOIN analytics.podcast_shows sh ON sh.show_id = ps.show_id
WHERE year(ps.stream_date) = 2026
  AND ps.seconds_played >= 60
  AND ps.user_id >= 100
GROUP BY show_type
ORDER BY show_type;
