// `mxgate policy test --run-filters`: runs the filters of a config over one
// transaction given on the command line, stage by stage as the session does
// (connect, HELO, MAIL FROM, each RCPT, end of data with the message fed to the
// content filters), so that the walk (policy/rules/walk.hpp) reads real findings.
// The filters are built as the daemon builds them (same registry, settings and
// resolver), on one io_context here; no listener, no backend. Filters that record
// state (greylist, rate_limit, any that needs the state store) are never run: they
// would count a client that never came. A DNS failure is a finding (temperror);
// only a dns: section the resolver refuses throws (std::runtime_error).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/rules/walk.hpp"
#include "proxy/config/config.hpp"

namespace mxgate {

struct FilterRun {
    // The transaction's findings: what the filters found, less what a --finding of
    // the same name and stage replaced, and every --finding, in stage order.
    std::vector<policy::rules::GivenFinding> findings;
    std::string report;  // per stage what each filter found, printed before the trace
};

// `transaction.findings` are the --finding ones; `message` is the --message file's
// text (LF or CRLF), nullopt when none was given.
FilterRun run_filters(const config::Config& config, const policy::rules::Transaction& transaction,
                      const std::optional<std::string>& message);

}  // namespace mxgate
