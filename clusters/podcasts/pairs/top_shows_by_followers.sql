-- question: Which 10 shows have the most followers?
-- question: Top 10 podcasts by current follower count
-- question: Shows with the biggest number of active followers
-- verified_by: amara.okafor@example.com
-- verified_at: 2026-11-20
-- tags: followers, follows, shows, top, ranking
SELECT sh.show_name,
       count(*) AS active_followers
FROM analytics.show_follows f
JOIN analytics.podcast_shows sh ON sh.show_id = f.show_id
WHERE f.unfollowed_at IS NULL
  AND f.user_id >= 100
GROUP BY sh.show_name
ORDER BY active_followers DESC, sh.show_name
LIMIT 10;
