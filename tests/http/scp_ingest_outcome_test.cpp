// SPDX-License-Identifier: Apache-2.0
// The SCP service with an ingest that refuses or fails: Slicebox answers Success to data the
// node refuses (and logs it); a fault of the node answers Out of Resources instead (README).
#include <algorithm>
#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <catch2/catch.hpp>
#include <filesystem>

#include "actors/log_actor.hpp"
#include "actors/scp_actor.hpp"
#include "proto/error.hpp"
#include "proto/log_messages.hpp"
#include "support/dicom_tools.hpp"
#include "support/scratch_database.hpp"
#include "support/scratch_files.hpp"

using namespace sbx;
using namespace sbx::test;

TEST_CASE("the C-STORE status follows what ingest answered", "[actor][scp]") {
  require_tool("storescu");
  scratch_database db{persistence::backend::sqlite};
  scratch_dir data;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto store = std::make_shared<const persistence::filesystem_store>(data.path());
  // An ingest that takes the file and answers with the error of the moment.
  auto answer = std::make_shared<std::atomic<proto::errc>>(proto::errc::bad_request);
  proto::ingest_actor ingest =
      sys.spawn([answer](proto::ingest_actor::pointer) -> proto::ingest_actor::behavior_type {
        return {[answer](proto::ingest_atom,
                         proto::ingest_request& r) -> caf::result<proto::ingest_result> {
          std::filesystem::remove(r.file);
          return proto::make_error(answer->load(),
                                   "The presentation context [...] is not supported");
        }};
      });
  auto log = actors::spawn_log_actor(sys, db.config());
  auto scps = actors::spawn_scp_actor(sys, {db.config(), store, ingest, log, false});
  const auto port = free_port();
  caf::scoped_actor self{sys};
  self->request(scps, caf::infinite, proto::add_atom::value, proto::scp{-1, "s", "SBX", port})
      .receive([](const proto::scp& s) { CHECK(s.id > 0); },
               [](const caf::error& e) { FAIL(caf::to_string(e)); });
  const auto send = "TCP_NODELAY=1 storescu -v -aec SBX 127.0.0.1 " + std::to_string(port) + " " +
                    SBX_FIXTURES_DIR + "/test.dcm 2>&1";

  auto [refused_rc, refused_out] = run_command(send);
  INFO(refused_out);
  CHECK(refused_rc == 0);  // refused data: Success all the same (docs/api.md#scps)
  proto::log_query q;
  q.by_subject = true;
  q.subject = "SCP";
  self->request(log, caf::infinite, proto::list_atom::value, q)
      .receive(
          [](const std::vector<proto::log_entry>& entries) {
            // Beside "Started SCP ...": the refusal, once.
            auto refusals = std::count_if(entries.begin(), entries.end(), [](const auto& e) {
              return e.message ==
                     "Could not add file: The presentation context [...] is not supported";
            });
            CHECK(refusals == 1);
          },
          [](const caf::error& e) { FAIL(caf::to_string(e)); });

  answer->store(proto::errc::internal);
  auto [failed_rc, failed_out] = run_command(send);
  INFO(failed_out);
  CHECK(failed_rc != 0);
  CHECK(failed_out.find("Refused: OutOfResources") != std::string::npos);
  CHECK(std::filesystem::is_empty(data.path() / "tmp"));

  for (const caf::actor& a : {caf::actor_cast<caf::actor>(scps), caf::actor_cast<caf::actor>(log),
                              caf::actor_cast<caf::actor>(ingest)})
    self->send_exit(a, caf::exit_reason::user_shutdown);
}
