-- SPDX-License-Identifier: Apache-2.0
-- Series-type rules and their attributes (docs/api.md#series-types); the types and their links to
-- series are in 0002. A rule matches a series when all its attributes do; deleting a type or a rule
-- cascades.

CREATE TABLE series_type_rules (
  id ID_PK,
  series_type_id BIGINT NOT NULL REFERENCES series_types (id) ON DELETE CASCADE
);

CREATE INDEX series_type_rules_type ON series_type_rules (series_type_id);

CREATE TABLE series_type_rule_attributes (
  id ID_PK,
  series_type_rule_id BIGINT NOT NULL REFERENCES series_type_rules (id) ON DELETE CASCADE,
  tag BIGINT NOT NULL,
  name TEXT NOT NULL,
  tag_path TEXT,
  name_path TEXT,
  attribute_values TEXT NOT NULL
);

CREATE INDEX series_type_rule_attributes_rule ON series_type_rule_attributes (series_type_rule_id);
