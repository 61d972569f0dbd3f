// SPDX-License-Identifier: Apache-2.0
#include "actors/dicomweb_actor.hpp"

#include <spdlog/spdlog.h>

#include <caf/actor_pool.hpp>
#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <filesystem>
#include <stdexcept>

#include "dicom/dataset_header.hpp"
#include "dicom/dicom_json.hpp"
#include "proto/error.hpp"

namespace sbx::actors {
namespace {

using namespace proto;

caf::error missing_file() {
  return make_error(errc::not_found, "The requested resource could not be found.");
}

dicomweb_actor::behavior_type dicomweb_worker(dicomweb_actor::pointer,
                                              dicomweb_service_config config) {
  auto store = config.store;
  return {
      [store](get_atom, file_atom,
              const std::vector<std::string>& keys) -> caf::result<std::vector<std::string>> {
        std::vector<std::string> paths;
        paths.reserve(keys.size());
        try {
          for (const auto& key : keys) {
            if (!store->exists(key)) return missing_file();
            paths.push_back(store->path_of(key).string());
          }
        } catch (const persistence::store_unavailable&) {
          return store_unavailable_error();
        }
        return paths;
      },
      [store](get_atom, dicomjson_atom,
              const std::vector<std::string>& keys) -> caf::result<std::string> {
        std::string out = "[";
        for (const auto& key : keys) {
          try {
            if (!store->exists(key)) return missing_file();
            if (out.size() > 1) out += ',';
            out += dicom::dicom_json(store->path_of(key));
          } catch (const persistence::store_unavailable&) {
            return store_unavailable_error();
          } catch (const std::exception& e) {
            spdlog::error("dicomweb: cannot read {}: {}", key, e.what());
            return make_error(errc::internal, "There was an internal server error.");
          }
        }
        return out + "]";
      },
      [store](get_atom, frames_atom, const std::string& key,
              const std::vector<std::int64_t>& numbers,
              bool keep_compressed) -> caf::result<std::vector<std::string>, std::string> {
        try {
          if (!store->exists(key)) return missing_file();
          auto read = dicom::read_frames(store->path_of(key), numbers, keep_compressed);
          return {std::move(read.frames), std::move(read.transfer_syntax)};
        } catch (const persistence::store_unavailable&) {
          return store_unavailable_error();
        } catch (const std::out_of_range& e) {
          return make_error(errc::bad_request, e.what());
        } catch (const std::exception& e) {
          return make_error(errc::unsupported,
                            std::string("The frames cannot be read: ") + e.what());
        }
      },
      [](stow_atom, const std::vector<std::string>& files) {
        std::vector<stow_part> parts;
        for (const auto& file : files) {
          stow_part part;
          part.file = file;
          try {
            auto h = dicom::read_header(file);
            part.sop_class = h.sop_class_uid;
            part.sop_instance = h.attributes.img.sop_instance_uid;
            part.study_instance = h.attributes.stu.study_instance_uid;
          } catch (const std::exception& e) {
            part.problem = std::string("Invalid DICOM data: ") + e.what();
            std::error_code ec;
            std::filesystem::remove(file, ec);
            part.file.clear();
          }
          parts.push_back(std::move(part));
        }
        return parts;
      },
  };
}

}  // namespace

proto::dicomweb_actor spawn_dicomweb_actor(caf::actor_system& sys, dicomweb_service_config config) {
  auto factory = [&sys, config] {
    return caf::actor_cast<caf::actor>(sys.spawn<caf::detached>(dicomweb_worker, config));
  };
  auto pool = caf::actor_pool::make(sys.dummy_execution_unit(), std::max(1u, config.workers),
                                    factory, caf::actor_pool::round_robin());
  return caf::actor_cast<proto::dicomweb_actor>(pool);
}

}  // namespace sbx::actors
