// SPDX-License-Identifier: Apache-2.0
#include "proto/json.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>

#include "proto/json_support.hpp"
#include "proto/json_tag_path.hpp"

namespace sbx::proto::json {

using namespace support;

namespace {

void write_user(writer& w, const api_user& u) {
  w.StartObject();
  put(w, "id", u.id);
  put(w, "user", u.user);
  put(w, "role", to_string(u.user_role));
  w.EndObject();
}

}  // namespace

void check_nesting(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_nesting)
        throw malformed("Arrays and objects nest deeper than " + std::to_string(max_nesting) +
                        " levels");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

namespace {

void put_value(writer& w, std::string_view key, std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.StartObject();
  put(w, "value", value);
  w.EndObject();
}

void write_patient(writer& w, const patient& p) {
  w.StartObject();
  put(w, "id", p.id);
  put_value(w, "patientName", p.patient_name);
  put_value(w, "patientID", p.patient_id);
  put_value(w, "patientBirthDate", p.patient_birth_date);
  put_value(w, "patientSex", p.patient_sex);
  w.EndObject();
}

void write_study(writer& w, const study& s) {
  w.StartObject();
  put(w, "id", s.id);
  put(w, "patientId", s.patient_id);
  put_value(w, "studyInstanceUID", s.study_instance_uid);
  put_value(w, "studyDescription", s.study_description);
  put_value(w, "studyDate", s.study_date);
  put_value(w, "studyID", s.study_id);
  put_value(w, "accessionNumber", s.accession_number);
  put_value(w, "patientAge", s.patient_age);
  w.EndObject();
}

void write_series(writer& w, const series& s) {
  w.StartObject();
  put(w, "id", s.id);
  put(w, "studyId", s.study_id);
  put_value(w, "seriesInstanceUID", s.series_instance_uid);
  put_value(w, "seriesDescription", s.series_description);
  put_value(w, "seriesDate", s.series_date);
  put_value(w, "modality", s.modality);
  put_value(w, "protocolName", s.protocol_name);
  put_value(w, "bodyPartExamined", s.body_part_examined);
  put_value(w, "manufacturer", s.manufacturer);
  put_value(w, "stationName", s.station_name);
  put_value(w, "frameOfReferenceUID", s.frame_of_reference_uid);
  w.EndObject();
}

void write_image(writer& w, const image& i) {
  w.StartObject();
  put(w, "id", i.id);
  put(w, "seriesId", i.series_id);
  put_value(w, "sopInstanceUID", i.sop_instance_uid);
  put_value(w, "imageType", i.image_type);
  put_value(w, "instanceNumber", i.instance_number);
  w.EndObject();
}

void write_flat_series(writer& w, const flat_series& f) {
  w.StartObject();
  put(w, "id", f.ser.id);
  w.Key("patient");
  write_patient(w, f.pat);
  w.Key("study");
  write_study(w, f.stu);
  w.Key("series");
  write_series(w, f.ser);
  w.EndObject();
}

/// `{"id","name"}`: series tags and series types.
template <class T>
void write_id_name(writer& w, const T& t) {
  w.StartObject();
  put(w, "id", t.id);
  put(w, "name", t.name);
  w.EndObject();
}

void write_series_tag(writer& w, const series_tag& t) { write_id_name(w, t); }
void write_series_type(writer& w, const series_type& t) { write_id_name(w, t); }

void write_watched_directory(writer& w, const watched_directory& d) {
  w.StartObject();
  put(w, "id", d.id);
  put(w, "name", d.name);
  put(w, "path", d.path);
  w.EndObject();
}

void write_series_type_rule(writer& w, const series_type_rule& r) {
  w.StartObject();
  put(w, "id", r.id);
  put(w, "seriesTypeId", r.series_type_id);
  w.EndObject();
}

void write_series_type_rule_attribute(writer& w, const series_type_rule_attribute& a) {
  w.StartObject();
  put(w, "id", a.id);
  put(w, "seriesTypeRuleId", a.rule_id);
  put(w, "tag", a.tag);
  put(w, "name", a.name);
  if (a.tag_path) put(w, "tagPath", *a.tag_path);
  if (a.name_path) put(w, "namePath", *a.name_path);
  put(w, "values", a.values);
  w.EndObject();
}

void write_scp(writer& w, const scp& s) {
  w.StartObject();
  put(w, "id", s.id);
  put(w, "name", s.name);
  put(w, "aeTitle", s.ae_title);
  put(w, "port", s.port);
  w.Key("queryRetrieve");
  w.Bool(s.query_retrieve);
  w.EndObject();
}

void write_import_session(writer& w, const import_session& s) {
  w.StartObject();
  put(w, "id", s.id);
  put(w, "name", s.name);
  put(w, "userId", s.user_id);
  put(w, "user", s.user);
  put(w, "filesImported", s.files_imported);
  put(w, "filesAdded", s.files_added);
  put(w, "filesRejected", s.files_rejected);
  put(w, "created", s.created);
  put(w, "lastUpdated", s.last_updated);
  w.EndObject();
}

void write_scu(writer& w, const scu& s) {
  w.StartObject();
  put(w, "id", s.id);
  put(w, "name", s.name);
  put(w, "aeTitle", s.ae_title);
  put(w, "host", s.host);
  put(w, "port", s.port);
  w.EndObject();
}

std::vector<std::int64_t> int64_array(const rapidjson::Value& array, const char* what) {
  std::vector<std::int64_t> out;
  for (const auto& v : array.GetArray()) {
    if (!v.IsInt64()) throw malformed(std::string(what) + " must hold integers");
    out.push_back(v.GetInt64());
  }
  return out;
}

void write_key(writer& w, const anonymization_key& k) {
  w.StartObject();
  put(w, "id", k.id);
  put(w, "created", k.created);
  put(w, "imageId", k.image_id);
  put(w, "patientName", k.patient_name);
  put(w, "anonPatientName", k.anon_patient_name);
  put(w, "patientID", k.patient_id);
  put(w, "anonPatientID", k.anon_patient_id);
  put(w, "studyInstanceUID", k.study_instance_uid);
  put(w, "anonStudyInstanceUID", k.anon_study_instance_uid);
  put(w, "seriesInstanceUID", k.series_instance_uid);
  put(w, "anonSeriesInstanceUID", k.anon_series_instance_uid);
  put(w, "sopInstanceUID", k.sop_instance_uid);
  put(w, "anonSOPInstanceUID", k.anon_sop_instance_uid);
  w.EndObject();
}

void write_tag_filter(writer& w, const tag_filter& f) {
  w.StartObject();
  put(w, "id", f.id);
  put(w, "name", f.name);
  put(w, "tagFilterType", to_string(f.type));
  w.EndObject();
}

void write_tag_filter_tag_path(writer& w, const tag_filter_tag_path& p) {
  w.StartObject();
  put(w, "id", p.id);
  put(w, "tagFilterId", p.tag_filter_id);
  w.Key("tagPath");
  write_tag_path(w, p.tree);
  w.EndObject();
}

void write_source_tag_filter(writer& w, const source_tag_filter& a) {
  w.StartObject();
  put(w, "id", a.id);
  put(w, "sourceType", a.source_type);
  put(w, "sourceName", a.source_name);
  put(w, "sourceId", a.source_id);
  put(w, "tagFilterId", a.tag_filter_id);
  put(w, "tagFilterName", a.tag_filter_name);
  w.EndObject();
}

/// The optional `id` of an entity body; -1 when absent.
std::int64_t optional_id(const rapidjson::Value& object) {
  const auto it = object.FindMember("id");
  if (it == object.MemberEnd() || it->value.IsNull()) return -1;
  if (!it->value.IsInt64()) throw malformed("Member 'id' must be an integer");
  return it->value.GetInt64();
}

}  // namespace

std::string encode(const anonymization_key& k) {
  return write([&](writer& w) { write_key(w, k); });
}

std::string encode(const std::vector<anonymization_key>& list) {
  return write_array(list, write_key);
}

std::string encode(const std::vector<key_value_entry>& list) {
  return write_array(list, [](writer& w, const key_value_entry& e) {
    w.StartObject();
    put(w, "id", e.value.id);
    put(w, "anonymizationKeyId", e.value.anonymization_key_id);
    w.Key("tagPath");
    write_tag_path(w, e.path);
    put(w, "value", e.value.value);
    put(w, "anonymizedValue", e.value.anonymized_value);
    w.EndObject();
  });
}

std::string encode(const std::vector<confidentiality_option_info>& list) {
  return write_array(list, [](writer& w, const confidentiality_option_info& o) {
    w.StartObject();
    put(w, "name", o.name);
    put(w, "title", o.title);
    put(w, "description", o.description);
    put(w, "rank", static_cast<std::int64_t>(o.rank));
    w.EndObject();
  });
}

std::string encode(const patient& p) {
  return write([&](writer& w) { write_patient(w, p); });
}
std::string encode(const study& s) {
  return write([&](writer& w) { write_study(w, s); });
}
std::string encode(const series& s) {
  return write([&](writer& w) { write_series(w, s); });
}
std::string encode(const image& i) {
  return write([&](writer& w) { write_image(w, i); });
}
std::string encode(const flat_series& f) {
  return write([&](writer& w) { write_flat_series(w, f); });
}
std::string encode(const std::vector<patient>& list) { return write_array(list, write_patient); }
std::string encode(const std::vector<study>& list) { return write_array(list, write_study); }
std::string encode(const std::vector<series>& list) { return write_array(list, write_series); }
std::string encode(const std::vector<image>& list) { return write_array(list, write_image); }
std::string encode(const std::vector<flat_series>& list) {
  return write_array(list, write_flat_series);
}
std::string encode(const series_tag& t) {
  return write([&](writer& w) { write_series_tag(w, t); });
}
std::string encode(const std::vector<series_tag>& list) {
  return write_array(list, write_series_tag);
}
std::string encode(const series_type& t) {
  return write([&](writer& w) { write_series_type(w, t); });
}
std::string encode(const std::vector<series_type>& list) {
  return write_array(list, write_series_type);
}
std::string encode(const series_type_rule& r) {
  return write([&](writer& w) { write_series_type_rule(w, r); });
}
std::string encode(const std::vector<series_type_rule>& list) {
  return write_array(list, write_series_type_rule);
}
std::string encode(const series_type_rule_attribute& a) {
  return write([&](writer& w) { write_series_type_rule_attribute(w, a); });
}
std::string encode(const std::vector<series_type_rule_attribute>& list) {
  return write_array(list, write_series_type_rule_attribute);
}
std::string encode(const std::vector<series_id_series_type>& links) {
  return write([&](writer& w) {
    w.StartObject();
    w.Key("seriesIdSeriesTypes");
    w.StartArray();
    for (const auto& l : links) {
      w.StartObject();
      put(w, "seriesId", l.series_id);
      w.Key("seriesType");
      write_series_type(w, l.type);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}
std::string encode(const watched_directory& w) {
  return write([&](writer& wr) { write_watched_directory(wr, w); });
}
std::string encode(const std::vector<watched_directory>& list) {
  return write_array(list, write_watched_directory);
}
std::string running_status(bool running) {
  return write([&](writer& w) {
    w.StartObject();
    w.Key("running");
    w.Bool(running);
    w.EndObject();
  });
}
std::string encode(const source& s) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "sourceType", s.type);
    put(w, "sourceName", s.name);
    put(w, "sourceId", s.id);
    w.EndObject();
  });
}
std::string encode(const import_session& s) {
  return write([&](writer& w) { write_import_session(w, s); });
}
std::string encode(const std::vector<import_session>& list) {
  return write_array(list, write_import_session);
}
std::string encode(const scp& s) {
  return write([&](writer& w) { write_scp(w, s); });
}
std::string encode(const std::vector<scp>& list) { return write_array(list, write_scp); }

