// Prometheus registry and HTTP metrics.
#include "observability/metrics.h"

#include <prometheus/text_serializer.h>

#include <chrono>

namespace faceid::observability {
namespace {
const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0};
  return kBuckets;
}
}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("faceid_http_requests_total")
                   .Help("HTTP requests by method, route template and status")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("faceid_http_request_duration_seconds")
                  .Help("HTTP request latency by method and route template")
                  .Register(*registry_);
  start_time_ = &prometheus::BuildGauge()
                     .Name("faceid_process_start_time_seconds")
                     .Help("Start time of the process since the Unix epoch")
                     .Register(*registry_)
                     .Add({});
  start_time_->Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

void Metrics::observe_request(const std::string& method, const std::string& route, int status,
                              double seconds) {
  requests_->Add({{"method", method}, {"route", route}, {"status", std::to_string(status)}})
      .Increment();
  latency_->Add({{"method", method}, {"route", route}}, latency_buckets()).Observe(seconds);
}

std::string Metrics::render() const {
  prometheus::TextSerializer serializer;
  return serializer.Serialize(registry_->Collect());
}

}  // namespace faceid::observability
