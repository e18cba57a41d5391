// Metrics: owns the Prometheus registry and the HTTP request metrics every route shares.
// Created in main and passed down; prometheus-cpp families are internally synchronised.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace faceid::observability {

class Metrics {
 public:
  Metrics();

  prometheus::Registry& registry() { return *registry_; }

  // Counts and times one finished HTTP request. `route` is the route template, never the raw
  // path, so label cardinality stays bounded.
  void observe_request(const std::string& method, const std::string& route, int status,
                       double seconds);

  // Prometheus text exposition format (version 0.0.4).
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Gauge* start_time_;
};

}  // namespace faceid::observability