std::string encode(const scu& s) {
  return write([&](writer& w) { write_scu(w, s); });
}
std::string encode(const std::vector<scu>& list) { return write_array(list, write_scu); }

namespace {

/// An object of three members `<prefix>Type`, `<prefix>Name`, `<prefix>Id` (Source,
/// Destination).
void write_typed_ref(writer& w, const std::string& prefix, const std::string& type,
                     const std::string& name, std::int64_t id) {
  w.StartObject();
  put(w, prefix + "Type", type);
  put(w, prefix + "Name", name);
  put(w, prefix + "Id", id);
  w.EndObject();
}

void write_forwarding_rule(writer& w, const forwarding_rule& r) {
  w.StartObject();
  put(w, "id", r.id);
  w.Key("source");
  write_typed_ref(w, "source", r.src.type, r.src.name, r.src.id);
  w.Key("destination");
  write_typed_ref(w, "destination", r.dest.type, r.dest.name, r.dest.id);
  w.Key("keepImages");
  w.Bool(r.keep_images);
  w.EndObject();
}

}  // namespace

std::string encode(const forwarding_rule& r) {
  return write([&](writer& w) { write_forwarding_rule(w, r); });
}
std::string encode(const std::vector<forwarding_rule>& list) {
  return write_array(list, write_forwarding_rule);
}

