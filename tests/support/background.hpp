// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

// Threads a test starts beside its main thread. Whatever the main thread throws (a failed
// REQUIRE, a missing fixture), leaving the scope asks each thread to stop and joins it, so a test
// fails instead of waiting for ever on a loop nobody ends.
namespace sbx::test {

/// What work returns when run with a std::stop_token if it takes one, else with nothing.
template <class F, bool = std::is_invocable_v<F&, std::stop_token>>
struct work_result {
  using type = std::invoke_result_t<F&, std::stop_token>;
};
template <class F>
struct work_result<F, false> {
  using type = std::invoke_result_t<F&>;
};

/// Runs `work` on its own thread. `work` takes a std::stop_token (stop is requested when the
/// task goes out of scope) or nothing; `get()` returns its result or rethrows what it threw.
/// Not movable: keep several in a std::deque (emplace_back) or a std::list.
template <class T>
class background_task {
 public:
  template <class F>
  explicit background_task(F&& work)
      : task_([w = std::forward<F>(work)](std::stop_token stop) mutable -> T {
          if constexpr (std::is_invocable_v<std::decay_t<F>&, std::stop_token>)
            return w(std::move(stop));
          else
            return w();
        }),
        result_(task_.get_future()),
        thread_(std::ref(task_)) {}

  background_task(const background_task&) = delete;
  background_task& operator=(const background_task&) = delete;

  /// Asks the work to stop (through its stop_token) without waiting for it.
  void request_stop() { thread_.request_stop(); }
  /// Waits for the work and returns its result (or rethrows its exception).
  T get() { return result_.get(); }
  /// Whether the work has finished, waiting for it at most `within`.
  template <class Rep, class Period>
  bool done_within(std::chrono::duration<Rep, Period> within) const {
    return result_.wait_for(within) == std::future_status::ready;
  }

 private:
  std::packaged_task<T(std::stop_token)> task_;
  std::future<T> result_;
  std::jthread thread_;  // last: stopped and joined before the task it runs is destroyed
};

/// Starts `work` on a background_task of the right result type.
template <class F>
background_task<typename work_result<std::decay_t<F>>::type> in_background(F&& work) {
  return background_task<typename work_result<std::decay_t<F>>::type>(std::forward<F>(work));
}

/// Runs a function when the scope is left, however it is left.
template <class F>
class on_scope_exit {
 public:
  explicit on_scope_exit(F f) : f_(std::move(f)) {}
  ~on_scope_exit() { f_(); }
  on_scope_exit(const on_scope_exit&) = delete;
  on_scope_exit& operator=(const on_scope_exit&) = delete;

 private:
  F f_;
};

}  // namespace sbx::test
