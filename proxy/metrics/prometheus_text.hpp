// PrometheusText: a MetricSink that renders what it was told as the Prometheus
// text exposition format 0.0.4: per family one `# HELP` and one `# TYPE name
// counter` line, then its samples `name{label="value"} 123`. Families come out
// in the order first reported, their samples in the order given. Pure: no I/O.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "filters/metric_sink.hpp"

namespace mxgate::metrics {

class PrometheusText final : public filters::MetricSink {
public:
    using filters::MetricSink::counter;
    void counter(std::string_view family, std::string_view help, const filters::MetricLabels& labels,
                 std::uint64_t value) override;
    std::string str() const;

private:
    struct Family {
        std::string name;
        std::string help;
        std::string samples;  // rendered lines
    };
    std::vector<Family> families_;
};

// A label value as the format quotes it: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline escaped (quotes stay).
std::string escape_help(std::string_view help);

}  // namespace mxgate::metrics
