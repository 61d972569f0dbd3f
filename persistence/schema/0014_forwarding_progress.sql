-- SPDX-License-Identifier: Apache-2.0
-- Which images of a batch an SCU destination has acknowledged (docs/forwarding.md, Failures and
-- restarts): set one by one while the association runs, so that a batch sent again (the leader
-- died, the peer failed midway) sends only the images not acknowledged yet. 0 or 1.
ALTER TABLE forwarding_transaction_images ADD COLUMN sent BIGINT NOT NULL DEFAULT 0;
