-- SPDX-License-Identifier: Apache-2.0
-- What one node of a cluster leaves for another (docs/operations.md#running-a-cluster).

-- Export sets (POST /api/images/export): created on one node, downloaded through any
-- (GET /api/images/export?id=) until export.lifetime_seconds after `created` (epoch ms).
CREATE TABLE export_sets (
  id ID_PK,
  created BIGINT NOT NULL
);

CREATE INDEX export_sets_created ON export_sets (created);

-- The images of a set in the order they were given.
CREATE TABLE export_set_images (
  export_set_id BIGINT NOT NULL REFERENCES export_sets (id) ON DELETE CASCADE,
  position BIGINT NOT NULL,
  image_id BIGINT NOT NULL,
  PRIMARY KEY (export_set_id, position)
);

-- Series waiting for the series-type labeller (docs/api.md#series-types), which runs on the
-- leader only: any node adds rows (an image added, a rule changed), the leader removes a row in
-- the transaction that writes its series' links. A rule change adds a row for every series even
-- if one is waiting, so that rows taken before the change cannot hide it. No foreign key: a
-- series deleted meanwhile is simply left without links.
CREATE TABLE series_type_pending (
  id ID_PK,
  series_id BIGINT NOT NULL
);

CREATE INDEX series_type_pending_series ON series_type_pending (series_id);

-- When a POLL box's remote last polled or acknowledged (epoch ms), through whichever node: the
-- leader marks it offline once this is older than box.offline_after (docs/federation.md).
ALTER TABLE boxes ADD COLUMN last_contact BIGINT NOT NULL DEFAULT 0;
