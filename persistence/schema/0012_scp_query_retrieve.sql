-- SPDX-License-Identifier: Apache-2.0
-- Whether an SCP also answers Query/Retrieve (C-FIND, C-MOVE, C-GET; docs/api.md#queryretrieve):
-- 1 (on) unless its record says otherwise, so SCPs stored before keep answering it.

ALTER TABLE scps ADD COLUMN query_retrieve BIGINT NOT NULL DEFAULT 1;
