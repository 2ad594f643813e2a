// Shared by the compiler's files (compile.cpp, compile_conditions.cpp,
// compile_actions.cpp, lists.cpp): the state of one compilation. Not a public API.
#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "policy/rules/compile.hpp"
#include "policy/rules/lists.hpp"
#include "proxy/core/settings/map_reader.hpp"

namespace mxgate::policy::rules::detail {

struct Compilation {
    settings::Reporter& reporter;
    settings::Diagnostics& diagnostics;  // where list files' reporters write too
    Lists& lists;
    const CompileOptions& options;
};

// A rule's `when` (a map of conditions, all of which must hold) at `path`.
Condition compile_when(const YAML::Node& node, const std::string& path, Compilation& c);
// A rule's `then`.
Actions compile_then(const YAML::Node& node, const std::string& path, Compilation& c);

// The scalar of a node or of each element of a list: "a" or [a, b].
// Reports anything else as "expected <what>" and returns what was usable.
std::vector<std::pair<std::string, YAML::Mark>> scalars(const YAML::Node& node, const std::string& path,
                                                        std::string_view what, settings::Reporter& reporter);

// A whole number with an optional sign ("+3", "-1", "7") within +-limit, or a diagnostic.
std::optional<long long> signed_number(const YAML::Node& node, const std::string& path, long long limit,
                                       settings::Reporter& reporter);

// Did-you-mean for a word that must be one of `names`.
std::string unknown_name_message(const std::string& path, std::string_view kind, const std::string& word,
                                 const std::vector<std::string>& names);
// True when `name` is one of `names` (or `names` is empty: not known here); else reports it.
bool known(const std::string& name, const std::vector<std::string>& names, const YAML::Mark& mark,
           const std::string& path, std::string_view kind, settings::Reporter& reporter);

}  // namespace mxgate::policy::rules::detail
