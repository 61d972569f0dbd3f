-- SPDX-License-Identifier: Apache-2.0
-- The DICOM index (docs/architecture.md#the-dicom-index): patients > studies > series > images, the
-- source of each series, series tags, and series-type links (the types' rules arrive in a later
-- migration). Columns are the API's property names in snake_case; the unique indexes are the
-- identity keys of Slicebox, which the upsert's INSERT ... ON CONFLICT relies on.

CREATE TABLE patients (
  id ID_PK,
  patient_name TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  patient_birth_date TEXT NOT NULL,
  patient_sex TEXT NOT NULL
);

CREATE UNIQUE INDEX patients_identity ON patients (patient_name, patient_id);

CREATE INDEX patients_patient_id ON patients (patient_id);

-- patient_id is the patients row; study_id is DICOM StudyID (0020,0010).
CREATE TABLE studies (
  id ID_PK,
  patient_id BIGINT NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
  study_instance_uid TEXT NOT NULL,
  study_description TEXT NOT NULL,
  study_date TEXT NOT NULL,
  study_id TEXT NOT NULL,
  accession_number TEXT NOT NULL,
  patient_age TEXT NOT NULL
);

CREATE UNIQUE INDEX studies_identity ON studies (patient_id, study_instance_uid);

CREATE INDEX studies_study_instance_uid ON studies (study_instance_uid);

CREATE TABLE series (
  id ID_PK,
  study_id BIGINT NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
  series_instance_uid TEXT NOT NULL,
  series_description TEXT NOT NULL,
  series_date TEXT NOT NULL,
  modality TEXT NOT NULL,
  protocol_name TEXT NOT NULL,
  body_part_examined TEXT NOT NULL,
  manufacturer TEXT NOT NULL,
  station_name TEXT NOT NULL,
  frame_of_reference_uid TEXT NOT NULL
);

CREATE UNIQUE INDEX series_identity ON series (study_id, series_instance_uid);

CREATE INDEX series_series_instance_uid ON series (series_instance_uid);

CREATE TABLE images (
  id ID_PK,
  series_id BIGINT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  sop_instance_uid TEXT NOT NULL,
  image_type TEXT NOT NULL,
  instance_number TEXT NOT NULL,
  storage_key TEXT NOT NULL
);

CREATE UNIQUE INDEX images_identity ON images (series_id, sop_instance_uid);

CREATE INDEX images_sop_instance_uid ON images (sop_instance_uid);

CREATE INDEX images_storage_key ON images (storage_key);

-- One source per series, last writer wins.
CREATE TABLE series_sources (
  series_id BIGINT PRIMARY KEY REFERENCES series (id) ON DELETE CASCADE,
  source_type TEXT NOT NULL,
  source_name TEXT NOT NULL,
  source_id BIGINT NOT NULL
);

CREATE INDEX series_sources_source ON series_sources (source_type, source_id);

-- The index name appears in the duplicate-name error POST /api/metadata/seriestags passes on.
CREATE TABLE series_tags (
  id ID_PK,
  name TEXT NOT NULL
);

CREATE UNIQUE INDEX idx_unique_series_tag_name ON series_tags (name);

CREATE TABLE series_series_tags (
  series_id BIGINT NOT NULL REFERENCES series (id) ON DELETE CASCADE,
  series_tag_id BIGINT NOT NULL REFERENCES series_tags (id) ON DELETE CASCADE,
  PRIMARY KEY (series_id, series_tag_id)
);

CREATE INDEX series_series_tags_tag ON series_series_tags (series_tag_id, series_id);

CREATE TABLE series_types (
  id ID_PK,
  name TEXT NOT NULL
);

CREATE UNIQUE INDEX series_types_name ON series_types (name);

-- No foreign key to series (as in Slicebox): links of deleted series are removed explicitly.
CREATE TABLE series_series_types (
  series_id BIGINT NOT NULL,
  series_type_id BIGINT NOT NULL REFERENCES series_types (id) ON DELETE CASCADE,
  PRIMARY KEY (series_id, series_type_id)
);

CREATE INDEX series_series_types_type ON series_series_types (series_type_id, series_id);