metadata_query decode_query(std::string_view body) {
  auto doc = parse_object(body);
  metadata_query q;
  q.start = required_int64(doc, "startIndex");
  q.count = required_int64(doc, "count");
  if (q.start < 0 || q.count < 0) throw malformed("startIndex and count must be non-negative");
  if (auto it = doc.FindMember("order"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsObject()) throw malformed("Member 'order' must be an object");
    order_by o;
    o.property = required_string(it->value, "orderBy");
    auto asc = it->value.FindMember("orderAscending");
    if (asc == it->value.MemberEnd() || !asc->value.IsBool())
      throw malformed("Member 'orderAscending' must be a boolean");
    o.ascending = asc->value.GetBool();
    q.order = o;
  }
  for (const auto& p : required_array(doc, "queryProperties").GetArray()) {
    if (!p.IsObject()) throw malformed("queryProperties must hold objects");
    query_property qp;
    qp.property = required_string(p, "propertyName");
    qp.op = required_string(p, "operator");
    if (qp.op != "=" && qp.op != "like") throw malformed("Unknown query operator '" + qp.op + "'");
    qp.value = required_string(p, "propertyValue");
    q.properties.push_back(std::move(qp));
  }
  if (auto it = doc.FindMember("filters"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsObject()) throw malformed("Member 'filters' must be an object");
    for (const auto& r : required_array(it->value, "sourceRefs").GetArray()) {
      if (!r.IsObject()) throw malformed("sourceRefs must hold objects");
      q.series.sources.push_back({required_string(r, "sourceType"), required_int64(r, "sourceId")});
    }
    q.series.series_type_ids =
        int64_array(required_array(it->value, "seriesTypeIds"), "seriesTypeIds");
    q.series.series_tag_ids =
        int64_array(required_array(it->value, "seriesTagIds"), "seriesTagIds");
  }
  return q;
}

