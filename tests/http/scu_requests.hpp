// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "http/json_view.hpp"
#include "http/running_node.hpp"
#include "http/uploads.hpp"

// The requests the SCU tests make over and over.
namespace sbx::test {

/// A `ScuData` body.
inline std::string scu_body(const std::string& name, const std::string& ae, const std::string& host,
                            long port) {
  return R"({"id":-1,"name":")" + name + R"(","aeTitle":")" + ae + R"(","host":")" + host +
         R"(","port":)" + std::to_string(port) + "}";
}

/// Creates an SCU (201 required); its id.
inline std::string create_scu(const running_node& n, const std::string& name, const std::string& ae,
                              long port, const std::string& host = "127.0.0.1") {
  auto r = n.admin("POST", "/api/scus", scu_body(name, ae, host, port));
  REQUIRE(r.status == 201);
  return std::to_string(id_of(r));
}

/// Uploads a file as admin; the stored image's id as the SCU routes take it (throws unless the
/// node stored it).
inline std::string upload_image(const running_node& n, const std::string& bytes) {
  return std::to_string(upload_id(n, bytes));
}

}  // namespace sbx::test
