// SPDX-License-Identifier: Apache-2.0
// Ingest flushes a new image's file while the metadata writer commits its row
// (docs/operations.md#durability-and-the-start-up-sweep): a flush that fails after the commit must
// undo the row, so that no acknowledged-looking image points at a file that is not on disk.
#include <atomic>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "actors/ingest_actor.hpp"
#include "actors/metadata_actor.hpp"
#include "persistence/metadata_repo.hpp"
#include "proto/error.hpp"
#include "support/dicom_files.hpp"
#include "support/eventually.hpp"
#include "support/scratch_database.hpp"

namespace {

namespace fs = std::filesystem;
using namespace sbx;

/// The node's file-system store, whose flush fails while `failing` is set, as a disk that
/// reports an I/O error would make it.
class failing_flush_store final : public persistence::file_store {
 public:
  explicit failing_flush_store(fs::path root) : inner_(std::move(root)) {}
  std::atomic<bool> failing{false};

  fs::path temp_path() const override { return inner_.temp_path(); }
  std::string adopt(const fs::path& temp) const override { return inner_.adopt(temp); }
  std::string place(const fs::path& temp) const override { return inner_.place(temp); }
  void make_durable(const std::string& key) const override {
    if (failing) throw std::system_error(EIO, std::generic_category(), "fdatasync");
    inner_.make_durable(key);
  }
  bool defers_flush() const override { return inner_.defers_flush(); }
  bool intact(const std::string& key, std::int64_t bytes) const override {
    return inner_.intact(key, bytes);
  }
  fs::path path_of(const std::string& key) const override { return inner_.path_of(key); }
  bool exists(const std::string& key) const override { return inner_.exists(key); }
  void remove(const std::string& key) const noexcept override { inner_.remove(key); }
  std::string flush_caveat() const override { return inner_.flush_caveat(); }
  bool nearly_full(std::uint64_t reserve) const override { return inner_.nearly_full(reserve); }
  std::size_t sweep(const std::unordered_set<std::string>& referenced) const override {
    return inner_.sweep(referenced);
  }
  std::pair<std::int64_t, std::int64_t> usage() const override { return inner_.usage(); }

 private:
  persistence::filesystem_store inner_;
};

}  // namespace

TEST_CASE("ingest: a flush that fails after the commit undoes the image and refuses it",
          "[http][images]") {
  test::scratch_database db{persistence::backend::sqlite};
  const auto root = fs::temp_directory_path() / ("sbx-flush-fails-" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto store = std::make_shared<failing_flush_store>(root);
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto events = sys.groups().get_local("sbx.test.events");
  auto metadata = actors::spawn_metadata_actor(sys, {db.config(), store, events, 1, nullptr});
  actors::ingest_service_config ingest_config{store, metadata, events};
  ingest_config.workers = 1;
  ingest_config.flush_beside_commit = true;
  auto ingest = actors::spawn_ingest_actor(sys, ingest_config);
  caf::scoped_actor self{sys};
  auto upload = [&]() -> caf::expected<proto::ingest_result> {
    const auto file = store->temp_path();
    std::ofstream(file, std::ios::binary) << test::fixture("test.dcm");
    proto::ingest_request r;
    r.file = file.string();
    r.src = {"user", "admin", 1};
    r.reverse_anonymization = false;
    caf::expected<proto::ingest_result> out{caf::error{}};
    self->request(ingest, caf::infinite, proto::ingest_atom::value, r)
        .receive([&](proto::ingest_result& x) { out = std::move(x); },
                 [&](caf::error& e) { out = std::move(e); });
    return out;
  };
  auto repo_call = [&](auto body) {
    auto conn = persistence::open_database(db.config());
    persistence::metadata_repo repo{*conn};
    return body(repo);
  };

  store->failing = true;
  auto refused = upload();
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == proto::internal_error());
  CHECK(repo_call([](auto& repo) { return repo.all_storage_keys().empty(); }));
  CHECK(repo_call([](auto& repo) { return repo.unflushed_files().empty(); }));
  CHECK(store->usage().first == 0);  // the placed file is gone too

  store->failing = false;
  auto stored = upload();
  REQUIRE(stored);
  CHECK(stored->added);
  CHECK(repo_call([](auto& repo) { return repo.all_storage_keys().size() == 1; }));
  CHECK(test::eventually(
      [&] { return repo_call([](auto& repo) { return repo.unflushed_files().empty(); }); }));

  self->send_exit(ingest, caf::exit_reason::user_shutdown);
  self->send_exit(metadata, caf::exit_reason::user_shutdown);
  fs::remove_all(root);
}