namespace {

/// An `{"id","name"}` body (id optional).
template <class T>
T decode_id_name(std::string_view body) {
  auto doc = parse_object(body);
  T t;
  t.id = optional_id(doc);
  t.name = required_string(doc, "name");
  return t;
}

std::optional<std::string> optional_string(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || it->value.IsNull()) return std::nullopt;
  return required_string(object, key);
}

}  // namespace

series_tag decode_series_tag(std::string_view body) { return decode_id_name<series_tag>(body); }

series_type decode_series_type(std::string_view body) { return decode_id_name<series_type>(body); }

series_type_rule decode_series_type_rule(std::string_view body) {
  auto doc = parse_object(body);
  return {-1, required_int64(doc, "seriesTypeId")};
}

series_type_rule_attribute decode_series_type_rule_attribute(std::string_view body) {
  auto doc = parse_object(body);
  series_type_rule_attribute a;
  a.rule_id = required_int64(doc, "seriesTypeRuleId");
  a.tag = required_int64(doc, "tag");
  if (a.tag < std::numeric_limits<std::int32_t>::min() ||
      a.tag > std::numeric_limits<std::uint32_t>::max())
    throw malformed("Member 'tag' must be a 32-bit tag number");
  a.name = optional_string(doc, "name").value_or("");
  a.tag_path = optional_string(doc, "tagPath");
  a.name_path = optional_string(doc, "namePath");
  a.values = required_string(doc, "values");
  return a;
}

