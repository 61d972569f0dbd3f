// SPDX-License-Identifier: Apache-2.0
// DICOMweb under /dicom-web (docs/dicomweb.md): QIDO-RS searches, WADO-RS retrieval, STOW-RS.
#include <fcntl.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <caf/event_based_actor.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>

#include "dicom/dictionary.hpp"
#include "http/multipart.hpp"
#include "http/routes/replies.hpp"
#include "http/routes/routes.hpp"

namespace sbx::http {
namespace {

using namespace proto;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* dicom_json_type = "application/dicom+json";

// ---------------------------------------------------------------------------------------------
// The attributes the index holds (docs/dicomweb.md#qido-rs)

enum class value_kind { uid, date, person_name, text, integer_string, code_list };

struct attribute {
  const char* keyword;
  std::uint32_t tag;
  const char* vr;
  qido_level level;  ///< the lowest search level that returns it
  bool returned_by_default;
  std::optional<qido_key> key;  ///< what it matches on; none for computed attributes
  value_kind kind;
  std::function<std::vector<std::string>(const qido_match&)> values;
};

std::vector<std::string> one(std::string v) { return {std::move(v)}; }

std::vector<std::string> split_any(std::string_view s, std::string_view separators) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = s.find_first_of(separators, start);
    out.emplace_back(s.substr(start, at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

const std::vector<attribute>& attributes() {
  using L = qido_level;
  using K = qido_key;
  using V = value_kind;
  static const std::vector<attribute> table{
      {"PatientName", 0x00100010, "PN", L::study, true, K::patient_name, V::person_name,
       [](const qido_match& m) { return one(m.pat.patient_name); }},
      {"PatientID", 0x00100020, "LO", L::study, true, K::patient_id, V::text,
       [](const qido_match& m) { return one(m.pat.patient_id); }},
      {"PatientBirthDate", 0x00100030, "DA", L::study, true, K::patient_birth_date, V::date,
       [](const qido_match& m) { return one(m.pat.patient_birth_date); }},
      {"PatientSex", 0x00100040, "CS", L::study, true, K::patient_sex, V::text,
       [](const qido_match& m) { return one(m.pat.patient_sex); }},
      {"PatientAge", 0x00101010, "AS", L::study, false, K::patient_age, V::text,
       [](const qido_match& m) { return one(m.stu.patient_age); }},
      {"StudyInstanceUID", 0x0020000D, "UI", L::study, true, K::study_instance_uid, V::uid,
       [](const qido_match& m) { return one(m.stu.study_instance_uid); }},
      {"StudyDate", 0x00080020, "DA", L::study, true, K::study_date, V::date,
       [](const qido_match& m) { return one(m.stu.study_date); }},
      {"StudyDescription", 0x00081030, "LO", L::study, true, K::study_description, V::text,
       [](const qido_match& m) { return one(m.stu.study_description); }},
      {"StudyID", 0x00200010, "SH", L::study, true, K::study_id, V::text,
       [](const qido_match& m) { return one(m.stu.study_id); }},
      {"AccessionNumber", 0x00080050, "SH", L::study, true, K::accession_number, V::text,
       [](const qido_match& m) { return one(m.stu.accession_number); }},
      {"ModalitiesInStudy", 0x00080061, "CS", L::study, true, K::modalities_in_study, V::code_list,
       [](const qido_match& m) { return m.modalities; }},
      {"NumberOfStudyRelatedSeries", 0x00201206, "IS", L::study, true, std::nullopt,
       V::integer_string,
       [](const qido_match& m) { return one(std::to_string(m.related_series)); }},
      {"NumberOfStudyRelatedInstances", 0x00201208, "IS", L::study, true, std::nullopt,
       V::integer_string,
       [](const qido_match& m) { return one(std::to_string(m.related_instances)); }},
      {"SeriesInstanceUID", 0x0020000E, "UI", L::series, true, K::series_instance_uid, V::uid,
       [](const qido_match& m) { return one(m.ser.series_instance_uid); }},
      {"Modality", 0x00080060, "CS", L::series, true, K::modality, V::text,
       [](const qido_match& m) { return one(m.ser.modality); }},
      {"SeriesDescription", 0x0008103E, "LO", L::series, true, K::series_description, V::text,
       [](const qido_match& m) { return one(m.ser.series_description); }},
      {"SeriesDate", 0x00080021, "DA", L::series, false, K::series_date, V::date,
       [](const qido_match& m) { return one(m.ser.series_date); }},
      {"ProtocolName", 0x00181030, "LO", L::series, false, K::protocol_name, V::text,
       [](const qido_match& m) { return one(m.ser.protocol_name); }},
      {"BodyPartExamined", 0x00180015, "CS", L::series, false, K::body_part_examined, V::text,
       [](const qido_match& m) { return one(m.ser.body_part_examined); }},
      {"Manufacturer", 0x00080070, "LO", L::series, false, K::manufacturer, V::text,
       [](const qido_match& m) { return one(m.ser.manufacturer); }},
      {"StationName", 0x00081010, "SH", L::series, false, K::station_name, V::text,
       [](const qido_match& m) { return one(m.ser.station_name); }},
      {"FrameOfReferenceUID", 0x00200052, "UI", L::series, false, K::frame_of_reference_uid, V::uid,
       [](const qido_match& m) { return one(m.ser.frame_of_reference_uid); }},
      {"NumberOfSeriesRelatedInstances", 0x00201209, "IS", L::series, true, std::nullopt,
       V::integer_string,
       [](const qido_match& m) { return one(std::to_string(m.related_instances)); }},
      {"SOPInstanceUID", 0x00080018, "UI", L::instance, true, K::sop_instance_uid, V::uid,
       [](const qido_match& m) { return one(m.img.sop_instance_uid); }},
      {"InstanceNumber", 0x00200013, "IS", L::instance, true, K::instance_number, V::integer_string,
       [](const qido_match& m) { return one(m.img.instance_number); }},
      {"ImageType", 0x00080008, "CS", L::instance, false, K::image_type, V::text,
       [](const qido_match& m) {
         return m.img.image_type.empty() ? std::vector<std::string>{}
                                         : split_any(m.img.image_type, "\\");
       }},
  };
  return table;
}

/// An attribute given by keyword or by tag (`0020000D`); nullptr if the index does not hold it.
const attribute* find_attribute(std::uint32_t tag) {
  for (const auto& a : attributes())
    if (a.tag == tag) return &a;
  return nullptr;
}

/// The tag a query parameter names (keyword or 8 hex digits), if it names one.
std::optional<std::uint32_t> tag_named(std::string_view name) {
  if (name.size() == 8 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c));
      })) {
    std::uint32_t tag = 0;
    std::from_chars(name.data(), name.data() + 8, tag, 16);
    return tag;
  }
  return dicom::tag_of(name);
}

