-- SPDX-License-Identifier: Apache-2.0
-- Image files whose rows were committed while the files were still being flushed: ingest flushes
-- a new file and commits its row side by side, and acknowledges the image once both are done
-- (docs/operations.md#durability). A row goes once its file is flushed. At start, a file still
-- listed here is checked: whole, it is flushed and kept; missing or short (a power cut), its image
-- goes back to the file it replaced (`previous_key`, '' if none) or is removed. Never
-- acknowledged, such an image is not lost.
CREATE TABLE unflushed_files (
  id ID_PK,
  storage_key TEXT NOT NULL,
  image_id BIGINT NOT NULL,
  previous_key TEXT NOT NULL,
  bytes BIGINT NOT NULL
);

CREATE INDEX unflushed_files_key ON unflushed_files (storage_key);
