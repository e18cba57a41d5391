-- refuse-if: SELECT 'usernames that differ only in letter case: ' || group_concat(username, ', ') || ' (rename all but one, e.g. with sqlite3, then start again)' FROM users GROUP BY lower(username) HAVING count(*) > 1
-- Usernames are unique whatever their letter case: "Alice" and "alice" are one account.
CREATE UNIQUE INDEX idx_users_username_nocase ON users(username COLLATE NOCASE);

-- The face distance of a failed attempt to the account it named: the lockout policy treats
-- close-but-wrong faces (someone resembling the owner) apart from far-off ones.
ALTER TABLE failed_login_attempts ADD COLUMN distance REAL;
-- Per account+client throttling looks failures up by the username tried and the client.
CREATE INDEX idx_failed_attempts_tried ON failed_login_attempts(username_tried COLLATE NOCASE);

-- Start-up reloads the sessions revoked within one access-token lifetime.
CREATE INDEX idx_refresh_tokens_revoked ON refresh_tokens(revoked_at);
