-- SPDX-License-Identifier: Apache-2.0
-- Watched directories (docs/api.md#directory-watches): files appearing under `path` are imported.

CREATE TABLE directory_watches (
  id ID_PK,
  name TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE
);
