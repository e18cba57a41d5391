-- Initial schema: accounts, face templates, failed login attempts, refresh tokens.
-- Times are ISO-8601 UTC text ("2026-01-01T00:00:00.000Z"), which sorts chronologically.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,               -- UUID v4
  username      TEXT NOT NULL UNIQUE,
  email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password_hash TEXT NOT NULL,
  is_active     INTEGER NOT NULL DEFAULT 1,
  is_locked     INTEGER NOT NULL DEFAULT 0,
  locked_until  TEXT,
  is_admin      INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  last_login_at TEXT
);

CREATE TABLE face_templates (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  embedding     BLOB NOT NULL,                  -- 128 little-endian float32
  model_version TEXT NOT NULL,
  quality       REAL,
  created_at    TEXT NOT NULL
);
CREATE INDEX idx_face_templates_user ON face_templates(user_id);

CREATE TABLE failed_login_attempts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id          TEXT REFERENCES users(id) ON DELETE CASCADE,
  username_tried   TEXT,
  ip               TEXT,
  user_agent       TEXT,
  reason           TEXT NOT NULL,
  confidence_score REAL,
  liveness_score   REAL,
  created_at       TEXT NOT NULL
);
CREATE INDEX idx_failed_attempts_ip_time ON failed_login_attempts(ip, created_at);
CREATE INDEX idx_failed_attempts_user_time ON failed_login_attempts(user_id, created_at);
CREATE INDEX idx_failed_attempts_time ON failed_login_attempts(created_at);

-- Successful sign-ins, so the admin summary can report success rates.
CREATE TABLE login_successes (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ip         TEXT,
  method     TEXT NOT NULL,                     -- login | verify
  created_at TEXT NOT NULL
);
CREATE INDEX idx_login_successes_time ON login_successes(created_at);

CREATE TABLE refresh_tokens (
  jti         TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id   TEXT NOT NULL,
  token_hash  TEXT NOT NULL,                    -- SHA-256 of the token, never the token
  expires_at  TEXT NOT NULL,
  revoked_at  TEXT,
  replaced_by TEXT,
  created_at  TEXT NOT NULL
);
CREATE INDEX idx_refresh_tokens_user ON refresh_tokens(user_id);
CREATE INDEX idx_refresh_tokens_family ON refresh_tokens(family_id);
