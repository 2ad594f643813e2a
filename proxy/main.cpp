// mxgate: wiring only. Loads the config, binds the listeners, drops privileges,
// starts one worker per thread, and turns signals into reload (SIGHUP) and
// drain (SIGTERM, SIGINT).
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <mutex>

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/config/decode.hpp"
#include "proxy/generation.hpp"
#include "proxy/log.hpp"
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

// Enough descriptors for max_connections clients plus their backend connections.
void raise_file_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

void drop_privileges(const config::Server& server) {
    if (server.user.empty()) return;
    const passwd* pw = getpwnam(server.user.c_str());
    if (!pw) throw std::runtime_error("server.user: no such user '" + server.user + "'");
    gid_t gid = pw->pw_gid;
    if (!server.group.empty()) {
        const group* gr = getgrnam(server.group.c_str());
        if (!gr) throw std::runtime_error("server.group: no such group '" + server.group + "'");
        gid = gr->gr_gid;
    }
    if (initgroups(pw->pw_name, gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0)
        throw std::runtime_error("cannot switch to user '" + server.user + "': " + std::strerror(errno));
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

int run(const std::string& config_path) {
    config::Diagnostics diagnostics;
    auto config = config::load_config(config_path, diagnostics);
    if (!config) {
        print(diagnostics);
        return 1;
    }
    log::configure(config->logging);
    CurrentGeneration current;
    current.set(std::make_shared<const Generation>(config));
    auto client_tls = tls::make_client_context(*config);
    ConnectionLimiter limiter;

    signal(SIGPIPE, SIG_IGN);
    raise_file_limit();
    unsigned workers = config->server.workers ? config->server.workers : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<Worker>> pool;
    for (unsigned i = 0; i < workers; ++i)
        pool.push_back(std::make_unique<Worker>(i, *client_tls, limiter, [&current] { return current.get(); }));

    // Bind every listener in every worker before dropping privileges (port 25).
    for (const auto& listener : config->listeners) {
        auto endpoint = resolve_listen_endpoint(pool.front()->io(), listener.address);
        for (auto& worker : pool) {
            auto acceptor = bind_acceptor(worker->io(), endpoint);
            endpoint = acceptor.local_endpoint();  // port 0: the others share the port the first got
            worker->serve(std::move(acceptor), listener);
        }
        std::string shown = endpoint.address().is_v6() ? "[" + endpoint.address().to_string() + "]"
                                                      : endpoint.address().to_string();
        log::info(log::Line("listening").add("address", shown + ":" + std::to_string(endpoint.port()))
                      .add("tls", tls_name(listener.tls)));
    }
    // Signals are ours before anyone can be told we are ready.
    asio::io_context control;
    asio::signal_set signals(control, SIGHUP, SIGTERM, SIGINT);
    asio::steady_timer timer(control);
    drop_privileges(config->server);
    for (auto& worker : pool) worker->start();
    log::info(log::Line("ready").add("workers", workers).add("config", config_path));

    bool draining = false;
    std::function<void()> wait_signal;
    auto drained = [&] {
        for (auto& worker : pool)
            if (worker->sessions() > 0) return false;
        return true;
    };
    std::chrono::steady_clock::time_point drain_deadline;
    std::function<void()> poll_drain = [&] {
        if (drained()) {
            control.stop();
            return;
        }
        if (std::chrono::steady_clock::now() >= drain_deadline) {
            log::warn(log::Line("shutdown_deadline").add("sessions_aborted", limiter.total()));
            for (auto& worker : pool) worker->abort();
            drain_deadline = std::chrono::steady_clock::time_point::max();
        }
        timer.expires_after(std::chrono::milliseconds(50));
        timer.async_wait([&](auto) { poll_drain(); });
    };
    wait_signal = [&] {
        signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
            if (ec) return;
            if (signal_number == SIGHUP) {
                config::Diagnostics problems;
                auto fresh = config::load_config(config_path, problems);
                if (!fresh) {
                    for (const auto& d : problems)
                        log::error(log::Line("config_reload_failed").add("error", d.str()));
                } else if (!same_listeners(*fresh, *current.get()->config)) {
                    log::error(log::Line("config_reload_failed")
                                   .add("error", "listeners cannot change on reload; restart mxgate"));
                } else {
                    try {
                        current.set(std::make_shared<const Generation>(fresh));
                        log::configure(fresh->logging);
                        for (auto& worker : pool) worker->clear_backend_pool();
                        log::info(log::Line("config_reloaded").add("config", config_path));
                    } catch (const std::exception& e) {
                        log::error(log::Line("config_reload_failed").add("error", e.what()));
                    }
                }
            } else if (!draining) {
                draining = true;
                log::info(log::Line("draining").add("sessions", limiter.total()));
                for (auto& worker : pool) worker->drain();
                drain_deadline = std::chrono::steady_clock::now() + current.get()->config->timeouts.shutdown;
                poll_drain();
            }
            wait_signal();
        });
    };
    wait_signal();
    control.run();
    log::info(log::Line("stopped"));
    spdlog::default_logger()->flush();
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
    CLI11_PARSE(app, argc, argv);

    if (!check_path.empty()) {
        config::Diagnostics diagnostics;
        auto config = config::load_config(check_path, diagnostics);
        if (!config) {
            print(diagnostics);
            return 1;
        }
        try {
            Generation generation(config);  // also proves the TLS files load
        } catch (const std::exception& e) {
            std::cerr << check_path << ": " << e.what() << '\n';
            return 1;
        }
        std::cout << config::dump_config(*config);
        return 0;
    }
    try {
        return run(config_path);
    } catch (const std::exception& e) {
        std::cerr << "mxgate: " << e.what() << '\n';
        return 1;
    }
}
