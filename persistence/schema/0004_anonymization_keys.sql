-- SPDX-License-Identifier: Apache-2.0
-- Anonymization keys (docs/api.md#anonymization-keys): one row per anonymized image with the real
-- and anonymous values of the five identifying attributes, plus the other recorded values of that
-- image. Keys reference the source image by id only (no foreign key: they outlive metadata rows).

CREATE TABLE anonymization_keys (
  id ID_PK,
  created BIGINT NOT NULL DEFAULT 0,
  image_id BIGINT NOT NULL,
  patient_name TEXT NOT NULL,
  anon_patient_name TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  anon_patient_id TEXT NOT NULL,
  study_instance_uid TEXT NOT NULL,
  anon_study_instance_uid TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL,
  anon_series_instance_uid TEXT NOT NULL,
  sop_instance_uid TEXT NOT NULL,
  anon_sop_instance_uid TEXT NOT NULL
);

CREATE INDEX anonymization_keys_image_id ON anonymization_keys (image_id);

CREATE INDEX anonymization_keys_patient_name ON anonymization_keys (patient_name);

CREATE INDEX anonymization_keys_anon_patient_name ON anonymization_keys (anon_patient_name);

CREATE INDEX anonymization_keys_patient_id ON anonymization_keys (patient_id);

CREATE INDEX anonymization_keys_anon_patient_id ON anonymization_keys (anon_patient_id);

CREATE INDEX anonymization_keys_study_instance_uid ON anonymization_keys (study_instance_uid);

CREATE INDEX anonymization_keys_anon_study_instance_uid
  ON anonymization_keys (anon_study_instance_uid);

CREATE INDEX anonymization_keys_series_instance_uid ON anonymization_keys (series_instance_uid);

CREATE INDEX anonymization_keys_anon_series_instance_uid
  ON anonymization_keys (anon_series_instance_uid);

CREATE INDEX anonymization_keys_sop_instance_uid ON anonymization_keys (sop_instance_uid);

CREATE INDEX anonymization_keys_anon_sop_instance_uid ON anonymization_keys (anon_sop_instance_uid);

-- tag_path is the string form of docs/api.md#tag-paths (e.g. `AccessionNumber`).
CREATE TABLE anonymization_key_values (
  id ID_PK,
  anonymization_key_id BIGINT NOT NULL REFERENCES anonymization_keys (id) ON DELETE CASCADE,
  tag_path TEXT NOT NULL,
  value TEXT NOT NULL,
  anonymized_value TEXT NOT NULL
);

CREATE INDEX anonymization_key_values_key ON anonymization_key_values (anonymization_key_id);