// ---------------------------------------------------------------------------------------------
// Requests

[[noreturn]] void bad_request(const std::string& why) { throw rejection(text_response(400, why)); }

/// Decoded query pairs, in order.
std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& piece : split_any(raw, "&")) {
    if (piece.empty()) continue;
    const auto eq = piece.find('=');
    out.emplace_back(percent_decode(std::string_view(piece).substr(0, eq)),
                     eq == std::string::npos ? "" : percent_decode(piece.substr(eq + 1)));
  }
  return out;
}

/// One matching key from a query parameter (PS3.18 8.3.4, PS3.4 C.2.2.2).
qido_condition condition_of(const attribute& a, const std::string& value) {
  qido_condition c;
  c.key = *a.key;
  switch (a.kind) {
    case value_kind::uid:
    case value_kind::code_list:
      c.kind = qido_match_kind::uid_list;
      for (auto& v : split_any(value, "\\,"))
        if (!v.empty()) c.values.push_back(std::move(v));
      if (c.values.empty()) bad_request(std::string("Invalid value for ") + a.keyword);
      return c;
    case value_kind::date: {
      if (auto date = date_condition(c.key, value)) return *date;
      if (value.find('-') == std::string::npos)
        bad_request(std::string("Invalid date for ") + a.keyword + ": '" + value +
                    "' (expected YYYYMMDD or a range YYYYMMDD-YYYYMMDD)");
      bad_request(std::string("Invalid date range for ") + a.keyword + ": '" + value +
                  "' (expected YYYYMMDD-YYYYMMDD, -YYYYMMDD or YYYYMMDD-)");
    }
    default:
      break;
  }
  return text_condition(c.key, value, a.kind == value_kind::person_name);
}

