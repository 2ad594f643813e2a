// The text `mxgate policy test` prints for a walked transaction (walk.hpp): per
// stage every rule evaluated (matched or not, and why), the findings that became
// visible or stayed hidden, monitored verdicts, actions and the reply; then one
// summary line. Pure.
#pragma once

#include <string>

#include "policy/rules/walk.hpp"

namespace mxgate::policy::rules {

std::string walk_report(const Walk& walk, const Transaction& transaction);
// "spf=fail;domain=example.org", as --finding writes it, less the header text a
// filter adds to the message (`add_header`, `auth_results`): long, folded over
// lines, and saying what the other attributes say.
std::string finding_text(const core::Finding& finding);
// "verdict: reject by rule blocked (score 3): 550 5.7.1 Message rejected by policy"
std::string summary_line(const TransactionVerdict& verdict);

}  // namespace mxgate::policy::rules
