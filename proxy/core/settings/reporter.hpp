// Where decoding happens and what went wrong: a Reporter collects Diagnostics with
// file:line:column and remembers where each decoded field was written, so checks
// after decoding can point at the right line too. Plus the text helpers every
// message uses: how a YAML value is shown, escaping, and "did you mean".
#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace mxgate::settings {

struct Diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 when the whole file is meant
    int column = 0;  // 1-based
    std::string message;
    std::string str() const;  // "conf/mxgate.yaml:12:7: unknown key 'acton' in limits"
};

using Diagnostics = std::vector<Diagnostic>;

// What every output shows instead of a secret (state.redis.password): the dump,
// diagnostics and logs. A dump fed back as a config keeps this text as the value.
inline constexpr const char* redacted = "<redacted>";

class Reporter {
public:
    Reporter(std::string file, std::string base_dir, Diagnostics& out)
        : file_(std::move(file)), base_dir_(std::move(base_dir)), out_(out) {}

    void error(const YAML::Mark& mark, std::string message);
    void error(const YAML::Node& node, std::string message) { error(node.Mark(), std::move(message)); }
    // A diagnostic about another file, kept as it is (a policy file the config names).
    void add(Diagnostic diagnostic) { out_.push_back(std::move(diagnostic)); }

    // Marks recorded by MapReader, keyed by the dotted path ("tls.certificate",
    // "listeners[0].tls"). key_mark() is where the key itself is written.
    void remember(const std::string& path, const YAML::Mark& key, const YAML::Mark& value);
    YAML::Mark mark(const std::string& path) const;
    YAML::Mark key_mark(const std::string& path) const;
    // The first remembered mark among `paths`: the most precise place that exists.
    YAML::Mark first_mark(std::initializer_list<std::string> paths) const;
    // File paths as the user wrote them (before resolution), for messages.
    void remember_text(const std::string& path, std::string text) { written_[path] = std::move(text); }
    std::string written(const std::string& path) const;

    const std::string& base_dir() const noexcept { return base_dir_; }
    std::size_t error_count() const noexcept { return out_.size(); }

private:
    std::string file_;
    std::string base_dir_;
    Diagnostics& out_;
    std::map<std::string, std::pair<YAML::Mark, YAML::Mark>> marks_;
    std::map<std::string, std::string> written_;
};

// How a YAML value is shown after "got": the scalar in quotes, "a map", "a list", "nothing".
std::string describe(const YAML::Node& node);
// A key name or path as text in a message, with control characters escaped.
std::string escaped(std::string_view text);
// Levenshtein distance; used for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);
// The closest candidate when it is close enough to be a likely typo, else "".
std::string closest(std::string_view word, const std::vector<std::string>& candidates);
// Relative paths are resolved against the config file's directory.
std::string resolve_path(const std::string& base_dir, const std::string& path);

}  // namespace mxgate::settings