watched_directory decode_watched_directory(std::string_view body) {
  auto d = decode_id_name<watched_directory>(body);
  d.path = required_string(parse_object(body), "path");
  return d;
}

std::vector<std::int64_t> decode_ids_query(std::string_view body) {
  auto doc = parse_object(body);
  return int64_array(required_array(doc, "ids"), "ids");
}

std::string encode(const tag_filter& f) {
  return write([&](writer& w) { write_tag_filter(w, f); });
}
std::string encode(const std::vector<tag_filter>& list) {
  return write_array(list, write_tag_filter);
}
std::string encode(const tag_filter_tag_path& p) {
  return write([&](writer& w) { write_tag_filter_tag_path(w, p); });
}
std::string encode(const std::vector<tag_filter_tag_path>& list) {
  return write_array(list, write_tag_filter_tag_path);
}
std::string encode(const source_tag_filter& a) {
  return write([&](writer& w) { write_source_tag_filter(w, a); });
}
std::string encode(const std::vector<source_tag_filter>& list) {
  return write_array(list, write_source_tag_filter);
}

tag_filter decode_tag_filter(std::string_view body) {
  auto doc = parse_object(body);
  tag_filter f;
  f.id = optional_id(doc);
  f.name = required_string(doc, "name");
  const auto type = required_string(doc, "tagFilterType");
  const auto parsed = parse_tag_filter_type(type);
  if (!parsed) throw malformed("Unknown tag filter type '" + type + "'");
  f.type = *parsed;
  return f;
}

tag_filter_tag_path decode_tag_filter_tag_path(std::string_view body) {
  auto doc = parse_object(body);
  tag_filter_tag_path p;
  p.id = optional_id(doc);
  p.tag_filter_id = required_int64(doc, "tagFilterId");
  const auto tree = doc.FindMember("tagPath");
  if (tree == doc.MemberEnd()) throw malformed("Object is missing required member 'tagPath'");
  p.tree = decode_tag_path(tree->value, true);
  return p;
}

source_tag_filter decode_source_tag_filter(std::string_view body) {
  auto doc = parse_object(body);
  source_tag_filter a;
  a.id = optional_id(doc);
  a.source_type = required_string(doc, "sourceType");
  constexpr std::string_view known[] = {"user", "box", "directory", "scp", "import"};
  if (std::find(std::begin(known), std::end(known), a.source_type) == std::end(known))
    a.source_type = "unknown";
  a.source_name = required_string(doc, "sourceName");
  a.source_id = required_int64(doc, "sourceId");
  a.tag_filter_id = required_int64(doc, "tagFilterId");
  a.tag_filter_name = required_string(doc, "tagFilterName");
  return a;
}

std::vector<tag_value> decode_tag_mappings(std::string_view body) {
  auto doc = parse(body);
  if (!doc.IsArray()) throw malformed("Expected a JSON array of tag mappings");
  std::vector<tag_value> out;
  for (const auto& m : doc.GetArray()) {
    if (!m.IsObject()) throw malformed("A tag mapping must be an object");
    auto path = m.FindMember("tagPath");
    if (path == m.MemberEnd()) throw malformed("Object is missing required member 'tagPath'");
    out.push_back({decode_tag_path(path->value, false), required_string(m, "value")});
  }
  return out;
}

