-- Usernames that look alike ("alice", "aIice", "alice.", "al1ce") are one account: a new
-- username is refused when its skeleton (store/username_skeleton.h, the same expression)
-- matches an existing one's. Existing look-alikes stay; the index makes the check cheap.
CREATE INDEX idx_users_username_skeleton ON users(replace(replace(replace(replace(replace(replace(replace(replace(lower(username), '.', ''), '_', ''), '-', ''), 'rn', 'm'), 'vv', 'w'), '1', 'l'), 'i', 'l'), '0', 'o'));
