// check_filters(): what the filter-related sections (dns:, state:, filters:) need
// from the file system once all sections are decoded: files that must exist for
// the enabled features. The sections themselves decode in their own folders
// (filters/dns, filters/state, filters/<name>).
#include <filesystem>

#include "proxy/config/decode_support.hpp"

namespace mxgate::config::detail {

void check_filters(const Config& c, Reporter& r) {
    if (c.dns.dnssec) {
        // libunbound reads the trust anchor only at the first query: check it now.
        const std::string field = "dns.dnssec_trust_anchor_file";
        const std::string& path = c.dns.dnssec_trust_anchor_file;
        if (auto reason = check_readable(path); !reason.empty()) {
            const std::string written = r.written(field).empty() ? path : r.written(field);
            r.error(r.first_mark({field, "dns.dnssec"}),
                    field + ": cannot read \"" + escaped(written) + "\": " + reason + " (needed by dns.dnssec: true)");
        }
    }

    if (!c.filters.need_state() || c.state.backend != filters::state::Backend::sqlite) return;
    const std::string user = c.filters.state_user();
    const std::string field = "state.sqlite.path";
    const YAML::Mark mark = r.first_mark({field, "state.sqlite", "state.backend", user + ".enabled"});
    const std::string& path = c.state.sqlite.path;
    if (path.empty()) {
        r.error(mark, field + ": expected the path of the SQLite file (" + user + " needs the state store), got \"\"");
        return;
    }
    const std::string shown = "\"" + escaped(r.written(field).empty() ? path : r.written(field)) + "\"";
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        r.error(mark, field + ": " + shown + " is a directory; expected the path of the SQLite file");
        return;
    }
    const fs::path directory = fs::path(path).parent_path();
    if (!fs::is_directory(directory, ec))
        r.error(mark, field + ": the directory of " + shown + " does not exist (" + user +
                          " needs the state store; mxgate creates the file, not the directory)");
}

}  // namespace mxgate::config::detail
