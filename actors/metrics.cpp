// SPDX-License-Identifier: Apache-2.0
#include "actors/metrics.hpp"

#include <charconv>

namespace sbx::actors {
namespace {

/// A label value with `\`, `"` and line feeds escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

void family(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

/// The lines of one histogram (`labels` is "" or `name="value",...`).
template <class H, class Bounds>
void histogram_lines(std::string& out, const std::string& name, const std::string& labels,
                     const Bounds& bounds, const H& h) {
  const auto sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < bounds.size(); ++i)
    out += name + "_bucket{" + labels + sep + "le=\"" + number(bounds[i]) + "\"} " +
           std::to_string(h.buckets[i]) + "\n";
  out += name + "_bucket{" + labels + sep + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  const auto braces = labels.empty() ? std::string{} : "{" + labels + "}";
  out += name + "_sum" + braces + " " + number(h.sum) + "\n";
  out += name + "_count" + braces + " " + std::to_string(h.count) + "\n";
}

}  // namespace

void metrics::http_request(std::string_view group, int status, double seconds) {
  std::lock_guard lock{mutex_};
  ++requests_[{std::string(group), status}];
  latencies_[std::string(group)].observe(latency_buckets, seconds);
}

void metrics::commit_batch(std::size_t images) {
  std::lock_guard lock{mutex_};
  batches_.observe(batch_buckets, static_cast<double>(images));
}

void metrics::ingested(std::string_view source_type, std::uint64_t bytes) {
  std::lock_guard lock{mutex_};
  auto& i = ingested_[std::string(source_type)];
  ++i.first;
  i.second += bytes;
}

void metrics::ingest_failed(std::string_view source_type) {
  std::lock_guard lock{mutex_};
  ++ingest_failures_[std::string(source_type)];
}

void metrics::scp_association() {
  std::lock_guard lock{mutex_};
  ++associations_;
}

std::map<std::string, metrics::ingest_count> metrics::ingest_by_source() const {
  std::lock_guard lock{mutex_};
  std::map<std::string, ingest_count> out;
  for (const auto& [type, n] : ingested_) {
    out[type].images = n.first;
    out[type].bytes = n.second;
  }
  for (const auto& [type, n] : ingest_failures_) out[type].failed = n;
  return out;
}

std::string metrics::exposition(const gauges& g) const {
  std::lock_guard lock{mutex_};
  std::string out;
  family(out, "sbx_http_requests_total", "counter",
         "HTTP requests answered, by route group and status.");
  for (const auto& [key, n] : requests_)
    out += "sbx_http_requests_total{group=\"" + label(key.first) + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  family(out, "sbx_http_request_duration_seconds", "histogram",
         "Time from a request's arrival to its answer, by route group.");
  for (const auto& [group, l] : latencies_)
    histogram_lines(out, "sbx_http_request_duration_seconds", "group=\"" + label(group) + "\"",
                    latency_buckets, l);
  family(out, "sbx_ingested_images_total", "counter", "Images stored by ingest, by source type.");
  for (const auto& [source, i] : ingested_)
    out += "sbx_ingested_images_total{source=\"" + label(source) + "\"} " +
           std::to_string(i.first) + "\n";
  family(out, "sbx_ingested_bytes_total", "counter",
         "Bytes of the images stored by ingest, by source type.");
  for (const auto& [source, i] : ingested_)
    out += "sbx_ingested_bytes_total{source=\"" + label(source) + "\"} " +
           std::to_string(i.second) + "\n";
  family(out, "sbx_ingest_failures_total", "counter",
         "Files ingest refused or could not store, by source type.");
  for (const auto& [source, n] : ingest_failures_)
    out +=
        "sbx_ingest_failures_total{source=\"" + label(source) + "\"} " + std::to_string(n) + "\n";
  family(out, "sbx_ingest_queue_depth", "gauge",
         "Files handed to ingest and not answered yet (checked, flushed or waiting to commit).");
  out += "sbx_ingest_queue_depth " + std::to_string(ingest_queue_.load()) + "\n";
  family(out, "sbx_ingest_commit_batch_images", "histogram",
         "Images committed together by one group commit of the metadata writer.");
  histogram_lines(out, "sbx_ingest_commit_batch_images", "", batch_buckets, batches_);
  family(out, "sbx_series_type_backlog", "gauge", "Series waiting for the series-type labeller.");
  out += "sbx_series_type_backlog " + std::to_string(g.series_type_backlog) + "\n";
  family(out, "sbx_box_transactions", "gauge", "Box transactions by direction and status.");
  for (const auto& q : g.box_queues)
    out += "sbx_box_transactions{direction=\"" + label(q.direction) + "\",status=\"" +
           label(q.status) + "\"} " + std::to_string(q.transactions) + "\n";
  family(out, "sbx_box_images_left", "gauge",
         "Images box transactions still have to transfer, by direction and status.");
  for (const auto& q : g.box_queues)
    out += "sbx_box_images_left{direction=\"" + label(q.direction) + "\",status=\"" +
           label(q.status) + "\"} " + std::to_string(q.images_left) + "\n";
  family(out, "sbx_scp_associations_total", "counter", "Associations accepted by the SCPs.");
  out += "sbx_scp_associations_total " + std::to_string(associations_) + "\n";
  family(out, "sbx_stored_images", "gauge", "Image files in the store.");
  out += "sbx_stored_images " + std::to_string(g.stored_images) + "\n";
  family(out, "sbx_stored_bytes", "gauge", "Bytes of the image files in the store.");
  out += "sbx_stored_bytes " + std::to_string(g.stored_bytes) + "\n";
  return out;
}

}  // namespace sbx::actors
