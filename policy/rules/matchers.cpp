// CidrSet, NameSet, TextMatcher, RegexAny (matchers.hpp).
#include "policy/rules/matchers.hpp"

#include <algorithm>

#include <re2/re2.h>
#include <re2/set.h>

#include "proxy/core/text.hpp"

namespace mxgate::policy::rules {

struct PatternSet {
    re2::RE2::Set set;
};

namespace {

template <class Range>
void merge_sorted(std::vector<Range>& ranges, auto next_of) {
    std::sort(ranges.begin(), ranges.end());
    std::vector<Range> merged;
    for (const auto& range : ranges) {
        // Overlapping or adjacent ranges become one, so a lookup is one binary search.
        if (!merged.empty() && (range.first <= merged.back().second || next_of(merged.back().second) == range.first)) {
            merged.back().second = std::max(merged.back().second, range.second);
            continue;
        }
        merged.push_back(range);
    }
    ranges = std::move(merged);
}

template <class Ranges, class Value>
bool in_ranges(const Ranges& ranges, const Value& value) {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), value,
                               [](const Value& v, const auto& range) { return v < range.first; });
    return it != ranges.begin() && value <= std::prev(it)->second;
}

re2::RE2::Options pattern_options() {
    re2::RE2::Options options;
    options.set_log_errors(false);
    options.set_case_sensitive(false);
    return options;
}

std::unique_ptr<PatternSet> compile_set(const std::vector<std::string>& patterns) {
    if (patterns.empty()) return nullptr;
    auto compiled = std::make_unique<PatternSet>(PatternSet{re2::RE2::Set(pattern_options(), re2::RE2::UNANCHORED)});
    for (const auto& pattern : patterns) compiled->set.Add(pattern, nullptr);
    // The compiler checked each pattern: Compile fails only on RE2's memory budget.
    if (!compiled->set.Compile()) return nullptr;
    return compiled;
}

bool set_matches(const std::unique_ptr<PatternSet>& compiled, std::string_view text) {
    return compiled && compiled->set.Match(re2::StringPiece(text.data(), text.size()), nullptr);
}

}  // namespace

void CidrSet::add(const settings::Network& network) {
    const auto address = network.address;
    if (address.is_v4()) {
        const std::uint32_t base = address.to_v4().to_uint();
        const unsigned host_bits = 32 - std::min(network.prefix_length, 32u);
        const std::uint32_t span = host_bits == 32 ? 0xffffffffu : (std::uint32_t{1} << host_bits) - 1;
        v4_.emplace_back(base & ~span, (base & ~span) | span);
        return;
    }
    const V6 bytes = address.to_v6().to_bytes();
    V6 first = bytes, last = bytes;
    for (unsigned bit = std::min(network.prefix_length, 128u); bit < 128; ++bit) {
        const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
        first[bit / 8] &= static_cast<std::uint8_t>(~mask);
        last[bit / 8] |= mask;
    }
    v6_.emplace_back(first, last);
}

void CidrSet::finish() {
    merge_sorted(v4_, [](std::uint32_t last) { return last + 1; });  // wraps to 0 at the top: no false merge
    merge_sorted(v6_, [](V6 last) {
        for (auto i = last.size(); i-- > 0;)
            if (++last[i] != 0) break;
        return last;
    });
}

bool CidrSet::contains(const boost::asio::ip::address& address) const {
    if (address.is_v4()) return in_ranges(v4_, address.to_v4().to_uint());
    const auto v6 = address.to_v6();
    if (v6.is_v4_mapped())
        return in_ranges(v4_, boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_uint());
    return in_ranges(v6_, v6.to_bytes());
}

void NameSet::add(std::string_view name) {
    std::string lowered = core::ascii_lower(name);
    if (!lowered.empty() && lowered.back() == '.') lowered.pop_back();
    if (!lowered.empty() && lowered.front() == '.')
        parents_.insert(lowered.substr(1));
    else
        exact_.insert(std::move(lowered));
}

bool NameSet::contains(std::string_view name) const {
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);
    // Heterogeneous lookup is C++20 for unordered sets but not in GCC 12's library:
    // one string per lookup, reused for every parent.
    std::string key(name);
    if (exact_.count(key)) return true;
    if (parents_.empty()) return false;
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
        key.assign(name.substr(dot + 1));
        if (parents_.count(key)) return true;
    }
    return false;
}

std::string glob_to_regex(std::string_view glob) {
    std::string regex = "^";
    for (const char c : glob) {
        if (c == '*')
            regex += ".*";
        else if (c == '?')
            regex += '.';
        else
            regex += re2::RE2::QuoteMeta(re2::StringPiece(&c, 1));
    }
    return regex + "$";
}

std::string regex_error(const std::string& pattern) {
    const re2::RE2 compiled(pattern, pattern_options());
    return compiled.ok() ? std::string() : compiled.error();
}

TextMatcher::TextMatcher() = default;
TextMatcher::~TextMatcher() = default;
TextMatcher::TextMatcher(TextMatcher&&) noexcept = default;
TextMatcher& TextMatcher::operator=(TextMatcher&&) noexcept = default;

void TextMatcher::add_whole(std::string_view text) { whole_.insert(core::ascii_lower(text)); }
void TextMatcher::add_pattern(const std::string& regex) { patterns_.push_back(regex); }
bool TextMatcher::finish() {
    set_ = compile_set(patterns_);
    return patterns_.empty() || set_;
}

bool TextMatcher::matches(std::string_view whole, std::string_view name) const {
    if (!whole_.empty() && whole_.count(std::string(whole))) return true;
    if (names_.contains(name)) return true;
    return set_matches(set_, whole);
}

RegexAny::RegexAny() = default;
RegexAny::~RegexAny() = default;
RegexAny::RegexAny(RegexAny&&) noexcept = default;
RegexAny& RegexAny::operator=(RegexAny&&) noexcept = default;

void RegexAny::add(const std::string& regex) { patterns_.push_back(regex); }
bool RegexAny::finish() {
    set_ = compile_set(patterns_);
    return patterns_.empty() || set_;
}
bool RegexAny::matches(std::string_view text) const { return set_matches(set_, text); }

}  // namespace mxgate::policy::rules
