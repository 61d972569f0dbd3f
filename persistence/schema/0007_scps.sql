-- SPDX-License-Identifier: Apache-2.0
-- DICOM C-STORE receivers (docs/api.md#scps; table ScpData in Slicebox 2.1.1). Every stored SCP is
-- started when the node starts.

CREATE TABLE scps (
  id ID_PK,
  name TEXT NOT NULL UNIQUE,
  ae_title TEXT NOT NULL,
  port BIGINT NOT NULL
);
