// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <caf/atom.hpp>

// The verbs of the actors' protocols. Requests are imperative; names are at most 10 characters.
namespace sbx::proto {

using add_atom = caf::atom_constant<caf::atom("add")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using delete_atom = caf::atom_constant<caf::atom("delete")>;
using dests_atom = caf::atom_constant<caf::atom("dests")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using keyword_atom = caf::atom_constant<caf::atom("keyword")>;
using keywords_atom = caf::atom_constant<caf::atom("keywords")>;
using list_atom = caf::atom_constant<caf::atom("list")>;
using log_atom = caf::atom_constant<caf::atom("log")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
using logout_atom = caf::atom_constant<caf::atom("logout")>;
using purge_atom = caf::atom_constant<caf::atom("purge")>;
using session_atom = caf::atom_constant<caf::atom("session")>;
using sources_atom = caf::atom_constant<caf::atom("sources")>;
using tag_atom = caf::atom_constant<caf::atom("tag")>;
using vm_atom = caf::atom_constant<caf::atom("vm")>;
using vr_atom = caf::atom_constant<caf::atom("vr")>;

}  // namespace sbx::proto
