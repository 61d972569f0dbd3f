// SPDX-License-Identifier: Apache-2.0
#include "dicom/dictionary.hpp"

#include <gdcmDict.h>
#include <gdcmDicts.h>
#include <gdcmGlobal.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <map>

namespace sbx::dicom {

namespace {

const gdcm::Dict& public_dict() { return gdcm::Global::GetInstance().GetDicts().GetPublicDict(); }

gdcm::Tag to_gdcm(std::uint32_t tag) {
  return gdcm::Tag(static_cast<std::uint16_t>(tag >> 16), static_cast<std::uint16_t>(tag));
}

/// The public dictionary entry of `tag`, or nullptr. GDCM's own GetDictEntry answers unknown tags
/// with its (FFFF,FFFF) placeholder entry, which would pass for a real one.
const gdcm::DictEntry* find_entry(std::uint32_t tag) {
  const auto& dict = public_dict();
  if (dict.GetKeywordFromTag(to_gdcm(tag)) == nullptr) return nullptr;
  const auto& entry = dict.GetDictEntry(to_gdcm(tag));
  return *entry.GetKeyword() == '\0' ? nullptr : &entry;
}

/// Keywords of the public dictionary, built once: GDCM can only look a keyword up by a linear
/// scan over its ~14,000 entries.
struct keyword_index {
  std::map<std::string, std::uint32_t, std::less<>> tag_by_keyword;
  std::vector<std::string> all;  // sorted, unique
  std::vector<std::string> sequences;
  std::vector<std::string> non_sequences;
};

const keyword_index& index() {
  static const keyword_index built = [] {
    keyword_index idx;
    const auto& dict = public_dict();
    // Tag order, so a keyword of a repeating group (OverlayData in 6000-60FE, CurveData in
    // 5000-50FE) maps to its lowest group, as DICOM's own tables write it (60xx -> 6000).
    for (auto it = dict.Begin(); it != dict.End(); ++it) {
      const auto& entry = it->second;
      const std::string keyword = entry.GetKeyword();
      // Unnamed placeholders, and masked entries whose single tag would be a guess.
      if (keyword.empty() || !entry.IsUnique()) continue;
      const auto [_, inserted] =
          idx.tag_by_keyword.emplace(keyword, std::uint32_t{it->first.GetElementTag()});
      if (!inserted) continue;
      idx.all.push_back(keyword);
      (entry.GetVR() == gdcm::VR::SQ ? idx.sequences : idx.non_sequences).push_back(keyword);
    }
    for (auto* list : {&idx.all, &idx.sequences, &idx.non_sequences}) std::ranges::sort(*list);
    return idx;
  }();
  return built;
}

bool contains_ignoring_case(std::string_view text, std::string_view part) {
  const auto same = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  };
  // std::search, not std::ranges::search: clang 14 (clang-tidy) cannot parse libstdc++ 12's
  // std::ranges::subrange.
  return part.empty() ||
         std::search(text.begin(), text.end(), part.begin(), part.end(), same) != text.end();
}

std::optional<int> parse_int(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::vector<std::string> keywords(std::string_view filter, keyword_kind kind) {
  const auto& idx = index();
  const auto& source = kind == keyword_kind::sequence       ? idx.sequences
                       : kind == keyword_kind::non_sequence ? idx.non_sequences
                                                            : idx.all;
  std::vector<std::string> out;
  std::ranges::copy_if(source, std::back_inserter(out), [filter](const std::string& k) {
    return contains_ignoring_case(k, filter);
  });
  return out;
}

std::optional<std::string> keyword_of(std::uint32_t tag) {
  if (const auto* entry = find_entry(tag)) return std::string(entry->GetKeyword());
  return std::nullopt;
}

std::optional<std::uint32_t> tag_of(std::string_view keyword) {
  const auto& by_keyword = index().tag_by_keyword;
  const auto it = by_keyword.find(keyword);
  if (it == by_keyword.end()) return std::nullopt;
  return it->second;
}

value_representation vr_of(std::uint32_t tag) {
  value_representation unknown{"UN", ('U' << 8) | 'N'};
  const auto* entry = find_entry(tag);
  if (entry == nullptr) return unknown;
  // Tags allowing several VRs ("US or SS", "OB or OW") get the first one listed.
  const char* text = gdcm::VR::GetVRString(entry->GetVR());
  if (text == nullptr || !std::isupper(static_cast<unsigned char>(text[0])) ||
      !std::isupper(static_cast<unsigned char>(text[1]))) {
    return unknown;
  }
  return {std::string(text, 2), (text[0] << 8) | text[1]};
}

multiplicity vm_of(std::uint32_t tag) {
  const multiplicity unknown{1, std::nullopt};
  const auto* entry = find_entry(tag);
  if (entry == nullptr) return unknown;
  // GDCM spells VMs as the standard does: "1", "1-3", "1-n", "2-2n", "3-3n".
  const char* text = gdcm::VM::GetVMString(entry->GetVM());
  if (text == nullptr) return unknown;
  const std::string_view vm = text;
  const auto dash = vm.find('-');
  const auto min = parse_int(vm.substr(0, dash));
  if (!min) return unknown;
  if (dash == std::string_view::npos) return {*min, *min};
  const auto upper = vm.substr(dash + 1);
  if (upper.ends_with('n')) return {*min, std::nullopt};
  const auto max = parse_int(upper);
  if (!max) return unknown;
  return {*min, *max};
}

}  // namespace sbx::dicom
