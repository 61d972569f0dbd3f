// SPDX-License-Identifier: Apache-2.0
#include "actors/dictionary_actor.hpp"

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "dicom/dictionary.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using proto::errc;
using proto::make_error;

proto::dictionary_actor::behavior_type dictionary_behavior() {
  return {
      [](proto::keywords_atom, const std::string& filter, proto::keyword_filter kind) {
        auto k = kind == proto::keyword_filter::sequence       ? dicom::keyword_kind::sequence
                 : kind == proto::keyword_filter::non_sequence ? dicom::keyword_kind::non_sequence
                                                               : dicom::keyword_kind::all;
        return dicom::keywords(filter, k);
      },
      [](proto::keyword_atom, std::uint32_t tag) -> caf::result<std::string> {
        if (auto k = dicom::keyword_of(tag)) return *k;
        return make_error(errc::not_found, "The requested resource could not be found.");
      },
      [](proto::tag_atom, const std::string& keyword) -> caf::result<std::uint32_t> {
        if (auto t = dicom::tag_of(keyword)) return *t;
        return make_error(errc::not_found, "The requested resource could not be found.");
      },
      [](proto::vr_atom, std::uint32_t tag) {
        auto vr = dicom::vr_of(tag);
        return proto::dictionary_vr{vr.name, vr.code};
      },
      [](proto::vm_atom, std::uint32_t tag) {
        auto vm = dicom::vm_of(tag);
        return proto::dictionary_vm{vm.min, vm.max.value_or(-1)};
      },
  };
}

}  // namespace

proto::dictionary_actor spawn_dictionary_actor(caf::actor_system& sys) {
  return sys.spawn(dictionary_behavior);
}

}  // namespace sbx::actors
