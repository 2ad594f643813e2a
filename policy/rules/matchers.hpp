// The compiled matchers rules are made of: a CIDR set (sorted, merged ranges,
// binary search), a host/domain set (hash set with parent-domain suffixes) and a
// text matcher combining exact addresses, domains and one RE2::Set for all the
// globs and regexes of a condition. Built once by the compiler; matching
// allocates nothing and is linear in the text (RE2), whatever the pattern.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "proxy/core/settings/values.hpp"

namespace mxgate::policy::rules {

struct PatternSet;  // an RE2::Set (a nested class, so not declarable here)

class CidrSet {
public:
    void add(const settings::Network& network);
    void finish();                                                 // sorts and merges; call once after the last add()
    bool contains(const boost::asio::ip::address& address) const;  // v4-mapped v6 counts as v4
    std::size_t size() const noexcept { return v4_.size() + v6_.size(); }

private:
    using V6 = std::array<std::uint8_t, 16>;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> v4_;  // first, last
    std::vector<std::pair<V6, V6>> v6_;
};

// Host names and domains, compared in ASCII lower case. "example.org" matches that
// name only; ".example.org" matches every name below it (Postfix's convention).
class NameSet {
public:
    void add(std::string_view name);
    bool contains(std::string_view lowered_name) const;
    bool empty() const noexcept { return exact_.empty() && parents_.empty(); }

private:
    std::unordered_set<std::string> exact_;
    std::unordered_set<std::string> parents_;  // without the leading dot
};

// Glob ("*.example.org", "?") as an anchored RE2 pattern, case-insensitive.
std::string glob_to_regex(std::string_view glob);

// RE2's complaint about `pattern`, or "" when it compiles.
std::string regex_error(const std::string& pattern);

// Exact whole texts, names/domains, and patterns over the whole text: matches when
// any part does. For an address the whole text is "local@domain" and the name is
// its domain; for a host name both are the name.
class TextMatcher {
public:
    TextMatcher();
    ~TextMatcher();
    TextMatcher(TextMatcher&&) noexcept;
    TextMatcher& operator=(TextMatcher&&) noexcept;

    void add_whole(std::string_view text);
    void add_name(std::string_view name) { names_.add(name); }
    void add_pattern(const std::string& regex);  // check it with regex_error() first
    bool finish();  // compiles the patterns into one RE2::Set; false past RE2's memory budget

    bool matches(std::string_view lowered_whole, std::string_view lowered_name) const;
    bool empty() const noexcept { return whole_.empty() && names_.empty() && patterns_.empty(); }

private:
    std::unordered_set<std::string> whole_;
    NameSet names_;
    std::vector<std::string> patterns_;
    std::unique_ptr<PatternSet> set_;
};

// Several regexes over one text (header values): matches when any does.
class RegexAny {
public:
    RegexAny();
    ~RegexAny();
    RegexAny(RegexAny&&) noexcept;
    RegexAny& operator=(RegexAny&&) noexcept;

    void add(const std::string& regex);  // check it with regex_error() first
    bool finish();                       // false past RE2's memory budget
    bool matches(std::string_view text) const;
    bool empty() const noexcept { return patterns_.empty(); }

private:
    std::vector<std::string> patterns_;
    std::unique_ptr<PatternSet> set_;
};

}  // namespace mxgate::policy::rules
