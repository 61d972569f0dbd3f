// SPDX-License-Identifier: Apache-2.0
#include "http/routes/routes.hpp"

namespace sbx::http {

std::shared_ptr<const router> make_api_routes(const services& s) {
  auto r = std::make_shared<router>();
  add_user_routes(*r, s);
  add_log_routes(*r, s);
  add_system_routes(*r, s);
  add_dictionary_routes(*r, s);
  add_metadata_routes(*r, s);
  add_image_routes(*r, s);
  add_import_routes(*r, s);
  add_anonymization_routes(*r, s);
  add_series_type_routes(*r, s);
  add_directory_watch_routes(*r, s);
  add_filtering_routes(*r, s);
  add_scu_routes(*r, s);
  add_scp_routes(*r, s);
  add_forwarding_routes(*r, s);
  add_box_routes(*r, s);
  add_transaction_routes(*r, s);
  add_dicomweb_routes(*r, s);
  add_metrics_routes(*r, s);
  return r;
}

}  // namespace sbx::http
