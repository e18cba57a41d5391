-- Initial PostgreSQL schema: the same tables as the SQLite dialect, with native types
-- (timestamptz, boolean) and face templates as pgvector vectors under an HNSW index.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE users (
  id            text PRIMARY KEY,                -- UUID v4
  username      text NOT NULL UNIQUE,
  email         text NOT NULL,
  password_hash text NOT NULL,
  is_active     boolean NOT NULL DEFAULT true,
  is_locked     boolean NOT NULL DEFAULT false,
  locked_until  timestamptz,
  is_admin      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  last_login_at timestamptz
);
-- SQLite compares emails with COLLATE NOCASE; here a unique index on lower(email) does it.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE face_templates (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  embedding     vector(128) NOT NULL,
  model_version text NOT NULL,
  quality       double precision,
  created_at    timestamptz NOT NULL
);
CREATE INDEX face_templates_user_idx ON face_templates(user_id);
-- L2 (Euclidean) operator class: FACE_RECOGNITION_TOLERANCE is a Euclidean distance between
-- dlib embeddings, so `<->` orders candidates exactly as the threshold compares them.
-- m/ef_construction are pgvector's defaults, spelled out because recall was measured at them.
CREATE INDEX face_templates_embedding_hnsw ON face_templates
  USING hnsw (embedding vector_l2_ops) WITH (m = 16, ef_construction = 64);

CREATE TABLE failed_login_attempts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id          text REFERENCES users(id) ON DELETE CASCADE,
  username_tried   text,
  ip               text,
  user_agent       text,
  reason           text NOT NULL,
  confidence_score double precision,
  liveness_score   double precision,
  created_at       timestamptz NOT NULL
);
CREATE INDEX failed_attempts_ip_time_idx ON failed_login_attempts(ip, created_at);
CREATE INDEX failed_attempts_user_time_idx ON failed_login_attempts(user_id, created_at);
CREATE INDEX failed_attempts_time_idx ON failed_login_attempts(created_at);

CREATE TABLE login_successes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ip         text,
  method     text NOT NULL,                      -- login | verify
  created_at timestamptz NOT NULL
);
CREATE INDEX login_successes_time_idx ON login_successes(created_at);

CREATE TABLE refresh_tokens (
  jti         text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  family_id   text NOT NULL,
  token_hash  text NOT NULL,                     -- SHA-256 of the token, never the token
  expires_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  replaced_by text,
  created_at  timestamptz NOT NULL
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens(user_id);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens(family_id);
