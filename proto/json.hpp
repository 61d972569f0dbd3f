// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "proto/anonymization_messages.hpp"
#include "proto/dictionary_messages.hpp"
#include "proto/directory_watch.hpp"
#include "proto/forwarding.hpp"
#include "proto/image_attribute.hpp"
#include "proto/import_session.hpp"
#include "proto/log.hpp"
#include "proto/metadata.hpp"
#include "proto/scp.hpp"
#include "proto/scu.hpp"
#include "proto/series_type.hpp"
#include "proto/source.hpp"
#include "proto/system.hpp"
#include "proto/tag_filter.hpp"
#include "proto/tag_path.hpp"
#include "proto/user.hpp"
#include "proto/user_messages.hpp"

/// JSON codecs with the API's exact wire names (docs/api.md#conventions).
namespace sbx::proto::json {

/// A request body that is not valid JSON or lacks a required field; what() says why.
class malformed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// How deep arrays and objects may nest in a request body.
inline constexpr int max_nesting = 64;

/// Throws malformed if `body` nests arrays and objects deeper than max_nesting: the readers
/// recurse, so a hostile body of a few MB of `[` would otherwise exhaust the stack.
void check_nesting(std::string_view body);

/// `ApiUser` / `UserInfo`: {"id","user","role"}; never a password hash.
std::string encode(const api_user& u);
/// A JSON array of `ApiUser`.
std::string encode(const std::vector<api_user>& users);
/// A JSON array of `LogEntry`.
std::string encode(const std::vector<log_entry>& entries);
/// A JSON array of `Source`.
std::string encode(const std::vector<source>& sources);
/// A JSON array of `Destination`.
std::string encode(const std::vector<destination>& destinations);
/// `DicomValueRepresentation` {"name","code"}.
std::string encode(const dictionary_vr& vr);
/// `Multiplicity` {"min","max"?}.
std::string encode(const dictionary_vm& vm);

/// `Patient`, `Study`, `Series`, `Image`, `FlatSeries` (values wrapped as {"value": ...}).
std::string encode(const patient& p);
std::string encode(const study& s);
std::string encode(const series& s);
std::string encode(const image& i);
std::string encode(const flat_series& f);
std::string encode(const std::vector<patient>& list);
std::string encode(const std::vector<study>& list);
std::string encode(const std::vector<series>& list);
std::string encode(const std::vector<image>& list);
std::string encode(const std::vector<flat_series>& list);
/// `SeriesTag` and a list of them.
std::string encode(const series_tag& t);
std::string encode(const std::vector<series_tag>& list);
/// `SeriesType`, `SeriesTypeRule`, `SeriesTypeRuleAttribute` and lists of them.
std::string encode(const series_type& t);
std::string encode(const std::vector<series_type>& list);
std::string encode(const series_type_rule& r);
std::string encode(const std::vector<series_type_rule>& list);
std::string encode(const series_type_rule_attribute& a);
std::string encode(const std::vector<series_type_rule_attribute>& list);
/// `SeriesIdSeriesTypesResult` {"seriesIdSeriesTypes":[{"seriesId","seriesType"}]}.
std::string encode(const std::vector<series_id_series_type>& links);
/// `UpdateSeriesTypesRunningStatus` {"running"}.
std::string running_status(bool running);
/// `WatchedDirectory` and a list of them.
std::string encode(const watched_directory& w);
std::string encode(const std::vector<watched_directory>& list);
/// One `Source`.
std::string encode(const source& s);
/// `ImportSession` and a list of them.
std::string encode(const import_session& s);
std::string encode(const std::vector<import_session>& list);
/// `ScuData` {"id","name","aeTitle","host","port"} and a list of them.
std::string encode(const scu& s);
std::string encode(const std::vector<scu>& list);
/// `ForwardingRule` and a list of them.
std::string encode(const forwarding_rule& r);
std::string encode(const std::vector<forwarding_rule>& list);

/// `TagFilter` and a list of them.
std::string encode(const tag_filter& f);
std::string encode(const std::vector<tag_filter>& list);
/// `TagFilterTagPath` (the tree in `TagTree` JSON) and a list of them.
std::string encode(const tag_filter_tag_path& p);
std::string encode(const std::vector<tag_filter_tag_path>& list);
/// `SourceTagFilter` and a list of them.
std::string encode(const source_tag_filter& a);
std::string encode(const std::vector<source_tag_filter>& list);
/// `ScpData` {"id","name","aeTitle","port"} and a list of them.
std::string encode(const scp& s);
std::string encode(const std::vector<scp>& list);

/// `TagPath` / `TagTree` JSON (docs/api.md#tag-paths); see json_tag_path.hpp for the writer-level
/// form.
std::string encode(const tag_path& path);
/// `ImageAttribute` {"tagPath","namePath","vr","length","values"} and a list of them.
std::string encode(const image_attribute& a);
std::string encode(const std::vector<image_attribute>& list);
/// `ImageInformation` {"numberOfFrames","frameIndex","minimumPixelValue","maximumPixelValue"}.
std::string encode(const image_information& i);

/// `AnonymizationKey` and a list of them.
std::string encode(const anonymization_key& k);
std::string encode(const std::vector<anonymization_key>& list);
/// A list of `AnonymizationKeyValue` (tag paths in JSON form).
std::string encode(const std::vector<key_value_entry>& list);
/// A list of `ConfidentialityOption`.
std::string encode(const std::vector<confidentiality_option_info>& list);

/// `SystemInformation` {"version"}.
std::string system_information(std::string_view version);
/// {"version","database","started","storage":{"images","bytes"},"ingested":[{"sourceType",
/// "images","bytes","failed"}]} (`GET /api/system/status`).
std::string encode(const system_status& s);
/// `DicomDictionaryKeywords` {"keywords":[...]}.
std::string dictionary_keywords(const std::vector<std::string>& keywords);
/// `DicomDictionaryKeyword` {"keyword"}.
std::string dictionary_keyword(std::string_view keyword);
/// `DicomDictionaryTag` {"tag"}.
std::string dictionary_tag(std::uint32_t tag);

/// Reads `UserPass` {"user","pass"}.
credentials decode_user_pass(std::string_view body);
/// Reads a `Query` body (docs/api.md#query-bodies).
metadata_query decode_query(std::string_view body);
/// Reads a `SeriesTag` body {"id","name"} (id optional, -1 if absent).
series_tag decode_series_tag(std::string_view body);
/// Reads a `SeriesType` body {"id","name"} (id optional, -1 if absent).
series_type decode_series_type(std::string_view body);
/// Reads a `SeriesTypeRule` body; only `seriesTypeId` is used.
series_type_rule decode_series_type_rule(std::string_view body);
/// Reads a `SeriesTypeRuleAttribute` body {"seriesTypeRuleId","tag","name","tagPath"?,
/// "namePath"?,"values"} (id ignored).
series_type_rule_attribute decode_series_type_rule_attribute(std::string_view body);
/// Reads a `WatchedDirectory` body {"id","name","path"} (id optional).
watched_directory decode_watched_directory(std::string_view body);
/// Reads `IdsQuery` {"ids":[...]}.
std::vector<std::int64_t> decode_ids_query(std::string_view body);
/// Reads a JSON array of `TagMapping` {"tagPath": TagPathTag, "value": "..."}; names in paths
/// are left for the caller to resolve.
std::vector<tag_value> decode_tag_mappings(std::string_view body);
/// Reads `AnonymizationData` {"profile":{"options":[...]},"tagValues":[...]}: the option names
/// (options may be objects with a `name` or plain strings) and the tag values.
std::pair<std::vector<std::string>, std::vector<tag_value>> decode_anonymization_data(
    std::string_view body);
/// Reads `BulkAnonymizationData` {"profile":..., "imageTagValuesSet":[{"imageId","tagValues"}]}.
std::pair<std::vector<std::string>, std::vector<image_tag_values>> decode_bulk_anonymization(
    std::string_view body);
/// Reads a JSON array of ids.
std::vector<std::int64_t> decode_ids(std::string_view body);
/// Reads an `ImportSession` body; only its name is used.
std::string decode_import_session_name(std::string_view body);
/// Reads `ScpData` {"id","name","aeTitle","port"} (every field required; the id is ignored).
scp decode_scp(std::string_view body);

/// Reads a `TagFilter` body {"id","name","tagFilterType"} (id optional, ignored); a type other
/// than WHITELIST or BLACKLIST is malformed.
tag_filter decode_tag_filter(std::string_view body);
/// Reads a `TagFilterTagPath` body {"id","tagFilterId","tagPath": TagTree} (id optional,
/// ignored); names in the tree are left for the caller to resolve.
tag_filter_tag_path decode_tag_filter_tag_path(std::string_view body);
/// Reads a `SourceTagFilter` body (id optional, ignored); a source type other than user, box,
/// directory, scp and import reads as `unknown` (as in Slicebox).
source_tag_filter decode_source_tag_filter(std::string_view body);
/// Reads `ScuData` {"id","name","aeTitle","host","port"}, every member required (id ignored).
scu decode_scu(std::string_view body);
/// Reads `ForwardingRule` {"id","source":Source,"destination":Destination,"keepImages"}, every
/// member required (id ignored); types are kept as sent.
forwarding_rule decode_forwarding_rule(std::string_view body);

/// Reads `ClearTextUser` {"user","role","password"}; an unknown role is malformed.
new_user decode_clear_text_user(std::string_view body);

}  // namespace sbx::proto::json