/// What a QIDO-RS request asks for.
struct search {
  qido_query query;
  std::vector<const attribute*> extra;  ///< includefield and matched attributes to return
  bool all_fields = false;
  std::vector<std::string> warnings;
};

std::int64_t count_parameter(const std::string& name, const std::string& value) {
  std::int64_t n = -1;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc{} || ptr != value.data() + value.size() || n < 0)
    bad_request("The query parameter '" + name + "' must be a non-negative integer, not '" + value +
                "'");
  return n;
}

search parse_search(std::string_view raw, qido_level level) {
  search s;
  s.query.level = level;
  for (const auto& [name, value] : query_pairs(raw)) {
    if (name == "limit") {
      s.query.limit = count_parameter(name, value);
    } else if (name == "offset") {
      s.query.offset = count_parameter(name, value);
    } else if (name == "fuzzymatching") {
      if (value != "true" && value != "false")
        bad_request("The query parameter 'fuzzymatching' must be true or false");
      if (value == "true") s.warnings.push_back("fuzzy matching is not supported");
    } else if (name == "includefield") {
      for (const auto& field : split_any(value, ",")) {
        if (field == "all") {
          s.all_fields = true;
          continue;
        }
        auto tag = tag_named(field);
        if (!tag) bad_request("Unknown attribute in includefield: '" + field + "'");
        if (const auto* a = find_attribute(*tag))
          s.extra.push_back(a);
        else
          s.warnings.push_back("the attribute " + field + " is not indexed");
      }
    } else {
      auto tag = tag_named(name);
      if (!tag) bad_request("Unknown query parameter or attribute: '" + name + "'");
      const auto* a = find_attribute(*tag);
      if (!a || !a->key) {
        s.warnings.push_back("the attribute " + name + " is not indexed and was not matched");
        continue;
      }
      if (a->level > level) {
        s.warnings.push_back("the attribute " + name + " is below the search level");
        continue;
      }
      s.extra.push_back(a);
      if (!value.empty()) s.query.conditions.push_back(condition_of(*a, value));
    }
  }
  return s;
}

qido_condition uid_is(qido_key key, const std::string& uid) {
  return {key, qido_match_kind::exact, {uid}, false};
}

/// `http://host/dicom-web`, from the request's Host (RetrieveURL, STOW-RS answers).
std::string base_url(const http_request& r) {
  std::string scheme(r.header("x-forwarded-proto").value_or("http"));
  std::string host(r.header("host").value_or("localhost"));
  return scheme + "://" + host + "/dicom-web";
}

/// 406 unless the Accept header allows one of `types` (or anything).
void check_accept(const http_request& r, std::initializer_list<std::string_view> types) {
  auto accept = r.header("accept");
  if (!accept || accept->empty()) return;
  std::string lower(*accept);
  std::ranges::transform(lower, lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("*/*") != std::string::npos) return;
  for (auto t : types)
    if (lower.find(t) != std::string::npos) return;
  std::string list;
  for (auto t : types) list += (list.empty() ? "" : ", ") + std::string(t);
  throw rejection(text_response(
      406, "Not acceptable: " + std::string(*accept) + "\nThis resource is available as " + list));
}

// ---------------------------------------------------------------------------------------------
// Answers

void write_values(json_writer& w, const attribute& a, const std::vector<std::string>& values) {
  char key[9];
  std::snprintf(key, sizeof key, "%08X", a.tag);
  w.Key(key);
  w.StartObject();
  w.Key("vr");
  w.String(a.vr);
  bool any = std::any_of(values.begin(), values.end(), [](const auto& v) { return !v.empty(); });
  if (any) {
    w.Key("Value");
    w.StartArray();
    for (const auto& v : values) {
      if (v.empty()) {
        w.Null();
      } else if (a.kind == value_kind::person_name) {
        w.StartObject();
        w.Key("Alphabetic");
        w.String(v.c_str());
        w.EndObject();
      } else if (a.kind == value_kind::integer_string) {
        std::int64_t n = 0;
        auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec == std::errc{} && ptr == v.data() + v.size())
          w.Int64(n);
        else
          w.Null();
      } else {
        w.String(v.c_str());
      }
    }
    w.EndArray();
  }
  w.EndObject();
}

