-- SPDX-License-Identifier: Apache-2.0
-- Tag filtering (docs/api.md#filtering): filters, their tag trees, and which sources they apply to.
-- Deleting a filter removes its trees and associations; names in associations are stored as
-- sent (denormalised, never updated).

CREATE TABLE tag_filters (
  id ID_PK,
  name TEXT NOT NULL,
  tag_filter_type TEXT NOT NULL CHECK (tag_filter_type IN ('WHITELIST', 'BLACKLIST'))
);

-- tag_path is the string form of a tag tree (docs/api.md#tag-paths), e.g.
-- `(0008,9215)[*].PatientID`.
CREATE TABLE tag_filter_tag_paths (
  id ID_PK,
  tag_filter_id BIGINT NOT NULL REFERENCES tag_filters (id) ON DELETE CASCADE,
  tag_path TEXT NOT NULL
);

CREATE INDEX tag_filter_tag_paths_filter ON tag_filter_tag_paths (tag_filter_id);

CREATE TABLE source_tag_filters (
  id ID_PK,
  source_type TEXT NOT NULL,
  source_name TEXT NOT NULL,
  source_id BIGINT NOT NULL,
  tag_filter_id BIGINT NOT NULL REFERENCES tag_filters (id) ON DELETE CASCADE,
  tag_filter_name TEXT NOT NULL
);

CREATE INDEX source_tag_filters_source ON source_tag_filters (source_type, source_id);

CREATE INDEX source_tag_filters_filter ON source_tag_filters (tag_filter_id);
