// Forward declarations for headers that only name the settings types (decode and
// dump functions), so they need not pull in yaml-cpp.
#pragma once

namespace YAML {
class Node;
}
namespace mxgate::settings {
class Reporter;
class Writer;
}  // namespace mxgate::settings
