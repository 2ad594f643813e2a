// Named lists a policy refers to (`list: name`): networks, addresses, domains or
// host names, written inline (`values: [...]`) or in a file of their own
// (`file: path`, one entry per line, `#` starts a comment). An entry is checked
// for the use a condition makes of it, and a bad entry is reported once, at its
// line in the file it is in.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "policy/rules/matchers.hpp"
#include "proxy/core/settings/reporter.hpp"

namespace mxgate::policy::rules {

enum class ListUse : std::uint8_t { networks, addresses, names };

struct ListEntry {
    std::string text;
    YAML::Mark mark;  // in `source`
};

struct PolicyList {
    std::string name;
    std::string source;  // the file its entries are in: the list file, or the policy for `values`
    std::vector<ListEntry> entries;
};

// One value of an address condition: "a@example.org" (that address; "<>" is the
// null sender), "example.org" or ".example.org" (the domain, its subdomains),
// or a glob with * and ?. Returns "" or what is wrong.
std::string add_address_value(TextMatcher& matcher, std::string_view text);
// One value of a host-name condition: "mx.example.org", ".example.org", or a glob.
std::string add_host_value(TextMatcher& matcher, std::string_view text);
// "expected a network ..." or "" for a good CIDR without host bits.
std::string network_problem(const std::string& text);

class Lists {
public:
    // The top-level `lists:` map of `policy_file`; the reporter's base_dir resolves list files.
    void decode(const YAML::Node& node, const std::string& path, settings::Reporter& reporter,
                const std::string& policy_file);
    const PolicyList* find(std::string_view name) const;
    std::vector<std::string> names() const;

    // The entries of `list` as a network set (shared by every condition using it).
    // `used_by` (the condition's path) tells a bad entry's message which rule read it so.
    std::shared_ptr<const CidrSet> networks(const PolicyList& list, const std::string& used_by,
                                            settings::Diagnostics& diagnostics);
    // Adds the entries of `list` to `matcher` as addresses/domains or host names.
    void add_to(const PolicyList& list, ListUse use, const std::string& used_by, TextMatcher& matcher,
                settings::Diagnostics& diagnostics);

private:
    // Reports `problem` at `entry` unless this list was checked for this use already.
    void report(const PolicyList& list, ListUse use, const std::string& used_by, const ListEntry& entry,
                const std::string& problem, settings::Diagnostics& diagnostics);

    std::vector<PolicyList> lists_;
    std::map<std::string, std::shared_ptr<const CidrSet>> networks_;
    std::set<std::pair<std::string, ListUse>> checked_;
    std::string base_dir_;
};

}  // namespace mxgate::policy::rules