std::string retrieve_url(const std::string& base, const qido_match& m, qido_level level) {
  auto url = base + "/studies/" + m.stu.study_instance_uid;
  if (level != qido_level::study) url += "/series/" + m.ser.series_instance_uid;
  if (level == qido_level::instance) url += "/instances/" + m.img.sop_instance_uid;
  return url;
}

std::string qido_json(const search& s, const std::vector<qido_match>& matches,
                      const std::string& base) {
  const auto level = s.query.level;
  std::vector<const attribute*> shown;
  for (const auto& a : attributes()) {
    if (a.level > level) continue;
    // Counts and ModalitiesInStudy belong to their own level's search only.
    if ((!a.key || a.kind == value_kind::code_list) && a.level != level) continue;
    bool wanted = a.returned_by_default || s.all_fields ||
                  std::find(s.extra.begin(), s.extra.end(), &a) != s.extra.end();
    if (wanted) shown.push_back(&a);
  }
  std::sort(shown.begin(), shown.end(), [](auto* x, auto* y) { return x->tag < y->tag; });
  const attribute retrieve{"RetrieveURL", 0x00081190,       "UR",   level, true,
                           std::nullopt,  value_kind::text, nullptr};
  const attribute charset{"SpecificCharacterSet", 0x00080005,       "CS",   level, true,
                          std::nullopt,           value_kind::text, nullptr};
  rapidjson::StringBuffer out;
  json_writer w(out);
  w.StartArray();
  for (const auto& m : matches) {
    w.StartObject();
    write_values(w, charset, {"ISO_IR 192"});
    bool url_written = false;
    for (const auto* a : shown) {
      if (!url_written && a->tag > retrieve.tag) {
        write_values(w, retrieve, {retrieve_url(base, m, level)});
        url_written = true;
      }
      write_values(w, *a, a->values(m));
    }
    if (!url_written) write_values(w, retrieve, {retrieve_url(base, m, level)});
    w.EndObject();
  }
  w.EndArray();
  return {out.GetString(), out.GetSize()};
}

/// A `Warning: 299` header (PS3.18 8.3.4) with the text made safe for a quoted header value.
std::pair<std::string, std::string> warning(std::string_view text) {
  std::string safe;
  for (char c : text)
    safe += (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') ? ' ' : c;
  return {"Warning", "299 slicebox \"" + safe + "\""};
}

http_response dicom_json_response(std::string body) {
  return {.status = 200, .content_type = dicom_json_type, .body = std::move(body)};
}

std::string new_boundary() {
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  std::string out = "sbx-";
  static constexpr char digits[] = "0123456789abcdef";
  for (auto b : bytes) out += {digits[b >> 4], digits[b & 15]};
  return out;
}

/// Stored files as the parts of a multipart/related body, read from disk while it is sent.
class multipart_files final : public body_source {
 public:
  multipart_files(std::vector<std::string> paths, const std::string& boundary,
                  const std::string& part_type)
      : paths_(std::move(paths)),
        part_head_("--" + boundary + "\r\nContent-Type: " + part_type + "\r\n\r\n"),
        closing_("--" + boundary + "--\r\n"),
        slack_(2 + part_head_.size() + closing_.size()),
        size_(std::max(chunk, 2 * slack_)) {}
  ~multipart_files() override { close_file(); }

  /// Up to `size_` bytes of the body, across as many (small) files as fit: one write to the
  /// socket for many small instances rather than two each. Files are read straight into the one
  /// buffer, which is never cleared nor zero-filled.
  std::string_view next() override {
    if (!buffer_) buffer_ = std::make_unique_for_overwrite<char[]>(size_);
    std::size_t used = 0;
    const auto put = [&](std::string_view s) {
      std::memcpy(buffer_.get() + used, s.data(), s.size());
      used += s.size();
    };
    // A part's end, the next part's header or the closing delimiter always fit in the slack.
    while (!done_ && used + slack_ < size_) {
      if (fd_ < 0) {
        if (index_ == paths_.size()) {
          put(closing_);
          done_ = true;
          break;
        }
        fd_ = ::open(paths_[index_].c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0)
          throw std::runtime_error("cannot open " + paths_[index_] + ": " + std::strerror(errno));
        put(part_head_);
      }
      auto n = ::read(fd_, buffer_.get() + used, size_ - used);
      if (n < 0)
        throw std::runtime_error("cannot read " + paths_[index_] + ": " + std::strerror(errno));
      used += static_cast<std::size_t>(n);
      if (n == 0) {
        close_file();
        ++index_;
        put("\r\n");
      }
    }
    return {buffer_.get(), used};
  }

 private:
  static constexpr std::size_t chunk = 1024 * 1024;
  void close_file() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::vector<std::string> paths_;
  std::string part_head_, closing_;
  std::size_t slack_, size_;
  std::size_t index_ = 0;
  int fd_ = -1;
  bool done_ = false;
  std::unique_ptr<char[]> buffer_;
};

http_response multipart_response(const std::string& boundary, const std::string& part_type) {
  http_response r{.status = 200};
  r.content_type = "multipart/related; type=\"" + part_type + "\"; boundary=" + boundary;
  return r;
}

// ---------------------------------------------------------------------------------------------
// The routes

/// The UIDs in a WADO-RS path, as conditions on the instances they name.
qido_query instances_named(const exchange_ptr& ex) {
  qido_query q{qido_level::instance, {}, 0, -1, false};
  const auto& p = ex->params.values;
  auto text = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [k, v] : p)
      if (k == name) return percent_decode(v);
    return std::nullopt;
  };
  if (auto v = text("study")) q.conditions.push_back(uid_is(qido_key::study_instance_uid, *v));
  if (auto v = text("series")) q.conditions.push_back(uid_is(qido_key::series_instance_uid, *v));
  if (auto v = text("instance")) q.conditions.push_back(uid_is(qido_key::sop_instance_uid, *v));
  return q;
}

