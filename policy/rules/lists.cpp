// Lists: inline or in files, checked per use (lists.hpp).
#include "policy/rules/lists.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "policy/rules/compile_internal.hpp"
#include "proxy/core/settings/map_reader.hpp"
#include "proxy/core/settings/values.hpp"

namespace mxgate::policy::rules {

namespace {

using settings::escaped;

bool is_glob(std::string_view text) { return text.find_first_of("*?") != std::string_view::npos; }

// "example.org" or ".example.org".
bool is_domain_value(std::string_view text) {
    if (!text.empty() && text.front() == '.') text.remove_prefix(1);
    return settings::is_dns_name(text);
}

constexpr std::size_t max_list_file_size = 64 * 1024 * 1024;

// The entries of a list file: one per line, "#" to the end of the line is a comment.
bool read_list_file(const std::string& path, std::vector<ListEntry>& entries, std::string& error) {
    // A FIFO or a device (/dev/stdin, /dev/zero) would block or never end a compile.
    std::error_code ec;
    if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
        error = "not a regular file";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = std::strerror(errno);
        return false;
    }
    std::string line;
    int number = 0;
    std::size_t total = 0;
    while (std::getline(in, line)) {
        total += line.size() + 1;
        if (total > max_list_file_size) {
            error = "larger than 64MiB";
            return false;
        }
        if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
        const auto first = line.find_first_not_of(" \t\r");
        if (first != std::string::npos) {
            const auto last = line.find_last_not_of(" \t\r");
            YAML::Mark mark;
            mark.line = number;
            mark.column = static_cast<int>(first);
            entries.push_back({line.substr(first, last - first + 1), mark});
        }
        ++number;
    }
    return true;
}

}  // namespace

std::string add_address_value(TextMatcher& matcher, std::string_view text) {
    if (text == "<>") {
        matcher.add_whole(text);
        return {};
    }
    if (is_glob(text)) {
        matcher.add_pattern(glob_to_regex(text));
        return {};
    }
    const auto at = text.rfind('@');
    if (at == std::string_view::npos) {
        if (!is_domain_value(text))
            return "expected an address, a domain like \"example.org\" (\".example.org\" for its subdomains), "
                   "\"<>\" or a glob, got \"" +
                   escaped(text) + "\"";
        matcher.add_name(text);
        return {};
    }
    if (at == 0 || !settings::is_dns_name(text.substr(at + 1)))
        return "expected an address like \"user@example.org\", got \"" + escaped(text) + "\"";
    matcher.add_whole(text);
    return {};
}

std::string add_host_value(TextMatcher& matcher, std::string_view text) {
    if (is_glob(text)) {
        matcher.add_pattern(glob_to_regex(text));
        return {};
    }
    if (!is_domain_value(text))
        return "expected a host name like \"mx.example.org\" (\".example.org\" for every name below it) or a glob, "
               "got \"" +
               escaped(text) + "\"";
    matcher.add_name(text);
    return {};
}

std::string network_problem(const std::string& text) {
    const auto network = settings::parse_network_with_host_bits(text);
    if (!network)
        return "expected a network like \"192.0.2.0/24\", \"2001:db8::/32\" or an address, got \"" + escaped(text) +
               "\"";
    if (const settings::Network base = settings::masked(*network); base.address != network->address)
        return "\"" + escaped(text) + "\" has bits set after the /" + std::to_string(network->prefix_length) +
               " prefix; did you mean \"" + base.str() + "\"?";
    return {};
}

void Lists::decode(const YAML::Node& node, const std::string& path, settings::Reporter& reporter,
                   const std::string& policy_file) {
    base_dir_ = reporter.base_dir();
    if (!node.IsDefined() || node.IsNull()) return;
    if (!node.IsMap()) {
        reporter.error(node, path + ": expected a map of list names, got " + settings::describe(node));
        return;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        const YAML::Node key = it->first;
        const std::string name = key.IsScalar() ? key.Scalar() : std::string();
        if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos) {
            reporter.error(key, path + ": expected a list name without spaces, got " + settings::describe(key));
            continue;
        }
        if (find(name)) {
            reporter.error(key, path + ": duplicate list '" + escaped(name) + "'");
            continue;
        }
        const std::string list_path = path + "." + name;
        settings::MapReader m(it->second, list_path, reporter, {"file", "values"});
        PolicyList list{name, {}, {}};
        if (m.has("file") == m.has("values")) {
            reporter.error(key, list_path + ": expected exactly one of 'file' or 'values'");
        } else if (m.has("values")) {
            list.source = policy_file;
            const YAML::Node values = m.get("values");
            const bool to_fill_in = values.IsSequence() && values.size() == 0;  // `values: []`, like an empty file
            if (!to_fill_in)
                for (auto& [text, mark] : detail::scalars(values, list_path + ".values", "entries", reporter))
                    list.entries.push_back({std::move(text), mark});
        } else if (const std::string file = m.file_path("file", ""); file.empty()) {
            m.expected("file", "the path of a list file");
        } else {
            std::string error;
            if (read_list_file(file, list.entries, error))
                list.source = file;
            else
                reporter.error(m.get("file"), list_path + ".file: cannot read '" + escaped(file) + "': " + error);
        }
        lists_.push_back(std::move(list));
    }
}

const PolicyList* Lists::find(std::string_view name) const {
    for (const auto& list : lists_)
        if (list.name == name) return &list;
    return nullptr;
}

std::vector<std::string> Lists::names() const {
    std::vector<std::string> out;
    for (const auto& list : lists_) out.push_back(list.name);
    return out;
}

void Lists::report(const PolicyList& list, ListUse use, const std::string& used_by, const ListEntry& entry,
                   const std::string& problem, settings::Diagnostics& diagnostics) {
    if (checked_.count({list.name, use})) return;
    settings::Reporter reporter(list.source, base_dir_, diagnostics);
    reporter.error(entry.mark, "list '" + escaped(list.name) + "' (read by " + used_by + "): " + problem);
}

std::shared_ptr<const CidrSet> Lists::networks(const PolicyList& list, const std::string& used_by,
                                               settings::Diagnostics& diagnostics) {
    if (const auto it = networks_.find(list.name); it != networks_.end()) return it->second;
    auto set = std::make_shared<CidrSet>();
    for (const auto& entry : list.entries) {
        if (const std::string problem = network_problem(entry.text); !problem.empty())
            report(list, ListUse::networks, used_by, entry, problem, diagnostics);
        else
            set->add(*settings::parse_network(entry.text));
    }
    set->finish();
    checked_.insert({list.name, ListUse::networks});
    networks_[list.name] = set;
    return set;
}

void Lists::add_to(const PolicyList& list, ListUse use, const std::string& used_by, TextMatcher& matcher,
                   settings::Diagnostics& diagnostics) {
    for (const auto& entry : list.entries) {
        const std::string problem =
            use == ListUse::names ? add_host_value(matcher, entry.text) : add_address_value(matcher, entry.text);
        if (!problem.empty()) report(list, use, used_by, entry, problem, diagnostics);
    }
    checked_.insert({list.name, use});
}

}  // namespace mxgate::policy::rules
