// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "persistence/database.hpp"
#include "proto/metadata.hpp"

namespace sbx::persistence {

/// An order or query property that names no usable column; what() is Slicebox's message
/// `Property <x> does not exist` (answered 400).
class invalid_property : public std::invalid_argument {
 public:
  explicit invalid_property(const std::string& name)
      : std::invalid_argument("Property " + name + " does not exist") {}
};

/// The DICOM index: patients, studies, series, images, series sources and series tags
/// (docs/architecture.md#the-dicom-index).
/// An image file whose row was committed while the file was still being flushed
/// (docs/operations.md#durability).
struct unflushed_file {
  std::string storage_key;
  std::int64_t image_id = -1;
  std::string previous_key;  ///< the file the upsert replaced, "" if none
  std::int64_t bytes = 0;
};

/// Every property name from the API is mapped through a whitelist; values are always bound.
class metadata_repo {
 public:
  explicit metadata_repo(database& db) : db_(db) {}

  /// Inserts or updates the four levels and the series source
  /// (docs/architecture.md#the-dicom-index) and records the image's storage key. Runs inside the
  /// caller's transaction.
  proto::upsert_result upsert(const proto::image_attributes& a, const proto::source& source,
                              const std::string& storage_key);

  /// Rows by id.
  std::optional<proto::patient> patient(std::int64_t id);
  std::optional<proto::study> study(std::int64_t id);
  std::optional<proto::series> series(std::int64_t id);
  std::optional<proto::image> image(std::int64_t id);
  std::optional<proto::flat_series> flat_series(std::int64_t series_id);
  /// The storage key of an image's file.
  std::optional<std::string> storage_key(std::int64_t image_id);
  /// Where images are, in the order asked, up to (not including) the first that does not exist.
  std::vector<proto::image_location> locations(const std::vector<std::int64_t>& image_ids);

  /// `GET /metadata/patients`: order on Patients columns, filter on the four patient columns.
  std::vector<proto::patient> list_patients(const proto::listing& l);
  /// `GET /metadata/studies?patientid=` (paging and series filter only).
  std::vector<proto::study> list_studies(std::int64_t patient_id, const proto::listing& l);
  /// `GET /metadata/series?studyid=` (paging and series filter only).
  std::vector<proto::series> list_series(std::int64_t study_id, const proto::listing& l);
  /// `GET /metadata/images?seriesid=`: order on Images columns, filter on sopInstanceUID,
  /// imageType, instanceNumber (no series filter).
  std::vector<proto::image> list_images(std::int64_t series_id, const proto::listing& l);
  /// `GET /metadata/flatseries`.
  std::vector<proto::flat_series> list_flat_series(const proto::listing& l);

  /// The `POST /api/metadata/<level>/query` endpoints (docs/api.md#query-bodies).
  std::vector<proto::patient> query_patients(const proto::metadata_query& q);
  std::vector<proto::study> query_studies(const proto::metadata_query& q);
  std::vector<proto::series> query_series(const proto::metadata_query& q);
  std::vector<proto::image> query_images(const proto::metadata_query& q);
  std::vector<proto::flat_series> query_flat_series(const proto::metadata_query& q);

  /// Every image of a patient / study whose series pass the filter (study, series, image order).
  std::vector<proto::image> images_of_patient(std::int64_t patient_id,
                                              const proto::series_filter& f);
  std::vector<proto::image> images_of_study(std::int64_t study_id, const proto::series_filter& f);

  /// The source recorded for a series.
  std::optional<proto::source> series_source(std::int64_t series_id);

  /// Global series tags: paging, order by `id` or `name` (others ignored), case-sensitive
  /// substring filter on name.
  std::vector<proto::series_tag> list_series_tags(const proto::listing& l);
  /// Inserts a tag; a taken name throws database_error(unique_violation).
  proto::series_tag insert_series_tag(const std::string& name);
  std::optional<proto::series_tag> series_tag(std::int64_t id);
  /// Renames; false if no tag has that id; a taken name throws unique_violation.
  bool rename_series_tag(std::int64_t id, const std::string& name);
  /// Deletes a tag and its links.
  void delete_series_tag(std::int64_t id);
  /// The tags linked to a series (id order).
  std::vector<proto::series_tag> tags_of_series(std::int64_t series_id);
  /// Links the tag named `name` (created if needed) to the series; nullopt if the series does
  /// not exist. Linking twice keeps one link.
  std::optional<proto::series_tag> add_tag_to_series(std::int64_t series_id,
                                                     const std::string& name);
  /// Removes one link (the tag stays).
  void remove_tag_from_series(std::int64_t series_id, std::int64_t tag_id);

  /// Deletes images and then every series, study and patient left empty
  /// (docs/architecture.md#deletion), inside the caller's transaction. Unknown ids are ignored.
  proto::deletion delete_images(const std::vector<std::int64_t>& image_ids);

  /// Records a file committed before it is flushed; remove_unflushed() forgets it once flushed.
  void add_unflushed(const unflushed_file& f);
  void remove_unflushed(const std::vector<std::string>& keys);
  /// Every recorded file, newest first.
  std::vector<unflushed_file> unflushed_files();
  /// Undoes the upsert that stored `f` (its file is lost): the image goes back to
  /// `f.previous_key` when `restore` is true, else it is deleted (returned). Nothing happens if
  /// the image has another file by now.
  proto::deletion undo_upsert(const unflushed_file& f, bool restore);

  /// Every storage key referenced by an image row (for the orphan sweep at start).
  std::vector<std::string> all_storage_keys();

 private:
  database& db_;
};

}  // namespace sbx::persistence