namespace {

std::vector<std::string> profile_options(const rapidjson::Value& object) {
  auto profile = object.FindMember("profile");
  if (profile == object.MemberEnd() || !profile->value.IsObject())
    throw malformed("Object is missing required member 'profile'");
  std::vector<std::string> names;
  for (const auto& o : required_array(profile->value, "options").GetArray()) {
    if (o.IsString())
      names.emplace_back(o.GetString(), o.GetStringLength());
    else if (o.IsObject())
      names.push_back(required_string(o, "name"));
    else
      throw malformed("options must hold option names");
  }
  return names;
}

std::vector<tag_value> tag_values_of(const rapidjson::Value& object) {
  std::vector<tag_value> out;
  for (const auto& v : required_array(object, "tagValues").GetArray()) {
    if (!v.IsObject()) throw malformed("tagValues must hold objects");
    auto path = v.FindMember("tagPath");
    if (path == v.MemberEnd()) throw malformed("Object is missing required member 'tagPath'");
    out.push_back({decode_tag_path(path->value, false), required_string(v, "value")});
  }
  return out;
}

}  // namespace

std::pair<std::vector<std::string>, std::vector<tag_value>> decode_anonymization_data(
    std::string_view body) {
  auto doc = parse_object(body);
  return {profile_options(doc), tag_values_of(doc)};
}

std::pair<std::vector<std::string>, std::vector<image_tag_values>> decode_bulk_anonymization(
    std::string_view body) {
  auto doc = parse_object(body);
  std::vector<image_tag_values> set;
  for (const auto& i : required_array(doc, "imageTagValuesSet").GetArray()) {
    if (!i.IsObject()) throw malformed("imageTagValuesSet must hold objects");
    set.push_back({required_int64(i, "imageId"), tag_values_of(i)});
  }
  return {profile_options(doc), std::move(set)};
}

std::vector<std::int64_t> decode_ids(std::string_view body) {
  auto doc = parse(body);
  if (!doc.IsArray()) throw malformed("Expected a JSON array of ids");
  return int64_array(doc, "The list");
}

std::string decode_import_session_name(std::string_view body) {
  auto doc = parse_object(body);
  return required_string(doc, "name");
}

scu decode_scu(std::string_view body) {
  auto doc = parse_object(body);
  required_int64(doc, "id");
  return {-1, required_string(doc, "name"), required_string(doc, "aeTitle"),
          required_string(doc, "host"), required_int64(doc, "port")};
}

forwarding_rule decode_forwarding_rule(std::string_view body) {
  auto doc = parse_object(body);
  auto member_object = [&](const char* key) -> const rapidjson::Value& {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd())
      throw malformed(std::string("Object is missing required member '") + key + "'");
    if (!it->value.IsObject())
      throw malformed(std::string("Member '") + key + "' must be an object");
    return it->value;
  };
  required_int64(doc, "id");
  const auto& src = member_object("source");
  const auto& dest = member_object("destination");
  auto keep = doc.FindMember("keepImages");
  if (keep == doc.MemberEnd()) throw malformed("Object is missing required member 'keepImages'");
  if (!keep->value.IsBool()) throw malformed("Member 'keepImages' must be a boolean");
  return {-1,
          {required_string(src, "sourceType"), required_string(src, "sourceName"),
           required_int64(src, "sourceId")},
          {required_string(dest, "destinationType"), required_string(dest, "destinationName"),
           required_int64(dest, "destinationId")},
          keep->value.GetBool()};
}

scp decode_scp(std::string_view body) {
  auto doc = parse_object(body);
  scp s{required_int64(doc, "id"), required_string(doc, "name"), required_string(doc, "aeTitle"),
        required_int64(doc, "port")};
  // Optional, on when absent (docs/api.md#queryretrieve).
  if (auto qr = doc.FindMember("queryRetrieve"); qr != doc.MemberEnd()) {
    if (!qr->value.IsBool()) throw malformed("Member 'queryRetrieve' must be a boolean");
    s.query_retrieve = qr->value.GetBool();
  }
  return s;
}