/// Asks for the instances a WADO-RS path names; none is 404.
template <class F>
void with_instances(caf::event_based_actor* self, const exchange_ptr& ex, const metadata_actor& md,
                    F then) {
  ask(self, ex, md, query_atom::value, qido_atom::value, instances_named(ex))
      .then([ex, then](std::vector<qido_match>& found) mutable {
        if (found.empty())
          return ex->reply(text_response(404, "The requested resource could not be found."));
        then(found);
      });
}

std::vector<std::string> keys_of(const std::vector<qido_match>& found) {
  std::vector<std::string> keys;
  keys.reserve(found.size());
  for (const auto& m : found) keys.push_back(m.storage_key);
  return keys;
}

std::vector<std::int64_t> frame_numbers(const std::string& list) {
  std::vector<std::int64_t> out;
  for (const auto& piece : split_any(list, ",")) {
    std::int64_t n = 0;
    auto [ptr, ec] = std::from_chars(piece.data(), piece.data() + piece.size(), n);
    if (piece.empty() || ec != std::errc{} || ptr != piece.data() + piece.size() || n < 1)
      bad_request("Invalid frame list '" + list + "': expected frame numbers from 1, e.g. 1,3");
    out.push_back(n);
  }
  return out;
}

void add_qido_routes(router& r, const services& s) {
  auto md = s.metadata;
  auto qido = [md](qido_level level, std::vector<std::string> path_keys) {
    return [md, level, path_keys](caf::event_based_actor* self, const exchange_ptr& ex) {
      check_accept(ex->request, {"application/dicom+json", "application/json"});
      auto sr = parse_search(ex->request.query(), level);
      if (!path_keys.empty())
        sr.query.conditions.push_back(
            uid_is(qido_key::study_instance_uid, percent_decode(ex->params.text("study"))));
      if (path_keys.size() > 1)
        sr.query.conditions.push_back(
            uid_is(qido_key::series_instance_uid, percent_decode(ex->params.text("series"))));
      auto base = base_url(ex->request);
      ask(self, ex, md, query_atom::value, qido_atom::value, sr.query)
          .then([ex, sr, base](const std::vector<qido_match>& found) {
            auto res = dicom_json_response(qido_json(sr, found, base));
            for (const auto& w : sr.warnings) res.headers.push_back(warning(w));
            ex->reply(std::move(res));
          });
    };
  };
  r.add("GET", "/dicom-web/studies", access::user, qido(qido_level::study, {}));
  r.add("GET", "/dicom-web/series", access::user, qido(qido_level::series, {}));
  r.add("GET", "/dicom-web/instances", access::user, qido(qido_level::instance, {}));
  r.add("GET", "/dicom-web/studies/{study:str}/series", access::user,
        qido(qido_level::series, {"study"}));
  r.add("GET", "/dicom-web/studies/{study:str}/instances", access::user,
        qido(qido_level::instance, {"study"}));
  r.add("GET", "/dicom-web/studies/{study:str}/series/{series:str}/instances", access::user,
        qido(qido_level::instance, {"study", "series"}));
}

