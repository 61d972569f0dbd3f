// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/dicomweb.hpp"
#include "proto/metadata.hpp"
#include "proto/source.hpp"

namespace sbx::proto {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, patient& x) {
  return f(x.id, x.patient_name, x.patient_id, x.patient_birth_date, x.patient_sex);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, study& x) {
  return f(x.id, x.patient_id, x.study_instance_uid, x.study_description, x.study_date, x.study_id,
           x.accession_number, x.patient_age);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series& x) {
  return f(x.id, x.study_id, x.series_instance_uid, x.series_description, x.series_date, x.modality,
           x.protocol_name, x.body_part_examined, x.manufacturer, x.station_name,
           x.frame_of_reference_uid);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image& x) {
  return f(x.id, x.series_id, x.sop_instance_uid, x.image_type, x.instance_number);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, flat_series& x) {
  return f(x.pat, x.stu, x.ser);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_attributes& x) {
  return f(x.pat, x.stu, x.ser, x.img);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_tag& x) {
  return f(x.id, x.name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_ref& x) {
  return f(x.type, x.id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_filter& x) {
  return f(x.sources, x.series_type_ids, x.series_tag_ids);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, upsert_result& x) {
  return f(x.pat, x.stu, x.ser, x.img, x.patient_added, x.study_added, x.series_added,
           x.image_added, x.replaced_storage_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, image_location& x) {
  return f(x.image_id, x.patient_row, x.patient_name, x.patient_id, x.study_row, x.study_date,
           x.series_row, x.series_date, x.modality, x.storage_key);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deletion& x) {
  return f(x.patient_ids, x.study_ids, x.series_ids, x.image_ids, x.storage_keys);
}

/// The metadata index (docs/architecture.md#the-dicom-index, docs/api.md#metadata). Reads run on a
/// pool of readers; writes on one writer that commits concurrent upserts together (group commit).
/// Unknown ids: errc::not_found; unknown properties: errc::bad_request.
using metadata_actor = caf::typed_actor<
    // Rows by id.
    caf::replies_to<get_atom, patient_atom, std::int64_t>::with<patient>,
    caf::replies_to<get_atom, study_atom, std::int64_t>::with<study>,
    caf::replies_to<get_atom, series_atom, std::int64_t>::with<series>,
    caf::replies_to<get_atom, image_atom, std::int64_t>::with<image>,
    caf::replies_to<get_atom, flat_atom, std::int64_t>::with<flat_series>,
    // Images by id, skipping ids that do not exist (input order).
    caf::replies_to<get_atom, images_atom, std::vector<std::int64_t>>::with<std::vector<image>>,
    // The storage key of an image's file.
    caf::replies_to<get_atom, file_atom, std::int64_t>::with<std::string>,
    // Where images are, in input order, up to (not including) the first that does not exist.
    caf::replies_to<get_atom, location_atom,
                    std::vector<std::int64_t>>::with<std::vector<image_location>>,
    // Listings.
    caf::replies_to<list_atom, patient_atom, listing>::with<std::vector<patient>>,
    caf::replies_to<list_atom, study_atom, std::int64_t, listing>::with<std::vector<study>>,
    caf::replies_to<list_atom, series_atom, std::int64_t, listing>::with<std::vector<series>>,
    caf::replies_to<list_atom, image_atom, std::int64_t, listing>::with<std::vector<image>>,
    caf::replies_to<list_atom, flat_atom, listing>::with<std::vector<flat_series>>,
    // Queries.
    caf::replies_to<query_atom, patient_atom, metadata_query>::with<std::vector<patient>>,
    caf::replies_to<query_atom, study_atom, metadata_query>::with<std::vector<study>>,
    caf::replies_to<query_atom, series_atom, metadata_query>::with<std::vector<series>>,
    caf::replies_to<query_atom, image_atom, metadata_query>::with<std::vector<image>>,
    caf::replies_to<query_atom, flat_atom, metadata_query>::with<std::vector<flat_series>>,
    // Every image of a patient / study whose series pass the filter.
    caf::replies_to<images_atom, patient_atom, std::int64_t,
                    series_filter>::with<std::vector<image>>,
    caf::replies_to<images_atom, study_atom, std::int64_t, series_filter>::with<std::vector<image>>,
    // The recorded source of a series.
    caf::replies_to<source_atom, std::int64_t>::with<source>,
    // Series tags: global list, one tag, tags of a series.
    caf::replies_to<list_atom, series_tag_atom, listing>::with<std::vector<series_tag>>,
    caf::replies_to<get_atom, series_tag_atom, std::int64_t>::with<series_tag>,
    caf::replies_to<get_atom, series_tag_atom, series_atom,
                    std::int64_t>::with<std::vector<series_tag>>,
    // Writes: upsert (image attributes, source, storage key), delete images.
    // (attributes, source, storage key, the image it replaces or -1: deleted in the same commit,
    // the file's size if it is still being flushed or -1: docs/operations.md#durability)
    caf::replies_to<add_atom, image_attributes, source, std::string, std::int64_t,
                    std::int64_t>::with<upsert_result>,
    // The file under a key whose upsert was committed before its flush is flushed now.
    caf::reacts_to<flush_atom, std::string>,
    // Undoes such an upsert, whose file could not be flushed (key, image id, replaced key):
    // the image goes back to the file it replaced, or is deleted.
    caf::replies_to<delete_atom, flush_atom, std::string, std::int64_t,
                    std::string>::with<deletion>,
    caf::replies_to<delete_atom, std::vector<std::int64_t>>::with<deletion>,
    // Series tag writes: create, rename, delete, link to a series by name, unlink.
    caf::replies_to<add_atom, series_tag_atom, std::string>::with<series_tag>,
    caf::replies_to<rename_atom, series_tag_atom, series_tag>::with<series_tag>,
    caf::replies_to<delete_atom, series_tag_atom, std::int64_t>::with<bool>,
    caf::replies_to<add_atom, series_atom, std::int64_t, std::string>::with<series_tag>,
    caf::replies_to<delete_atom, series_atom, std::int64_t, std::int64_t>::with<bool>,
    // A QIDO-RS search (docs/dicomweb.md#qido-rs); also the instances a WADO-RS request names.
    caf::replies_to<query_atom, qido_atom, qido_query>::with<std::vector<qido_match>>,
    // Internal: commit the upserts waiting in the writer; commit the flushed files' rows.
    caf::reacts_to<flush_atom>, caf::reacts_to<flush_atom, flush_atom>>;

}  // namespace sbx::proto

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::proto::listing)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::proto::metadata_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::proto::qido_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<sbx::proto::qido_match>)
