// The Organizational Domain (RFC 7489 §3.2): the registrable domain of a name
// under the Public Suffix List, read with libpsl from Debian's publicsuffix data
// (never "the last two labels": a.b.example.co.uk -> example.co.uk). Both the
// ICANN and the private section count: a private entry (github.io, blogspot.com)
// marks where different owners' names begin, so user1.github.io is not aligned
// with user2.github.io nor governed by github.io's policy (docs/filters.md "DMARC").
// Loaded once per process and path, shared read-only (libpsl lookups are
// thread-safe on a loaded context). A file that cannot be loaded is an error value.
#pragma once

#include <memory>
#include <string>
#include <string_view>

struct psl_ctx_st;

namespace mxgate::filters::dmarc {

class PublicSuffixList {
public:
    struct Loaded {
        std::shared_ptr<const PublicSuffixList> list;  // null: see error
        std::string error;
    };
    // The list at `path` (a .dafsa or a .dat file), loaded once per process.
    static Loaded shared(const std::string& path);

    explicit PublicSuffixList(psl_ctx_st* context) noexcept : context_(context) {}
    ~PublicSuffixList();
    PublicSuffixList(const PublicSuffixList&) = delete;
    PublicSuffixList& operator=(const PublicSuffixList&) = delete;

    // The organizational domain of `domain` (lower case, no trailing dot): its
    // registrable part, or `domain` itself when it is a public suffix (§3.2 step
    // 3 finds no longer name; a policy published there still applies to it).
    std::string organizational_domain(std::string_view domain) const;

private:
    psl_ctx_st* context_;
};

}  // namespace mxgate::filters::dmarc
