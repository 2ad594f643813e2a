// Reporter, Diagnostic and the message helpers (reporter.hpp).
#include "proxy/core/settings/reporter.hpp"

#include <algorithm>
#include <filesystem>

#include "proxy/core/text.hpp"

namespace mxgate::settings {

std::string Diagnostic::str() const {
    std::string out = file;
    if (line > 0) {
        out += ":" + std::to_string(line);
        if (column > 0) out += ":" + std::to_string(column);
    }
    return out + ": " + message;
}

void Reporter::error(const YAML::Mark& mark, std::string message) {
    Diagnostic d;
    d.file = file_;
    // yaml-cpp marks are 0-based; an unknown position (-1) means "the whole file".
    d.line = mark.line >= 0 ? mark.line + 1 : 0;
    d.column = mark.line >= 0 && mark.column >= 0 ? mark.column + 1 : 0;
    d.message = std::move(message);
    out_.push_back(std::move(d));
}

void Reporter::remember(const std::string& path, const YAML::Mark& key, const YAML::Mark& value) {
    marks_[path] = {key, value};
}

YAML::Mark Reporter::mark(const std::string& path) const {
    const auto it = marks_.find(path);
    return it == marks_.end() ? YAML::Mark::null_mark() : it->second.second;
}

YAML::Mark Reporter::key_mark(const std::string& path) const {
    const auto it = marks_.find(path);
    return it == marks_.end() ? YAML::Mark::null_mark() : it->second.first;
}

YAML::Mark Reporter::first_mark(std::initializer_list<std::string> paths) const {
    for (const auto& path : paths) {
        const YAML::Mark found = mark(path);
        if (!found.is_null()) return found;
    }
    return YAML::Mark::null_mark();
}

std::string Reporter::written(const std::string& path) const {
    const auto it = written_.find(path);
    return it == written_.end() ? std::string() : it->second;
}

std::string describe(const YAML::Node& node) {
    if (!node.IsDefined() || node.IsNull()) return "nothing";
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    return "\"" + escaped(node.Scalar()) + "\"";
}

std::string resolve_path(const std::string& base_dir, const std::string& path) {
    if (path.empty()) return path;
    const std::filesystem::path p(path);
    if (p.is_absolute()) return p.lexically_normal().string();
    return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            const bool same = core::ascii_lower(a[i - 1]) == core::ascii_lower(b[j - 1]);
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    // Short words tolerate one typo, longer ones two or three: beyond that a
    // suggestion is more confusing than helpful.
    const std::size_t limit = word.size() <= 3 ? 1 : word.size() <= 8 ? 2 : 3;
    std::string best;
    std::size_t best_distance = limit + 1;
    for (const auto& candidate : candidates) {
        const auto distance = edit_distance(word, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::string escaped(std::string_view text) {
    static constexpr std::size_t max_shown = 80;
    std::string out;
    for (const char ch : text.substr(0, max_shown)) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += ch;
        }
    }
    if (text.size() > max_shown) out += "...";
    return out;
}

}  // namespace mxgate::settings