std::string encode(const api_user& u) {
  return write([&](writer& w) { write_user(w, u); });
}

std::string encode(const std::vector<api_user>& users) { return write_array(users, write_user); }

std::string encode(const std::vector<log_entry>& entries) {
  return write_array(entries, [](writer& w, const log_entry& e) {
    w.StartObject();
    put(w, "id", e.id);
    put(w, "created", e.created);
    put(w, "entryType", to_string(e.type));
    put(w, "subject", e.subject);
    put(w, "message", e.message);
    w.EndObject();
  });
}

std::string encode(const std::vector<source>& sources) {
  return write_array(sources, [](writer& w, const source& s) {
    w.StartObject();
    put(w, "sourceType", s.type);
    put(w, "sourceName", s.name);
    put(w, "sourceId", s.id);
    w.EndObject();
  });
}

std::string encode(const std::vector<destination>& destinations) {
  return write_array(destinations, [](writer& w, const destination& d) {
    w.StartObject();
    put(w, "destinationType", d.type);
    put(w, "destinationName", d.name);
    put(w, "destinationId", d.id);
    w.EndObject();
  });
}

std::string encode(const dictionary_vr& vr) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "name", vr.name);
    put(w, "code", vr.code);
    w.EndObject();
  });
}

std::string encode(const dictionary_vm& vm) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "min", vm.min);
    if (vm.max >= 0) put(w, "max", vm.max);
    w.EndObject();
  });
}

std::string system_information(std::string_view version) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "version", version);
    w.EndObject();
  });
}

std::string encode(const system_status& s) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "version", s.version);
    put(w, "database", s.database);
    put(w, "role", s.role);
    put(w, "started", s.started);
    key(w, "storage");
    w.StartObject();
    put(w, "images", s.stored_images);
    put(w, "bytes", s.stored_bytes);
    w.EndObject();
    key(w, "ingested");
    w.StartArray();
    for (const auto& i : s.ingested) {
      w.StartObject();
      put(w, "sourceType", i.source_type);
      put(w, "images", i.images);
      put(w, "bytes", i.bytes);
      put(w, "failed", i.failed);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  });
}

std::string dictionary_keywords(const std::vector<std::string>& keywords) {
  return write([&](writer& w) {
    w.StartObject();
    w.Key("keywords");
    w.StartArray();
    for (const auto& k : keywords) w.String(k.data(), static_cast<rapidjson::SizeType>(k.size()));
    w.EndArray();
    w.EndObject();
  });
}

std::string dictionary_keyword(std::string_view keyword) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "keyword", keyword);
    w.EndObject();
  });
}

std::string dictionary_tag(std::uint32_t tag) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "tag", static_cast<std::int64_t>(tag));
    w.EndObject();
  });
}

credentials decode_user_pass(std::string_view body) {
  auto doc = parse_object(body);
  return {required_string(doc, "user"), required_string(doc, "pass")};
}

new_user decode_clear_text_user(std::string_view body) {
  auto doc = parse_object(body);
  new_user u;
  u.user = required_string(doc, "user");
  auto role_name = required_string(doc, "role");
  auto r = parse_role(role_name);
  if (!r) throw malformed("Unknown role '" + role_name + "'");
  u.user_role = *r;
  u.password = required_string(doc, "password");
  return u;
}

