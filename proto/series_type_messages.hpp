// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "proto/atoms.hpp"
#include "proto/series_type.hpp"

namespace sbx::proto {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_type& x) {
  return f(x.id, x.name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_type_rule& x) {
  return f(x.id, x.series_type_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, series_id_series_type& x) {
  return f(x.series_id, x.type);
}

/// Series types, rules, rule attributes and the links of series to types
/// (docs/api.md#series-types). Changes of rules re-label every series in the background. Input
/// naming a missing row or a taken name: errc::bad_request.
using series_type_actor = caf::typed_actor<
    // Types: a page (start, count), create (name), rename (the body's id: docs/api.md#quirks-kept),
    // delete.
    caf::replies_to<list_atom, type_atom, std::int64_t,
                    std::int64_t>::with<std::vector<series_type>>,
    caf::replies_to<add_atom, type_atom, std::string>::with<series_type>,
    caf::replies_to<rename_atom, type_atom, series_type>::with<bool>,
    caf::replies_to<delete_atom, type_atom, std::int64_t>::with<bool>,
    // Rules of a type: list, create, delete.
    caf::replies_to<list_atom, rule_atom, std::int64_t>::with<std::vector<series_type_rule>>,
    caf::replies_to<add_atom, rule_atom, std::int64_t>::with<series_type_rule>,
    caf::replies_to<delete_atom, rule_atom, std::int64_t>::with<bool>,
    // Attributes of a rule: list, create, delete.
    caf::replies_to<list_atom, rule_attribute_atom,
                    std::int64_t>::with<std::vector<series_type_rule_attribute>>,
    caf::replies_to<add_atom, rule_attribute_atom,
                    series_type_rule_attribute>::with<series_type_rule_attribute>,
    caf::replies_to<delete_atom, rule_attribute_atom, std::int64_t>::with<bool>,
    // A series' types; link (errc::not_found if the series or the type does not exist); unlink
    // one; unlink all.
    caf::replies_to<get_atom, series_atom, std::int64_t>::with<std::vector<series_type>>,
    caf::replies_to<link_atom, series_atom, std::int64_t, std::int64_t>::with<bool>,
    caf::replies_to<delete_atom, series_atom, std::int64_t, std::int64_t>::with<bool>,
    caf::replies_to<delete_atom, series_atom, std::int64_t>::with<bool>,
    // The links among these series.
    caf::replies_to<query_atom, series_atom,
                    std::vector<std::int64_t>>::with<std::vector<series_id_series_type>>,
    // True while series are being re-labelled or wait for it.
    caf::replies_to<status_atom>::with<bool>,
    // GET /metrics: series waiting for the labeller, on any node
    caf::replies_to<get_atom, status_atom>::with<std::int64_t>>;

}  // namespace sbx::proto

// Local messages only (std::optional members have no CAF 0.17 serialization).
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sbx::proto::series_type_rule_attribute)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<sbx::proto::series_type_rule_attribute>)
