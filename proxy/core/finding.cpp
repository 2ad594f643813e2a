#include "proxy/core/finding.hpp"

namespace mxgate::core {

std::string_view to_string(Stage stage) {
    switch (stage) {
        case Stage::connect: return "connect";
        case Stage::helo: return "helo";
        case Stage::mail_from: return "mail_from";
        case Stage::rcpt: return "rcpt";
        case Stage::end_of_data: return "end_of_data";
    }
    return "unknown";
}

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::pass: return "pass";
        case Outcome::fail: return "fail";
        case Outcome::softfail: return "softfail";
        case Outcome::neutral: return "neutral";
        case Outcome::none: return "none";
        case Outcome::temperror: return "temperror";
        case Outcome::permerror: return "permerror";
        case Outcome::skipped: return "skipped";
        case Outcome::policy: return "policy";
    }
    return "unknown";
}

}  // namespace mxgate::core
