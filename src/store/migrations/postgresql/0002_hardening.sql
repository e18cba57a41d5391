-- refuse-if: SELECT 'usernames that differ only in letter case: ' || string_agg(username, ', ') || ' (rename all but one, e.g. with psql, then start again)' FROM users GROUP BY lower(username) HAVING count(*) > 1
-- Usernames are unique whatever their letter case: "Alice" and "alice" are one account.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));

-- The face distance of a failed attempt to the account it named: the lockout policy treats
-- close-but-wrong faces (someone resembling the owner) apart from far-off ones.
ALTER TABLE failed_login_attempts ADD COLUMN distance double precision;
-- Per account+client throttling looks failures up by the username tried and the client.
CREATE INDEX failed_attempts_tried_lower_idx ON failed_login_attempts (lower(username_tried));

-- Start-up reloads the sessions revoked within one access-token lifetime.
CREATE INDEX refresh_tokens_revoked_idx ON refresh_tokens (revoked_at);