namespace {

void write_step(writer& w, const tag_path& path, std::size_t i) {
  const auto& step = path[i];
  w.StartObject();
  w.Key("tag");
  w.Int(static_cast<std::int32_t>(step.tag));
  put(w, "name", step.name);
  if (step.is_item) put(w, "item", step.item == 0 ? std::string("*") : std::to_string(step.item));
  if (i > 0) {
    w.Key("previous");
    write_step(w, path, i - 1);
  }
  w.EndObject();
}

void write_image_attribute(writer& w, const image_attribute& a) {
  w.StartObject();
  w.Key("tagPath");
  write_tag_path(w, a.tag_path);
  w.Key("namePath");
  w.StartArray();
  for (const auto& n : a.name_path) w.String(n.data(), static_cast<rapidjson::SizeType>(n.size()));
  w.EndArray();
  put(w, "vr", a.vr);
  put(w, "length", a.length);
  w.Key("values");
  w.StartArray();
  for (const auto& v : a.values) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  w.EndArray();
  w.EndObject();
}

/// The item of a step: an index (JSON integer or integer string), 0 for "*" (trees), or nullopt
/// when the step is a plain tag (no item, or one that is ignored).
std::optional<int> read_item(const rapidjson::Value& object, bool tree) {
  const auto it = object.FindMember("item");
  if (it == object.MemberEnd() || it->value.IsNull()) return std::nullopt;
  std::optional<std::int64_t> index;
  if (it->value.IsInt64()) {
    index = it->value.GetInt64();
  } else if (it->value.IsString()) {
    const std::string_view text(it->value.GetString(), it->value.GetStringLength());
    if (text == "*") return tree ? std::optional<int>(0) : std::nullopt;
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (!text.empty() && ec == std::errc{} && ptr == text.data() + text.size()) index = n;
  }
  if (!index) return std::nullopt;
  if (*index < 1 || *index > std::numeric_limits<int>::max()) {
    throw malformed("Tag path item index " + std::to_string(*index) + " is out of range");
  }
  return static_cast<int>(*index);
}

}  // namespace

void write_tag_path(writer& w, const tag_path& path) {
  if (path.empty()) {
    w.Null();
    return;
  }
  write_step(w, path, path.size() - 1);
}

tag_path decode_tag_path(const rapidjson::Value& value, bool tree) {
  if (!value.IsObject()) throw malformed("A tag path must be a JSON object");
  tag_path_step step;
  const auto tag = value.FindMember("tag");
  const auto name = value.FindMember("name");
  if (tag != value.MemberEnd() && (tag->value.IsInt() || tag->value.IsUint())) {
    step.tag =
        tag->value.IsInt() ? static_cast<std::uint32_t>(tag->value.GetInt()) : tag->value.GetUint();
  } else if (name != value.MemberEnd() && name->value.IsString()) {
    step.name.assign(name->value.GetString(), name->value.GetStringLength());
    if (step.name.empty()) throw malformed("A tag path node has an empty name and no tag");
  } else {
    throw malformed("A tag path node needs an integer 'tag' or a string 'name'");
  }
  if (const auto item = read_item(value, tree)) {
    step.is_item = true;
    step.item = *item;
  }
  tag_path path;
  if (const auto prev = value.FindMember("previous");
      prev != value.MemberEnd() && prev->value.IsObject()) {
    try {
      auto trunk = decode_tag_path(prev->value, tree);
      // Only an item trunk can lead to this node; anything else is dropped, as in 2.1.1.
      if (!trunk.empty() && trunk.back().is_item) path = std::move(trunk);
    } catch (const malformed&) {
    }
  }
  path.push_back(std::move(step));
  return path;
}

tag_path decode_tag_path(std::string_view body, bool tree) {
  return decode_tag_path(parse(body), tree);
}

std::string encode(const tag_path& path) {
  return write([&](writer& w) { write_tag_path(w, path); });
}

std::string encode(const image_attribute& a) {
  return write([&](writer& w) { write_image_attribute(w, a); });
}

std::string encode(const std::vector<image_attribute>& list) {
  return write_array(list, write_image_attribute);
}

std::string encode(const image_information& i) {
  return write([&](writer& w) {
    w.StartObject();
    put(w, "numberOfFrames", std::int64_t{i.number_of_frames});
    put(w, "frameIndex", std::int64_t{i.frame_index});
    put(w, "minimumPixelValue", i.minimum_pixel_value);
    put(w, "maximumPixelValue", i.maximum_pixel_value);
    w.EndObject();
  });
}

}  // namespace sbx::proto::json
