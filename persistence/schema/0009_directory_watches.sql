-- SPDX-License-Identifier: Apache-2.0
-- Watched directories (spec part B §9): files appearing under `path` are imported.

CREATE TABLE directory_watches (
  id ID_PK,
  name TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE
);
