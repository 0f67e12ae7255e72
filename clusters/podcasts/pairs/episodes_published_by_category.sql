-- question: How many episodes were published in each category in 2025?
-- question: Episodes released per podcast category in 2025
-- question: Number of new podcast episodes by category for 2025
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-01-22
-- tags: episodes, category, catalogue, publishing
SELECT sh.category,
       count(*) AS episodes_published
FROM analytics.podcast_episodes e
JOIN analytics.podcast_shows sh ON sh.show_id = e.show_id
WHERE e.published_date >= DATE '2025-01-01' AND e.published_date < DATE '2026-01-01'
GROUP BY sh.category
ORDER BY episodes_published DESC;
