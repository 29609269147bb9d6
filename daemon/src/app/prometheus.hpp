#pragma once
// Prometheus text exposition format 0.0.4: HELP and TYPE lines once per family, then samples with
// escaped label values. Just enough to write /metrics without a client library.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tradepush::app {

/// A label name and its (unescaped) value.
using prom_label = std::pair<std::string_view, std::string_view>;

/// Appends families and samples to one text body.
class prometheus_writer {
public:
    /// Starts a family: `# HELP name help` and `# TYPE name type` (counter, gauge, histogram).
    void family(std::string_view name, std::string_view type, std::string_view help);
    /// One sample line `name{labels} value`.
    void sample(std::string_view name, double value, std::initializer_list<prom_label> labels = {});
    /// The text so far; the writer is empty afterwards.
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};

} // namespace tradepush::app
