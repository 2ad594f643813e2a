// mxgate: wiring only. Loads the config, binds the listeners, drops privileges,
// starts one worker per thread, and turns signals into reload (SIGHUP) and
// drain (SIGTERM, SIGINT).
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "filters/state/housekeeping.hpp"
#include "policy/rules/summary.hpp"
#include "proxy/config/decode.hpp"
#include "proxy/generation.hpp"
#include "proxy/log.hpp"
#include "proxy/metrics/metrics_server.hpp"
#include "proxy/metrics/prometheus_text.hpp"
#include "proxy/policy_command.hpp"
#include "proxy/policy_watch.hpp"
#include "proxy/quarantine/quarantine_cli.hpp"
#include "proxy/quarantine/quarantine_store.hpp"
#include "proxy/tls/context.hpp"
#include "proxy/worker.hpp"

namespace asio = boost::asio;
using namespace mxgate;

namespace {

class CurrentGeneration {
public:
    std::shared_ptr<const Generation> get() const {
        std::lock_guard lock(mutex_);
        return generation_;
    }
    void set(std::shared_ptr<const Generation> g) {
        std::lock_guard lock(mutex_);
        generation_ = std::move(g);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const Generation> generation_;
};

void print(const config::Diagnostics& diagnostics) {
    for (const auto& d : diagnostics) std::cerr << d.str() << '\n';
}

// glibc hands a worker arena's freed top back to the kernel once it passes the
// trim threshold (128 KiB by default), and each new message's buffers then fault
// their pages in again: at 50 sessions of 100 KB messages that doubled mxgate's CPU
// per message (docs/performance.md, "Issue 12"). Up to this much freed memory stays
// in each arena instead.
constexpr int kept_free_memory_per_arena = 8 * 1024 * 1024;

void keep_freed_memory() {
    if (mallopt(M_TRIM_THRESHOLD, kept_free_memory_per_arena) != 1)
        log::warn(log::Line("mallopt_failed").add("option", "M_TRIM_THRESHOLD"));
}

// Enough descriptors for max_connections clients plus their backend connections.
void raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

struct ServerIdentity {
    uid_t uid;
    gid_t gid;
};

// server.user's uid and server.group's gid (the user's primary group when "").
ServerIdentity server_identity(const config::Server& server) {
    const passwd* pw = getpwnam(server.user.c_str());
    if (!pw) throw std::runtime_error("server.user: no such user '" + server.user + "'");
    ServerIdentity id{pw->pw_uid, pw->pw_gid};
    if (!server.group.empty()) {
        const group* gr = getgrnam(server.group.c_str());
        if (!gr) throw std::runtime_error("server.group: no such group '" + server.group + "'");
        id.gid = gr->gr_gid;
    }
    return id;
}

// Switches to server.user once the listeners are bound. Root after this step is
// refused unless server.allow_root: a parser bug must not hand out uid 0
// (Postfix refuses a root mail_owner for the same reason).
void drop_privileges(const config::Server& server) {
    if (!server.user.empty()) {
        const ServerIdentity id = server_identity(server);
        if (geteuid() != 0) {
            // Started as that user already (a container's USER): nothing to switch.
            if (getuid() != id.uid || geteuid() != id.uid)
                throw std::runtime_error("cannot switch to user '" + server.user + "': not started as root");
        } else if (initgroups(server.user.c_str(), id.gid) != 0 || setgid(id.gid) != 0 || setuid(id.uid) != 0) {
            throw std::runtime_error("cannot switch to user '" + server.user + "': " + std::strerror(errno));
        }
    }
    if (geteuid() != 0) return;
    if (!server.allow_root)
        throw std::runtime_error("refusing to run as root: set server.user to an unprivileged user "
                                 "(or server.allow_root: true)");
    log::warn(log::Line("running_as_root").add("reason", "server.allow_root is true"));
}

// --check-config run by root opens what the daemon opens (the SQLite file and its
// -wal/-shm, which it may create) as server.user, so the check proves that user
// can open them and leaves no root-owned file the daemon could not open later.
// Effective ids only, restored after; a user missing here is the daemon's start
// error, reported now.
template <class Check>
void as_server_user(const config::Server& server, Check check) {
    if (geteuid() != 0 || server.user.empty()) return check();
    const ServerIdentity id = server_identity(server);
    if (setegid(id.gid) != 0 || seteuid(id.uid) != 0)
        throw std::runtime_error("cannot act as user '" + server.user + "': " + std::strerror(errno));
    struct Restore {
        ~Restore() {
            if (seteuid(0) != 0 || setegid(0) != 0) std::abort();  // never go on with another user's ids
        }
    } restore;
    check();
}

bool same_listeners(const config::Config& a, const config::Config& b) {
    if (a.listeners.size() != b.listeners.size()) return false;
    for (std::size_t i = 0; i < a.listeners.size(); ++i)
        if (a.listeners[i].address.str() != b.listeners[i].address.str() || a.listeners[i].tls != b.listeners[i].tls)
            return false;
    return true;
}

std::string tls_name(config::ListenerTls tls) {
    switch (tls) {
        case config::ListenerTls::none: return "none";
        case config::ListenerTls::starttls: return "starttls";
        case config::ListenerTls::implicit: return "implicit";
    }
    return "none";
}

// Shared services outlive generations; a reload may need one for the first time.
void provide_services(const config::Config& config, filters::Services& services) {
    if (config.filters.need_state() && !services.store) services.store = filters::state::make_store(config.state);
    provide_lmtp_store(config, services);
    if (config.filters.need_resolver() && !services.resolver) services.resolver = make_resolver(config);
}

// `reason`: sighup, or policy_changed (the watcher, proxy/policy_watch.hpp).
// False when the new config is refused and the current generation stays.
bool reload(const std::string& config_path, const std::string& reason, CurrentGeneration& current,
            std::vector<std::unique_ptr<Worker>>& pool, filters::Services& services) {
    const auto failed = [&reason](const std::string& error) {
        log::error(log::Line("config_reload_failed").add("reason", reason).add("error", error));
    };
    config::Diagnostics problems;
    auto fresh = config::load_config(config_path, problems);
    if (!fresh) {
        for (const auto& d : problems) failed(d.str());
        return false;
    }
    if (!same_listeners(*fresh, *current.get()->config)) {
        failed("listeners cannot change on reload; restart mxgate");
        return false;
    }
    if (fresh->state != current.get()->config->state && services.store)
        log::warn(log::Line("config_reload_partial").add("reason", "state: changes take effect after a restart"));
    if (fresh->metrics != current.get()->config->metrics)
        log::warn(log::Line("config_reload_partial").add("reason", "metrics: changes take effect after a restart"));
    if (fresh->dns != current.get()->config->dns && services.resolver)
        log::warn(log::Line("config_reload_partial").add("reason", "dns: changes take effect after a restart"));
    try {
        provide_services(*fresh, services);
        current.set(std::make_shared<const Generation>(fresh, services));  // TLS files are loaded here
    } catch (const std::exception& e) {
        failed(e.what());
        return false;
    }
    log::configure(fresh->logging);
    for (auto& worker : pool) worker->clear_backend_pool();
    log::info(log::Line("config_reloaded").add("config", config_path).add("reason", reason));
    return true;
}

// SIGTERM/SIGINT: stop accepting, let open transactions finish until
// timeouts.shutdown, then cut the rest off (never acknowledging a message).
asio::awaitable<void> drain(std::vector<std::unique_ptr<Worker>>& pool, const ConnectionLimiter& limiter,
                            std::chrono::milliseconds grace) {
    log::info(log::Line("draining").add("sessions", limiter.total()));
    for (auto& worker : pool) worker->drain();
    auto deadline = std::chrono::steady_clock::now() + grace;
    bool aborted = false;
    asio::steady_timer poll(co_await asio::this_coro::executor);
    for (;;) {
        bool idle = std::all_of(pool.begin(), pool.end(), [](const auto& w) { return w->sessions() == 0; });
        if (idle) co_return;
        if (!aborted && std::chrono::steady_clock::now() >= deadline) {
            log::warn(log::Line("shutdown_deadline").add("sessions_aborted", limiter.total()));
            for (auto& worker : pool) worker->abort();
            aborted = true;
        }
        poll.expires_after(std::chrono::milliseconds(50));
        co_await poll.async_wait(asio::use_awaitable);
    }
}

// quarantine.retention, kept by the daemon itself (`mxgate quarantine purge` does the
// same by hand): hourly, with the settings of the generation in force then.
asio::awaitable<void> purge_quarantine(const CurrentGeneration& current) {
    asio::steady_timer tick(co_await asio::this_coro::executor);
    for (;;) {
        const auto config = current.get()->config;
        if (config->quarantine.store == config::QuarantineStore::maildir) {
            const quarantine::QuarantineStore store(config->quarantine.directory);
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
            try {
                for (const auto& id : store.purge(now, std::chrono::duration_cast<std::chrono::seconds>(
                                                           config->quarantine.retention)))
                    log::info(log::Line("quarantine_deleted").add("id", id).add("by", "mxgate").add("why", "retention"));
            } catch (const std::exception& e) {  // the next hour tries again
                log::warn(log::Line("quarantine_purge_failed").add("error", e.what()));
            }
        }
        tick.expires_after(std::chrono::hours(1));
        co_await tick.async_wait(asio::use_awaitable);
    }
}

// Every counter of the process at this moment (docs/metrics.md): the current
// generation's filters, chain and policy verdicts, and the shared services.
std::string metrics_text(const Generation& generation, const filters::Services& services,
                         const backend::BackendSlots& backend_slots) {
    metrics::PrometheusText text;
    generation.chain.report(text);
    generation.verdict_counts->report(text);
    if (services.resolver) services.resolver->report(text);
    backend_slots.report(text);
    return text.str();
}

std::string shown(const asio::ip::tcp::endpoint& endpoint) {
    const std::string address = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                           : endpoint.address().to_string();
    return address + ":" + std::to_string(endpoint.port());
}

asio::ip::tcp::acceptor bind_metrics(asio::io_context& io, const config::Endpoint& listen) {
    try {
        return asio::ip::tcp::acceptor(io, resolve_listen_endpoint(io, listen));
    } catch (const boost::system::system_error& e) {
        throw std::runtime_error("metrics.listen " + listen.str() + ": " + e.what());
    }
}

asio::awaitable<void> handle_signals(asio::signal_set& signals, const std::function<void(const std::string&)>& reload,
                                     const CurrentGeneration& current, std::vector<std::unique_ptr<Worker>>& pool,
                                     const ConnectionLimiter& limiter) {
    for (;;) {
        int signal_number = co_await signals.async_wait(asio::use_awaitable);
        if (signal_number == SIGHUP) {
            reload("sighup");
            continue;
        }
        co_await drain(pool, limiter, current.get()->config->timeouts.shutdown);
        co_return;
    }
}

int run(const std::string& config_path) {
    config::Diagnostics diagnostics;
    auto config = config::load_config(config_path, diagnostics);
    if (!config) {
        print(diagnostics);
        return 1;
    }
    log::configure(config->logging);
    filters::Services services;
    CurrentGeneration current;  // set once privileges are dropped; no session runs before
    ConnectionLimiter limiter;
    auto backend_slots = std::make_shared<backend::BackendSlots>();  // backends' max_connections, all workers

    signal(SIGPIPE, SIG_IGN);
    raise_file_limit();
    keep_freed_memory();
    unsigned workers = config->server.workers ? config->server.workers : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<Worker>> pool;
    for (unsigned i = 0; i < workers; ++i)
        pool.push_back(std::make_unique<Worker>(i, limiter, backend_slots, [&current] { return current.get(); }));

    // Bind every listener in every worker before dropping privileges (port 25).
    for (const auto& listener : config->listeners) {
        auto endpoint = resolve_listen_endpoint(pool.front()->io(), listener.address);
        for (auto& worker : pool) {
            auto acceptor = bind_acceptor(worker->io(), endpoint);
            endpoint = acceptor.local_endpoint();  // port 0: the others share the port the first got
            worker->serve(std::move(acceptor), listener);
        }
        log::info(log::Line("listening").add("address", shown(endpoint)).add("tls", tls_name(listener.tls)));
    }
    // Signals are ours before anyone can be told we are ready.
    asio::io_context control;
    // Bound with the SMTP listeners (before privileges drop), served once ready.
    std::optional<asio::ip::tcp::acceptor> metrics_acceptor;
    if (config->metrics.enabled()) {
        metrics_acceptor.emplace(bind_metrics(control, config->metrics.listen));
        const auto endpoint = metrics_acceptor->local_endpoint();
        log::info(log::Line("metrics_listening").add("address", shown(endpoint)));
        // Allowed, but the counters reveal traffic and the endpoint has no authentication.
        if (!endpoint.address().is_loopback())
            log::warn(log::Line("metrics_not_loopback").add("address", shown(endpoint))
                          .add("advice", "keep it behind a firewall or on a management network"));
    }
    asio::signal_set signals(control, SIGHUP, SIGTERM, SIGINT);
    drop_privileges(config->server);
    // As server.user: what is created now (state database, later Maildir folders)
    // belongs to it, and a reload can read again whatever a start could.
    try {
        provide_services(*config, services);
        current.set(std::make_shared<const Generation>(config, services));
    } catch (const std::exception& e) {
        if (config->server.user.empty()) throw;
        throw std::runtime_error(std::string(e.what()) + " (opened as server.user '" + config->server.user + "')");
    }
    for (auto& worker : pool) worker->start();
    log::info(log::Line("ready").add("workers", workers).add("config", config_path));

    // Expired greylist and counter entries (Redis expires its own keys).
    if (services.store)
        asio::co_spawn(control, filters::state::housekeeping_loop(*services.store, std::chrono::minutes(1),
                                                                  filters::state::system_now),
                       asio::detached);
    asio::co_spawn(control, purge_quarantine(current), asio::detached);
    if (metrics_acceptor)
        asio::co_spawn(control, metrics::serve_metrics(*metrics_acceptor, [&] {
            return metrics_text(*current.get(), services, *backend_slots);
        }), asio::detached);
    // Every reload, by signal or by the watcher. A refused one marks the policy files as
    // they were before it, so that the watcher does not compile the same files again.
    PolicyWatch policy_watch;
    const std::function<void(const std::string&)> reload_for = [&](const std::string& reason) {
        auto before = policy_file_stamps(*current.get()->config);
        if (!reload(config_path, reason, current, pool, services)) policy_watch.refused(std::move(before));
    };
    asio::co_spawn(control, watch_policy(policy_watch, [&current] { return current.get()->config; }, reload_for),
                   asio::detached);
    // When the drain is over, the control loop ends, whatever else it runs.
    asio::co_spawn(control, handle_signals(signals, reload_for, current, pool, limiter),
                   [&control](std::exception_ptr) { control.stop(); });
    control.run();
    log::info(log::Line("stopped"));
    log::flush();
    // Workers' state (pools, acceptors) is torn down by process exit: every session
    // has ended, so nothing is left to finish and no destructor order to get wrong.
    std::fflush(nullptr);
    _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"mxgate: an in-line SMTP gateway"};
    std::string config_path = "conf/mxgate.yaml";
    std::string check_path;
    app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
    app.add_option("--check-config", check_path, "validate FILE, print the effective configuration, and exit");
    app.set_version_flag("--version", "mxgate 0.1.0");
    const quarantine::QuarantineCommand quarantine_command(app, config_path);
    PolicyCommand policy_command;
    add_policy_command(app, policy_command);
    CLI11_PARSE(app, argc, argv);
    if (quarantine_command.chosen()) return quarantine_command.run();
    if (const auto exit_code = run_policy_command(policy_command)) return *exit_code;

    if (!check_path.empty()) {
        config::Diagnostics diagnostics;
        auto config = config::load_config(check_path, diagnostics);
        if (!config) {
            print(diagnostics);
            return 1;
        }
        try {
            as_server_user(config->server, [&] {
                filters::Services services;
                provide_services(*config, services);      // opens the state store: proves it works
                Generation generation(config, services);  // also proves the TLS files load
            });
        } catch (const std::exception& e) {
            std::cerr << check_path << ": " << e.what() << '\n';
            return 1;
        }
        std::cout << config::dump_config(*config);
        // As comments, so that the dump stays a config that loads.
        if (config->policy.compiled) policy::rules::print_summary(*config->policy.compiled, std::cout, "# ");
        return 0;
    }
    try {
        return run(config_path);
    } catch (const std::exception& e) {
        if (log::configured()) {
            log::error(log::Line("start_failed").add("error", e.what()));
        } else {
            std::cerr << "mxgate: " << e.what() << '\n';
        }
        return 1;
    }
}