void add_wado_routes(router& r, const services& s) {
  auto md = s.metadata;
  auto dw = s.dicomweb;
  auto retrieve = [md, dw](caf::event_based_actor* self, const exchange_ptr& ex) {
    check_accept(ex->request, {"multipart/related", "application/dicom"});
    with_instances(self, ex, md, [self, ex, dw](std::vector<qido_match>& found) {
      ask(self, ex, dw, get_atom::value, file_atom::value, keys_of(found))
          .then([ex](std::vector<std::string>& paths) {
            auto boundary = new_boundary();
            auto res = multipart_response(boundary, "application/dicom");
            res.source =
                std::make_shared<multipart_files>(std::move(paths), boundary, "application/dicom");
            ex->reply(std::move(res));
          });
    });
  };
  auto metadata = [md, dw](caf::event_based_actor* self, const exchange_ptr& ex) {
    check_accept(ex->request, {"application/dicom+json", "application/json"});
    with_instances(self, ex, md, [self, ex, dw](std::vector<qido_match>& found) {
      ask(self, ex, dw, get_atom::value, dicomjson_atom::value, keys_of(found))
          .then([ex](std::string& json) { ex->reply(dicom_json_response(std::move(json))); });
    });
  };
  const std::string study = "/dicom-web/studies/{study:str}";
  const std::string series = study + "/series/{series:str}";
  const std::string instance = series + "/instances/{instance:str}";
  for (const auto& path : {study, series, instance}) {
    r.add("GET", path, access::user, retrieve);
    r.add("GET", path + "/metadata", access::user, metadata);
  }

  r.add("GET", instance + "/frames/{frames:str}", access::user,
        [md, dw](caf::event_based_actor* self, const exchange_ptr& ex) {
          check_accept(ex->request, {"multipart/related", "application/octet-stream"});
          auto numbers = frame_numbers(percent_decode(ex->params.text("frames")));
          // Compressed frames go as stored when the client takes any syntax (`transfer-syntax=*`,
          // as OHIF asks), else decoded to the uncompressed default (PS3.18 8.7.3).
          const auto accept = ex->request.header("accept").value_or("");
          const bool any_syntax = accept.find("transfer-syntax=*") != std::string_view::npos ||
                                  accept.find("transfer-syntax=\"*\"") != std::string_view::npos;
          with_instances(
              self, ex, md, [self, ex, dw, numbers, any_syntax](std::vector<qido_match>& found) {
                ask(self, ex, dw, get_atom::value, frames_atom::value, found.front().storage_key,
                    numbers, any_syntax)
                    .then([ex](const std::vector<std::string>& frames, const std::string& syntax) {
                      const std::string type = "application/octet-stream";
                      auto boundary = new_boundary();
                      auto res = multipart_response(boundary, type);
                      for (const auto& f : frames) {
                        res.body += "--" + boundary + "\r\nContent-Type: " + type +
                                    "; transfer-syntax=" + syntax + "\r\n\r\n";
                        res.body += f;
                        res.body += "\r\n";
                      }
                      res.body += "--" + boundary + "--\r\n";
                      ex->reply(std::move(res));
                    });
              });
        });

  auto images = s.images;
  auto rendered = [md, images](caf::event_based_actor* self, const exchange_ptr& ex) {
    check_accept(ex->request, {"image/png", "image/*"});
    int frame = 1;
    for (const auto& [k, v] : ex->params.values)
      if (k == "frames") {
        auto numbers = frame_numbers(percent_decode(v));
        if (numbers.size() != 1) bad_request("A rendered frame is one frame number");
        if (numbers.front() > INT32_MAX) bad_request("Invalid frame number");
        frame = static_cast<int>(numbers.front());
      }
    with_instances(self, ex, md, [self, ex, images, frame](std::vector<qido_match>& found) {
      ask(self, ex, images, png_atom::value, found.front().img.id, png_request{frame, 0, 0, 0})
          .then([ex](const std::string& png) {
            ex->reply({.status = 200, .content_type = "image/png", .body = png});
          });
    });
  };
  r.add("GET", instance + "/rendered", access::user, rendered);
  r.add("GET", instance + "/frames/{frames:str}/rendered", access::user, rendered);
}

