-- SPDX-License-Identifier: Apache-2.0
-- Forwarding (docs/forwarding.md): rules "what arrives from this source goes to that
-- destination", and the batches of images each rule is forwarding. Names are stored as sent.
-- Source and destination ids are not references: a rule may name a source that does not exist
-- yet, and rules outlive their sources and destinations.

CREATE TABLE forwarding_rules (
  id ID_PK,
  source_type TEXT NOT NULL,
  source_name TEXT NOT NULL,
  source_id BIGINT NOT NULL,
  destination_type TEXT NOT NULL,
  destination_name TEXT NOT NULL,
  destination_id BIGINT NOT NULL,
  keep_images BIGINT NOT NULL,
  UNIQUE (source_type, source_id, destination_type, destination_id)
);

CREATE INDEX forwarding_rules_destination ON forwarding_rules (destination_type, destination_id);

-- A batch ("forwarding transaction") is fresh while it collects images, enroute once handed to
-- the destination, delivered once the destination has them; it is removed when finalized.
-- A failed dispatch returns it to fresh with attempts + 1 and a back-off (next_attempt, epoch
-- ms); box_transaction_id links it to the outgoing box transaction it became (-1: none).
CREATE TABLE forwarding_transactions (
  id ID_PK,
  rule_id BIGINT NOT NULL REFERENCES forwarding_rules (id) ON DELETE CASCADE,
  created BIGINT NOT NULL,
  updated BIGINT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('fresh', 'enroute', 'delivered')),
  attempts BIGINT NOT NULL,
  next_attempt BIGINT NOT NULL,
  box_transaction_id BIGINT NOT NULL
);

CREATE INDEX forwarding_transactions_rule ON forwarding_transactions (rule_id, state);

CREATE INDEX forwarding_transactions_state ON forwarding_transactions (state, updated);

-- The images of a batch; id keeps the order in which they arrived.
CREATE TABLE forwarding_transaction_images (
  id ID_PK,
  transaction_id BIGINT NOT NULL REFERENCES forwarding_transactions (id) ON DELETE CASCADE,
  image_id BIGINT NOT NULL,
  UNIQUE (transaction_id, image_id)
);

CREATE INDEX forwarding_transaction_images_image ON forwarding_transaction_images (image_id);
