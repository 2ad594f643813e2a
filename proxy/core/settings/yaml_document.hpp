// Loads the one YAML document of a config or policy file, without the endless
// loop of yaml-cpp 0.7's LoadAll on some malformed input (a stray "," at the start:
// jbeder/yaml-cpp#1040, fixed upstream by #1319 in 2024, after Debian 12's 0.7.0).
// Throws YAML::Exception (with its mark) for malformed text, like YAML::Load.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

namespace mxgate::settings {

struct YamlDocument {
    YAML::Node root;
    YAML::Mark second_document = YAML::Mark::null_mark();  // where a second document starts, if any
};

YamlDocument load_one_document(const std::string& text);

}  // namespace mxgate::settings
