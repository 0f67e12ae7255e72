-- question: How many new podcast shows launched each year?
-- question: Number of shows launched per year
-- question: Podcast show launches by year
-- verified_by: jonas.berg@example.com
-- verified_at: 2026-06-30
-- tags: shows, launches, catalogue, yearly
SELECT year(launched_on) AS launch_year,
       count(*) AS shows_launched
FROM analytics.podcast_shows
GROUP BY launch_year
ORDER BY launch_year;
