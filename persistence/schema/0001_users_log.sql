-- SPDX-License-Identifier: Apache-2.0
-- Users with their login sessions, and the node's event log.
-- ID_PK is replaced per backend by an auto-increment int64 primary key.

CREATE TABLE users (
  id ID_PK,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  password_hash TEXT NOT NULL
);

CREATE TABLE api_sessions (
  id ID_PK,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  updated BIGINT NOT NULL,
  UNIQUE (token, ip, user_agent)
);

CREATE INDEX api_sessions_user_ip_agent ON api_sessions (user_id, ip, user_agent);

CREATE INDEX api_sessions_updated ON api_sessions (updated);

CREATE TABLE log_entries (
  id ID_PK,
  created BIGINT NOT NULL,
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  message TEXT NOT NULL
);

CREATE INDEX log_entries_created_id ON log_entries (created, id);

CREATE INDEX log_entries_subject ON log_entries (subject);

CREATE INDEX log_entries_type ON log_entries (type);
