-- question: What is the average episode length in minutes for each podcast category?
-- question: Average episode duration by category
-- question: How long are episodes on average per category?
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-06-30
-- tags: episodes, duration, length, average, category, catalogue
SELECT sh.category,
       round(avg(e.duration_seconds) / 60.0, 1) AS avg_episode_minutes
FROM analytics.podcast_episodes e
JOIN analytics.podcast_shows sh ON sh.show_id = e.show_id
WHERE NOT e.is_removed
GROUP BY sh.category
ORDER BY avg_episode_minutes DESC;
