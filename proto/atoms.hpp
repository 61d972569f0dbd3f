// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/atom.hpp>

// The verbs and nouns of the actors' messages (docs/architecture.md, "How a message reads").
// Requests are imperative; names are at most 10 characters; each atom means one thing.
namespace sbx::proto {

using add_atom = caf::atom_constant<caf::atom("add")>;
using added_atom = caf::atom_constant<caf::atom("added")>;
using all_atom = caf::atom_constant<caf::atom("all")>;
using anonymize_atom = caf::atom_constant<caf::atom("anonymize")>;
/// The DICOM attributes of one stored image (`GET /api/images/{id}/attributes`).
using attributes_atom = caf::atom_constant<caf::atom("attributes")>;
using assocs_atom = caf::atom_constant<caf::atom("assocs")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using csv_atom = caf::atom_constant<caf::atom("csv")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using deleted_atom = caf::atom_constant<caf::atom("deleted")>;
using dests_atom = caf::atom_constant<caf::atom("dests")>;
using export_atom = caf::atom_constant<caf::atom("export")>;
using file_atom = caf::atom_constant<caf::atom("file")>;
using filters_atom = caf::atom_constant<caf::atom("filters")>;
using flat_atom = caf::atom_constant<caf::atom("flat")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using image_atom = caf::atom_constant<caf::atom("image")>;
using images_atom = caf::atom_constant<caf::atom("images")>;
using import_atom = caf::atom_constant<caf::atom("import")>;
using info_atom = caf::atom_constant<caf::atom("info")>;
using ingest_atom = caf::atom_constant<caf::atom("ingest")>;
using jpeg_atom = caf::atom_constant<caf::atom("jpeg")>;
using keys_atom = caf::atom_constant<caf::atom("keys")>;
using keyword_atom = caf::atom_constant<caf::atom("keyword")>;
using keywords_atom = caf::atom_constant<caf::atom("keywords")>;
using link_atom = caf::atom_constant<caf::atom("link")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using location_atom = caf::atom_constant<caf::atom("location")>;
using log_atom = caf::atom_constant<caf::atom("log")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using logout_atom = caf::atom_constant<caf::atom("logout")>;
using modify_atom = caf::atom_constant<caf::atom("modify")>;
using options_atom = caf::atom_constant<caf::atom("options")>;
using patient_atom = caf::atom_constant<caf::atom("patient")>;
using png_atom = caf::atom_constant<caf::atom("png")>;
/// One image of a send acknowledged by its peer (a forwarding batch's progress).
using progress_atom = caf::atom_constant<caf::atom("progress")>;
using purge_atom = caf::atom_constant<caf::atom("purge")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using record_atom = caf::atom_constant<caf::atom("record")>;
using reject_atom = caf::atom_constant<caf::atom("reject")>;
using reload_atom = caf::atom_constant<caf::atom("reload")>;
using rename_atom = caf::atom_constant<caf::atom("rename")>;
using reverse_atom = caf::atom_constant<caf::atom("reverse")>;
/// An attribute of a series-type rule (`/api/seriestypes/rules/{id}/attributes`).
using rule_attribute_atom = caf::atom_constant<caf::atom("ruleattr")>;
using rule_atom = caf::atom_constant<caf::atom("rule")>;
using send_atom = caf::atom_constant<caf::atom("send")>;
using series_atom = caf::atom_constant<caf::atom("series")>;
/// A series tag, the user's label on a series (`/api/metadata/seriestags`).
using series_tag_atom = caf::atom_constant<caf::atom("seriestag")>;
using session_atom = caf::atom_constant<caf::atom("session")>;
using source_atom = caf::atom_constant<caf::atom("source")>;
using sources_atom = caf::atom_constant<caf::atom("sources")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using step_atom = caf::atom_constant<caf::atom("step")>;
using study_atom = caf::atom_constant<caf::atom("study")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using tag_paths_atom = caf::atom_constant<caf::atom("tagpaths")>;
/// A DICOM tag number (group << 16 | element), as in the dictionary look-ups.
using tag_atom = caf::atom_constant<caf::atom("tag")>;
using type_atom = caf::atom_constant<caf::atom("type")>;
using update_atom = caf::atom_constant<caf::atom("update")>;
using upload_atom = caf::atom_constant<caf::atom("upload")>;
using values_atom = caf::atom_constant<caf::atom("values")>;
using vm_atom = caf::atom_constant<caf::atom("vm")>;
using vr_atom = caf::atom_constant<caf::atom("vr")>;

/// Sending images on behalf of forwarding (`proto::box_forwarding_actor`).
using forward_atom = caf::atom_constant<caf::atom("forward")>;

/// DICOMweb (docs/dicomweb.md): a QIDO-RS search, a dataset as DICOM JSON, frames of pixel data,
/// the parts of a STOW-RS body.
using qido_atom = caf::atom_constant<caf::atom("qido")>;
using dicomjson_atom = caf::atom_constant<caf::atom("dicomjson")>;
using frames_atom = caf::atom_constant<caf::atom("frames")>;
using stow_atom = caf::atom_constant<caf::atom("stow")>;

}  // namespace sbx::proto
