// A From: domain as DNS knows it: UTF-8 labels (RFC 6532 allows them in From:)
// converted to A-labels ("xn--", IDNA2008 with UTS #46 non-transitional
// processing, via libidn2), so that discovery asks for the name a domain
// publishes and alignment compares it with DKIM d= and SPF domains, which are
// written in A-labels. Pure; an unconvertible name is an empty result.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxgate::filters::dmarc {

// ASCII names come back unchanged (libidn2 is not asked, so an underscore or
// an LDH oddity stays the DNS's to judge); others as lower-case A-labels.
std::optional<std::string> ascii_domain(std::string_view domain);

}  // namespace mxgate::filters::dmarc
