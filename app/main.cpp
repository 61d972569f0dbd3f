// SPDX-License-Identifier: Apache-2.0
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "app/config.hpp"
#include "app/node.hpp"
#include "version.hpp"

extern char** environ;

int main(int argc, char** argv) {
  using namespace sbx;
  spdlog::set_default_logger(spdlog::stderr_color_mt("slicebox"));
  app::config cfg;
  try {
    auto cl = app::parse_command_line(argc, argv);
    if (cl.help) {
      std::cout << app::usage_text();
      return 0;
    }
    if (cl.version) {
      std::cout << "slicebox " << sbx::version << "\n";
      return 0;
    }
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) env.emplace_back(*e);
    cfg = app::load_config(cl, env);
  } catch (const app::config_error& e) {
    std::cerr << "slicebox: " << e.what() << "\n";
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));

  // Every thread started from here on inherits the blocked signals; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  try {
    app::node node{cfg};
    spdlog::info("slicebox {} listening on {}:{} (data in {})", sbx::version, cfg.http_host,
                 node.port(), cfg.data_dir.string());
    std::thread([&node, signals] {
      int sig = 0;
      sigwait(&signals, &sig);
      spdlog::info("received signal {}, stopping", sig);
      node.request_stop();
    }).detach();
    node.wait();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
