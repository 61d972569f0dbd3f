-- SPDX-License-Identifier: Apache-2.0
-- SCUs: the DICOM peers images can be sent to with C-STORE (docs/api.md#scus). The AE title is
-- stored as given (untrimmed); no two SCUs share a name, nor a host and port.

CREATE TABLE scus (
  id ID_PK,
  name TEXT NOT NULL UNIQUE,
  ae_title TEXT NOT NULL,
  host TEXT NOT NULL,
  port BIGINT NOT NULL,
  UNIQUE (host, port)
);
