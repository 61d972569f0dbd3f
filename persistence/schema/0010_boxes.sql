-- SPDX-License-Identifier: Apache-2.0
-- Boxes and their transactions (docs/federation.md). Profiles are comma-separated option names.
-- Transactions have no foreign key to boxes: deleting a box keeps its transactions, and images
-- are referenced by id only (deleting an image deletes its rows here, by event).
-- Counters are recomputed from the image rows by guarded updates, so repeated or late messages
-- never count an image twice, and a FAILED transaction is never revived.

CREATE TABLE boxes (
  id ID_PK,
  name TEXT NOT NULL UNIQUE,
  token TEXT NOT NULL,
  base_url TEXT NOT NULL,
  send_method TEXT NOT NULL,
  default_profile TEXT NOT NULL,
  online BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX boxes_token ON boxes (token);

CREATE TABLE outgoing_transactions (
  id ID_PK,
  box_id BIGINT NOT NULL,
  box_name TEXT NOT NULL,
  profile TEXT NOT NULL,
  sent_image_count BIGINT NOT NULL DEFAULT 0,
  skipped_image_count BIGINT NOT NULL DEFAULT 0,
  total_image_count BIGINT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  status TEXT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  last_contact BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX outgoing_transactions_box ON outgoing_transactions (box_id, status);

CREATE INDEX outgoing_transactions_updated ON outgoing_transactions (updated);

-- An image is pending while neither sent nor skipped; next_attempt (epoch ms) is its back-off.
CREATE TABLE outgoing_images (
  id ID_PK,
  outgoing_transaction_id BIGINT NOT NULL REFERENCES outgoing_transactions (id) ON DELETE CASCADE,
  image_id BIGINT NOT NULL,
  sequence_number BIGINT NOT NULL,
  sent BIGINT NOT NULL DEFAULT 0,
  skipped BIGINT NOT NULL DEFAULT 0,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt BIGINT NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (outgoing_transaction_id, sequence_number)
);

CREATE INDEX outgoing_images_image ON outgoing_images (image_id);

CREATE INDEX outgoing_images_pending ON outgoing_images (outgoing_transaction_id, sent, skipped);

CREATE TABLE outgoing_tag_values (
  id ID_PK,
  outgoing_image_id BIGINT NOT NULL REFERENCES outgoing_images (id) ON DELETE CASCADE,
  tag_path TEXT NOT NULL,
  value TEXT NOT NULL
);

CREATE INDEX outgoing_tag_values_image ON outgoing_tag_values (outgoing_image_id);

CREATE TABLE incoming_transactions (
  id ID_PK,
  box_id BIGINT NOT NULL,
  box_name TEXT NOT NULL,
  outgoing_transaction_id BIGINT NOT NULL,
  received_image_count BIGINT NOT NULL DEFAULT 0,
  added_image_count BIGINT NOT NULL DEFAULT 0,
  total_image_count BIGINT NOT NULL,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  status TEXT NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE (box_id, outgoing_transaction_id)
);

CREATE INDEX incoming_transactions_updated ON incoming_transactions (updated);

-- One row per delivered sequence number; image_id is NULL for a rejected delivery.
CREATE TABLE incoming_images (
  id ID_PK,
  incoming_transaction_id BIGINT NOT NULL REFERENCES incoming_transactions (id) ON DELETE CASCADE,
  image_id BIGINT,
  sequence_number BIGINT NOT NULL,
  overwrite BIGINT NOT NULL DEFAULT 0,
  UNIQUE (incoming_transaction_id, sequence_number)
);

CREATE INDEX incoming_images_image ON incoming_images (image_id);
