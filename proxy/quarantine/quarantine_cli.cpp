#include "proxy/quarantine/quarantine_cli.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "proxy/config/decode.hpp"
#include "proxy/core/text.hpp"
#include "proxy/log.hpp"
#include "proxy/quarantine/quarantine_release.hpp"

namespace mxgate::quarantine {

namespace asio = boost::asio;

namespace {

enum Exit : int { done = 0, usage = 1, no_item = 2, release_incomplete = 3, store_failed = 4 };

// Who ran the command, for the log: the login name, else the uid.
std::string operator_name() {
    if (const passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
    return "uid " + std::to_string(::getuid());
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string recipients_text(const Item& item) {
    std::string text;
    for (const auto& r : item.recipients)
        text += (text.empty() ? "" : ",") + core::printable(r.address) + (r.delivered ? "(delivered)" : "");
    return text;
}

void print_summary(const StoredItem& stored) {
    const Item& item = stored.item;
    std::cout << item.id << '\t' << format_time(item.received) << '\t' << to_string(stored.state) << '\t' << '<'
              << core::printable(item.sender) << ">\t" << recipients_text(item) << '\t' << item.rule << '\t'
              << core::printable(item.reason, 200) << '\n';
}

void print_details(const StoredItem& stored) {
    const Item& item = stored.item;
    std::cout << "id: " << item.id << "\nstate: " << to_string(stored.state)
              << "\nreceived: " << format_time(item.received) << "\nsession: " << core::printable(item.session)
              << "\nclient: " << core::printable(item.client) << "\nhelo: " << core::printable(item.helo)
              << "\nsender: <" << core::printable(item.sender) << ">\n";
    for (const auto& r : item.recipients)
        std::cout << "recipient: <" << core::printable(r.address) << "> backend " << r.backend
                  << (r.delivered ? " (delivered)" : "") << '\n';
    std::cout << "rule: " << item.rule << "\nreason: " << core::printable(item.reason, 400) << "\nsize: " << item.size
              << "\n\n";
}

// Problems go to standard error through the logger, as every other line mxgate
// writes there (tests/integration/test_logging.py); stdout has the command's output.
int failed(int code, std::string_view command, std::string error, std::string_view id = {}) {
    log::Line line("quarantine_command_failed");
    line.add("command", std::string(command));
    if (!id.empty()) line.add("id", core::printable(id));
    log::error(line.add("error", std::move(error)));
    return code;
}

std::optional<std::int64_t> time_option(const std::string& text, const char* name, bool& bad) {
    if (text.empty()) return 0;
    auto parsed = parse_time(text);
    if (!parsed) {
        failed(usage, "list", std::string(name) + ": expected 2026-12-05, 2026-12-05T14:00:00 or Unix seconds");
        bad = true;
    }
    return parsed;
}

}  // namespace

QuarantineCommand::QuarantineCommand(CLI::App& app, const std::string& config_path) : config_path_(config_path) {
    command_ = app.add_subcommand("quarantine", "work the quarantine folder (quarantine.store: maildir)");
    command_->require_subcommand(1);
    list_ = command_->add_subcommand(
        "list", "list quarantined messages: id, received, state, sender, recipients, rule, reason");
    list_->add_option("--since", since_, "received at or after DATE (2026-12-05[T14:00:00], UTC)");
    list_->add_option("--until", until_, "received before DATE");
    list_->add_option("--sender", sender_, "sender contains TEXT");
    list_->add_option("--recipient", recipient_, "a recipient contains TEXT");
    list_->add_option("--reason", reason_, "rule or reason contains TEXT");
    show_ = command_->add_subcommand("show", "print an item's metadata and message");
    show_->add_option("id", id_, "item id")->required();
    show_->add_flag("--raw", raw_, "the message byte for byte (control characters are shown as \\xHH otherwise)");
    release_ = command_->add_subcommand("release", "deliver an item through its normal route, then delete it");
    release_->add_option("id", id_, "item id")->required();
    release_->add_flag("--force", force_, "retry an item left in state releasing by a release that crashed");
    delete_ = command_->add_subcommand("delete", "delete an item");
    delete_->add_option("id", id_, "item id")->required();
    delete_->add_flag("--force", force_, "delete an item left in state releasing");
    purge_ = command_->add_subcommand("purge", "delete items older than quarantine.retention");
}

int QuarantineCommand::run() const {
    config::Diagnostics diagnostics;
    auto config = config::load_config(config_path_, diagnostics);
    log::configure(config ? config->logging : config::Logging{});
    if (!config) {
        for (const auto& d : diagnostics) log::error(log::Line("config_error").add("error", d.str()));
        return usage;
    }
    const config::Quarantine& settings = config->quarantine;
    if (settings.store == config::QuarantineStore::backend) {
        return failed(usage, "quarantine", "quarantined messages live in backend '" + settings.backend +
                                               "' (quarantine.store: backend); work them there");
    }
    if (settings.store == config::QuarantineStore::none) {
        return failed(usage, "quarantine", "no quarantine is configured (quarantine.store: none)");
    }
    const QuarantineStore store(settings.directory);

    if (list_->parsed()) {
        ItemFilter filter{0, 0, sender_, recipient_, reason_};
        bool bad = false;
        filter.since = time_option(since_, "--since", bad).value_or(0);
        filter.until = time_option(until_, "--until", bad).value_or(0);
        if (bad) return usage;
        for (const auto& stored : store.list(filter)) print_summary(stored);
        return done;
    }
    if (purge_->parsed()) {
        const auto retention = std::chrono::duration_cast<std::chrono::seconds>(settings.retention);
        const auto deleted = store.purge(now_seconds(), retention);
        for (const auto& id : deleted)
            log::info(log::Line("quarantine_deleted").add("id", id).add("by", operator_name()).add("why", "retention"));
        std::cout << "purged " << deleted.size() << " item(s) older than " << retention.count() << "s\n";
        return done;
    }
    const std::string_view command = show_->parsed() ? "show" : delete_->parsed() ? "delete" : "release";
    auto found = store.find(id_);
    if (!found) return failed(no_item, command, "no such item", id_);
    if (show_->parsed()) {
        print_details(*found);
        std::ifstream in(store.message_path(id_, found->state), std::ios::binary);
        if (raw_) {
            std::cout << in.rdbuf();
            return done;
        }
        // The sender wrote this: no terminal escape sequences reach the admin's terminal.
        for (char c; in.get(c);) {
            const auto u = static_cast<unsigned char>(c);
            if ((u < 0x20 && c != '\r' && c != '\n' && c != '\t') || u == 0x7f) {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\x%02X", u);
                std::cout << escaped;
            } else {
                std::cout << c;
            }
        }
        return done;
    }
    if (delete_->parsed()) {
        if (found->state == ItemState::releasing && !force_) {
            // A release may be sending it right now.
            return failed(no_item, "delete", "being released (after a crash: delete --force)", id_);
        }
        if (auto problem = store.remove(id_); !problem.empty()) {
            return failed(store_failed, "delete", problem, id_);
        }
        log::info(log::Line("quarantine_deleted").add("id", id_).add("by", operator_name()).add("why", "delete"));
        std::cout << "deleted " << id_ << '\n';
        return done;
    }
    // release
    if (auto problem = store.claim(id_, force_); !problem.empty()) {
        return failed(no_item, "release", problem, id_);
    }
    Item item = found->item;
    log::info(log::Line("quarantine_release_started").add("id", id_).add("by", operator_name())
                  .add("force", force_ ? "yes" : "no"));
    asio::io_context io;
    ReleaseResult result;
    asio::co_spawn(io, release_item(io, config, store, item),
                   [&result](std::exception_ptr error, ReleaseResult outcome) {
                       result = std::move(outcome);
                       if (!error) return;
                       try {
                           std::rethrow_exception(error);
                       } catch (const std::exception& e) {  // from Asio or std: the item stays
                           result.failed.push_back(std::string("release stopped: ") + e.what());
                       }
                   });
    io.run();
    for (const auto& line : result.delivered) std::cout << "delivered: " << line << '\n';
    for (const auto& line : result.failed) std::cout << "failed: " << line << '\n';
    if (!result.store_error.empty()) {
        // Left in releasing/: a retry must not trust the delivered flags blindly.
        return failed(store_failed, "release", result.store_error, id_);
    }
    if (!result.complete()) {
        const std::string problem = store.unclaim(id_);
        log::warn(log::Line("quarantine_release_failed").add("id", id_).add("by", operator_name())
                      .add("failed", static_cast<long long>(result.failed.size())));
        std::cout << "kept " << id_ << (problem.empty() ? " in the quarantine" : " in state releasing: " + problem)
                  << '\n';
        return release_incomplete;
    }
    if (auto problem = store.remove(id_); !problem.empty()) {
        return failed(store_failed, "release", "delivered, but cannot delete it: " + problem, id_);
    }
    log::info(log::Line("quarantine_released").add("id", id_).add("by", operator_name())
                  .add("recipients", recipients_text(item)));
    std::cout << "released " << id_ << '\n';
    return done;
}

}  // namespace mxgate::quarantine
