-- SPDX-License-Identifier: Apache-2.0
-- Import sessions (docs/api.md#import-sessions) and the images each one brought in. The links have
-- no foreign key to images: deleting an image leaves its link, which listings skip (as Slicebox
-- 2.1.1 does).

CREATE TABLE import_sessions (
  id ID_PK,
  name TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL,
  user_name TEXT NOT NULL,
  files_imported BIGINT NOT NULL DEFAULT 0,
  files_added BIGINT NOT NULL DEFAULT 0,
  files_rejected BIGINT NOT NULL DEFAULT 0,
  created BIGINT NOT NULL DEFAULT 0,
  last_updated BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE import_session_images (
  id ID_PK,
  import_session_id BIGINT NOT NULL REFERENCES import_sessions (id) ON DELETE CASCADE,
  image_id BIGINT NOT NULL,
  UNIQUE (import_session_id, image_id)
);
