-- question: How many users do we have in the United States?
-- question: Current number of registered accounts in the US
-- question: Size of our user base in the United States
-- verified_by: diego.reyes@example.com
-- verified_at: 2026-11-20
-- tags: users, user base, country
SELECT count(*) AS users
FROM analytics.users
WHERE country_code = 'US'
  AND NOT is_deleted
  AND user_id >= 100;
