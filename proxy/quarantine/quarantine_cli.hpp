// `mxgate -c CONF quarantine list|show|release|delete|purge`: the admin's side
// of the quarantine folder (quarantine.store: maildir). With store: backend the
// items live in that backend, and each command says so. Every release and
// delete is logged (log line with the id and the user who ran it).
// Exit codes: 0 done; 1 bad config or usage; 2 no such item, or it is being
// released already; 3 a release did not reach every recipient (the item stays,
// the replies are printed); 4 the quarantine folder failed (I/O).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace mxgate::quarantine {

class QuarantineCommand {
public:
    // Adds the subcommand to `app`; `config_path` is read when it runs.
    QuarantineCommand(CLI::App& app, const std::string& config_path);
    bool chosen() const { return command_->parsed(); }
    int run() const;

private:
    const std::string& config_path_;
    CLI::App* command_;
    CLI::App* list_;
    CLI::App* show_;
    CLI::App* release_;
    CLI::App* delete_;
    CLI::App* purge_;
    std::string since_, until_, sender_, recipient_, reason_;
    std::string id_;
    bool force_ = false;
    bool raw_ = false;
};

}  // namespace mxgate::quarantine
