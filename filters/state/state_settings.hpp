// state: (the store of greylisting and rate limits) decoded and dumped from the
// description of StateConfig (state_config.hpp); the field rules are in state_settings.cpp.
#pragma once

#include "filters/state/state_config.hpp"

namespace YAML {
class Node;
}
namespace mxgate::settings {
class Reporter;
class Writer;
}  // namespace mxgate::settings

namespace mxgate::filters::state {

StateConfig decode_state_settings(const YAML::Node& node, settings::Reporter& reporter);
void dump_state_settings(settings::Writer& w, const StateConfig& config);

}  // namespace mxgate::filters::state
