// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/source.hpp"

namespace sbx::proto {

/// A patient row (docs/architecture.md#the-dicom-index).
struct patient {
  std::int64_t id = -1;
  std::string patient_name;
  std::string patient_id;
  std::string patient_birth_date;
  std::string patient_sex;
};

/// A study row.
struct study {
  std::int64_t id = -1;
  std::int64_t patient_id = -1;  ///< the patient row's id
  std::string study_instance_uid;
  std::string study_description;
  std::string study_date;
  std::string study_id;  ///< StudyID (0020,0010)
  std::string accession_number;
  std::string patient_age;
};

/// A series row.
struct series {
  std::int64_t id = -1;
  std::int64_t study_id = -1;
  std::string series_instance_uid;
  std::string series_description;
  std::string series_date;
  std::string modality;
  std::string protocol_name;
  std::string body_part_examined;
  std::string manufacturer;
  std::string station_name;
  std::string frame_of_reference_uid;
};

/// An image row.
struct image {
  std::int64_t id = -1;
  std::int64_t series_id = -1;
  std::string sop_instance_uid;
  std::string image_type;
  std::string instance_number;
};

/// A series with its study and patient; its id is the series id.
struct flat_series {
  patient pat;
  study stu;
  series ser;
};

/// What ingest extracts from a dataset: one record per level (ids unset).
struct image_attributes {
  patient pat;
  study stu;
  series ser;
  image img;
};

/// A series tag.
struct series_tag {
  std::int64_t id = -1;
  std::string name;
};

/// A reference to a source: type (`user`, `box`, ...) and id.
struct source_ref {
  std::string type;
  std::int64_t id = -1;
};

/// Advanced filtering (docs/api.md#paging-and-listing-parameters): an entity passes if one of its
/// series is from one of the sources AND has one of the series types AND one of the series tags
/// (empty lists don't count).
struct series_filter {
  std::vector<source_ref> sources;
  std::vector<std::int64_t> series_type_ids;
  std::vector<std::int64_t> series_tag_ids;
  /// True if no list has an entry.
  bool empty() const {
    return sources.empty() && series_type_ids.empty() && series_tag_ids.empty();
  }
};

/// An `orderby` / `QueryOrder`: an API property name (validated against a whitelist).
struct order_by {
  std::string property;
  bool ascending = true;
};

/// A listing request: paging, order, free-text filter and advanced filter.
struct listing {
  std::int64_t start = 0;
  std::int64_t count = 20;
  std::optional<order_by> order;
  std::string filter;  ///< free text; empty = none
  series_filter series;
};

/// One `QueryProperty`: property (API name), operator `=` or `like`, value.
struct query_property {
  std::string property;
  std::string op;
  std::string value;
};

/// A `Query` body (docs/api.md#query-bodies).
struct metadata_query {
  std::int64_t start = 0;
  std::int64_t count = 20;
  std::optional<order_by> order;
  std::vector<query_property> properties;
  series_filter series;
};

/// What an upsert did (docs/architecture.md#the-dicom-index).
struct upsert_result {
  patient pat;
  study stu;
  series ser;
  image img;
  bool patient_added = false;
  bool study_added = false;
  bool series_added = false;
  bool image_added = false;
  std::string replaced_storage_key;  ///< the old file of an image that existed; else empty
};

/// Where an image sits in the index and in storage: what an export names its entry by
/// (GET /api/images/export).
struct image_location {
  std::int64_t image_id = 0;
  std::int64_t patient_row = 0;
  std::string patient_name, patient_id;
  std::int64_t study_row = 0;
  std::string study_date;
  std::int64_t series_row = 0;
  std::string series_date, modality;
  std::string storage_key;
};

/// What a deletion removed (docs/architecture.md#deletion).
struct deletion {
  std::vector<std::int64_t> patient_ids;
  std::vector<std::int64_t> study_ids;
  std::vector<std::int64_t> series_ids;
  std::vector<std::int64_t> image_ids;
  std::vector<std::string> storage_keys;  ///< files of the deleted images
};

}  // namespace sbx::proto
