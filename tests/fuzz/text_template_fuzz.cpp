// libFuzzer: a reply template as an operator writes it (its first line) and a
// peer-controlled attribute value (the rest), rendered. abort()s when:
// - a template without braces is refused, or one is refused for reasons it does not name;
// - a rendered reply has a byte outside printable ASCII (it could end the reply line) or is over the cap;
// - a template without braces does not render as written.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "policy/rules/text_template.hpp"

namespace {

using namespace mxgate::policy::rules;
namespace core = mxgate::core;

void check(bool ok) {
    if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t newline = input.find('\n');
    const std::string_view text = input.substr(0, newline);
    const std::string_view value = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

    const auto refused = template_error(text, Reasons::refused);
    const auto allowed = template_error(text, Reasons::allowed);
    if (!has_placeholders(text)) check(!refused && !allowed);
    if (!allowed) check(!refused || text.find(".reason}") != std::string_view::npos);
    bool printable = true;  // the compiler takes reply text of printable ASCII only
    for (const char c : text) printable = printable && c >= 32 && c < 127;
    if (allowed || !printable) return 0;  // never rendered: the compiler refused it

    const std::vector<core::Finding> stage = {
        {"spf", core::Outcome::fail, {{"explanation", std::string(value)}}, std::string(value)},
        {"dnsbl.zen", core::Outcome::fail, {{"codes", std::string(value)}}, ""},
    };
    const std::string out = render_template(text, stage, {});
    check(out.size() <= max_rendered_chars);
    for (const char c : out) check(c >= 32 && c < 127);
    // A template of printable ASCII with no placeholder renders as written, braces undoubled.
    if (!has_placeholders(text) && text.size() <= max_rendered_chars) check(out == text);
    return 0;
}
