#include "policy/policy.hpp"

namespace mxgate::policy {

Verdict Policy::decide(filters::Stage, const std::vector<filters::Finding>& findings) const {
    // Fail closed on a filter that could not decide: a temperror is a temporary
    // refusal, so the sender retries instead of mail slipping past a check.
    for (const auto& finding : findings) {
        if (finding.outcome == filters::Outcome::temperror)
            return {Verdict::Action::tempfail, 451, "4.7.0", "Temporary local problem, try again later",
                    "default.temperror:" + finding.name};
    }
    return {Verdict::Action::proceed, 0, {}, {}, "default"};
}

}  // namespace mxgate::policy