// ---------------------------------------------------------------------------------------------
// STOW-RS

// PS3.18 and PS3.4 failure reasons of the FailedSOPSequence.
constexpr std::uint16_t processing_failure = 0x0110;
constexpr std::uint16_t sop_class_not_supported = 0x0122;
constexpr std::uint16_t study_mismatch = 0xA900;
constexpr std::uint16_t cannot_understand = 0xC000;

struct stow_outcome {
  std::string sop_class, sop_instance, study;
  std::optional<std::uint16_t> failure;
  std::string why;
};

void write_text(json_writer& w, const char* tag, const char* vr, const std::string& value) {
  w.Key(tag);
  w.StartObject();
  w.Key("vr");
  w.String(vr);
  if (!value.empty()) {
    w.Key("Value");
    w.StartArray();
    w.String(value.c_str());
    w.EndArray();
  }
  w.EndObject();
}

http_response stow_response(const std::vector<stow_outcome>& outcomes, const std::string& base) {
  rapidjson::StringBuffer out;
  json_writer w(out);
  std::size_t stored = 0;
  for (const auto& o : outcomes) stored += o.failure ? 0 : 1;
  w.StartObject();
  bool one_study = !outcomes.empty() && stored > 0;
  for (const auto& o : outcomes)
    if (!o.failure && o.study != outcomes.front().study) one_study = false;
  if (one_study) write_text(w, "00081190", "UR", base + "/studies/" + outcomes.front().study);
  if (stored < outcomes.size()) {
    w.Key("00081198");
    w.StartObject();
    w.Key("vr");
    w.String("SQ");
    w.Key("Value");
    w.StartArray();
    for (const auto& o : outcomes) {
      if (!o.failure) continue;
      w.StartObject();
      write_text(w, "00081150", "UI", o.sop_class);
      write_text(w, "00081155", "UI", o.sop_instance);
      w.Key("00081197");
      w.StartObject();
      w.Key("vr");
      w.String("US");
      w.Key("Value");
      w.StartArray();
      w.Uint(*o.failure);
      w.EndArray();
      w.EndObject();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  if (stored > 0) {
    w.Key("00081199");
    w.StartObject();
    w.Key("vr");
    w.String("SQ");
    w.Key("Value");
    w.StartArray();
    for (const auto& o : outcomes) {
      if (o.failure) continue;
      w.StartObject();
      write_text(w, "00081150", "UI", o.sop_class);
      write_text(w, "00081155", "UI", o.sop_instance);
      write_text(w, "00081190", "UR",
                 base + "/studies/" + o.study + "/instances/" + o.sop_instance);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndObject();
  // 200 all stored, 202 some, 409 none (PS3.18 10.5.3).
  const int status = stored == outcomes.size() ? 200 : stored > 0 ? 202 : 409;
  http_response r{.status = status,
                  .content_type = dicom_json_type,
                  .body = std::string(out.GetString(), out.GetSize())};
  for (const auto& o : outcomes)
    if (o.failure) r.headers.push_back(warning(o.why));
  return r;
}

std::uint16_t failure_of(const caf::error& e) {
  if (e.category() == error_category && static_cast<errc>(e.code()) == errc::bad_request)
    return error_response(e).body.find("presentation context") != std::string::npos
               ? sop_class_not_supported
               : cannot_understand;
  return processing_failure;
}

/// Stores the parts through ingest all at once, then answers: the ingest workers flush the
/// parts' files side by side and the index commits them together, where one part after the
/// other paid a flush and a commit each.
void store_parts(caf::event_based_actor* self, const exchange_ptr& ex, const ingest_actor& ingest,
                 std::shared_ptr<std::vector<stow_outcome>> outcomes,
                 std::shared_ptr<std::vector<std::string>> files, const std::string& base) {
  auto left = std::make_shared<std::size_t>(0);
  for (const auto& o : *outcomes)
    if (!o.failure) ++*left;
  auto answer = [=] {
    ex->reply(stow_response(*outcomes, base));
    self->quit();
  };
  if (*left == 0) return answer();
  for (std::size_t i = 0; i < outcomes->size(); ++i) {
    if ((*outcomes)[i].failure) continue;
    ingest_request request{(*files)[i], source{"user", ex->user.user, ex->user.id},
                           context_set::extended};
    self->request(ingest, caf::infinite, ingest_atom::value, std::move(request))
        .then(
            [=](const ingest_result&) {
              if (--*left == 0) answer();
            },
            [=](caf::error& e) {
              auto& o = (*outcomes)[i];
              o.failure = failure_of(e);
              o.why = error_response(e).body;
              if (--*left == 0) answer();
            });
  }
}

void add_stow_routes(router& r, const services& s) {
  auto dw = s.dicomweb;
  auto ingest = s.ingest;
  auto stow = [dw, ingest](caf::event_based_actor* self, const exchange_ptr& ex) {
    check_accept(ex->request, {"application/dicom+json", "application/json"});
    const auto type = ex->request.header("content-type").value_or("");
    auto related = multipart_related(type);
    if (!related || (!related->type.empty() && media_type_of(related->type) != "application/dicom"))
      throw rejection(text_response(
          415, "The request's Content-Type [" + std::string(type) +
                   "] is not supported. Expected:\nmultipart/related; type=\"application/dicom\""));
    if (related->boundary.empty())
      bad_request("The multipart/related Content-Type has no usable boundary");
    if (!ex->request.body_error.empty()) bad_request(ex->request.body_error);
    std::string study;
    for (const auto& [k, v] : ex->params.values)
      if (k == "study") study = percent_decode(v);
    auto base = base_url(ex->request);
    // Splitting the body reads and writes files: on a thread of its own.
    self->spawn<caf::detached>([ex, dw, ingest, boundary = related->boundary, study,
                                base](caf::event_based_actor* worker) {
      std::vector<related_part> parts;
      try {
        std::size_t n = 0;
        const auto body = ex->request.body_file;
        parts = split_parts(body, boundary, [&] { return body + ".part" + std::to_string(++n); });
      } catch (const std::invalid_argument& e) {
        return ex->reply(text_response(400, e.what()));
      } catch (const std::exception& e) {
        spdlog::error("STOW-RS: {}", e.what());
        return ex->reply(text_response(500, "There was an internal server error."));
      }
      if (parts.empty()) return ex->reply(text_response(400, "The request has no parts"));
      std::vector<std::string> files;
      auto outcomes = std::make_shared<std::vector<stow_outcome>>(parts.size());
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto media = media_type_of(parts[i].content_type);
        if (!media.empty() && media != "application/dicom") {
          std::error_code ec;
          std::filesystem::remove(parts[i].file, ec);
          (*outcomes)[i].failure = cannot_understand;
          (*outcomes)[i].why =
              "part " + std::to_string(i + 1) + " is " + media + ", not application/dicom";
          files.emplace_back();
          continue;
        }
        files.push_back(parts[i].file.string());
      }
      worker->request(dw, caf::infinite, stow_atom::value, files)
          .then(
              [=](const std::vector<stow_part>& read) {
                auto ready = std::make_shared<std::vector<std::string>>(read.size());
                for (std::size_t i = 0; i < read.size(); ++i) {
                  auto& o = (*outcomes)[i];
                  if (o.failure) continue;
                  const auto& p = read[i];
                  o.sop_class = p.sop_class;
                  o.sop_instance = p.sop_instance;
                  o.study = p.study_instance;
                  (*ready)[i] = p.file;
                  if (!p.problem.empty()) {
                    o.failure = cannot_understand;
                    o.why = p.problem;
                  } else if (!study.empty() && p.study_instance != study) {
                    o.failure = study_mismatch;
                    o.why = "instance " + p.sop_instance + " is not of study " + study;
                    std::error_code ec;
                    std::filesystem::remove(p.file, ec);
                  }
                }
                store_parts(worker, ex, ingest, outcomes, ready, base);
              },
              [=](caf::error& e) {
                ex->fail(e);
                worker->quit();
              });
    });
  };
  r.add_upload("POST", "/dicom-web/studies", access::user, stow);
  r.add_upload("POST", "/dicom-web/studies/{study:str}", access::user, stow);
}

}  // namespace

void add_dicomweb_routes(router& r, const services& s) {
  add_qido_routes(r, s);
  add_wado_routes(r, s);
  add_stow_routes(r, s);
}

}  // namespace sbx::http
