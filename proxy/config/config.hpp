// The whole configuration as plain structs, one per YAML section: the key equals
// the field name, defaults are member initializers, so this file documents them.
// The proxy's own sections are described once (BOOST_DESCRIBE_STRUCT, in dump
// order); their field rules are in sections.hpp, decoding and dump derive from both.
// Built once per config generation and shared read-only (shared_ptr<const Config>).
// Decoding errors are collected as Diagnostics with file:line:column (decode.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include "filters/dns/dns_config.hpp"
#include "filters/settings.hpp"
#include "filters/state/state_config.hpp"
#include "proxy/core/file_stamp.hpp"
#include "proxy/core/settings/values.hpp"

namespace mxgate::policy::rules {
struct CompiledPolicy;  // policy/rules/compiled_policy.hpp
}

namespace mxgate::config {

using settings::Duration;  // YAML: "300ms", "30s", "5m", "1h"
using settings::ByteSize;  // YAML: "1000", "64KiB", "10MiB", "1GiB", also "kB"/"MB" (powers of 1000)
using settings::Network;   // YAML: "10.0.0.0/8", "::1/128", "192.0.2.7" (= /32)
using namespace std::chrono_literals;

struct Endpoint {           // YAML: "127.0.0.1:25", "[::1]:25", "localhost:25"
    std::string host;       // literal address or name (resolved at startup)
    std::uint16_t port = 0; // 0 = ephemeral (tests read the real port from the log)
    std::string str() const;

    bool operator==(const Endpoint&) const = default;  // reload: what changed
};

enum class ListenerTls { none, starttls, implicit };  // YAML: none | starttls | implicit
BOOST_DESCRIBE_ENUM(ListenerTls, none, starttls, implicit)

struct Listener {                          // yaml: listeners: [ ... ]
    Endpoint address;                      // required
    ListenerTls tls = ListenerTls::none;   // starttls/implicit need tls.certificate
    bool proxy_protocol = false;           // reserved for the HAProxy PROXY header; must be false now

    bool operator==(const Listener&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Listener, (), (address, tls, proxy_protocol))

struct Tls {                               // yaml: tls:
    std::string certificate;               // PEM chain file; empty = no TLS offered
    std::string private_key;               // PEM key file
    std::string min_version = "TLSv1.2";   // TLSv1.2 | TLSv1.3
    std::string ciphers;                   // OpenSSL cipher list for TLS <= 1.2; empty = OpenSSL default

    bool operator==(const Tls&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Tls, (), (certificate, private_key, min_version, ciphers))

struct Server {                            // yaml: server:
    std::string hostname;                  // greeting/Received name; empty = gethostname(), filled in by parse_config
    std::string banner = "ESMTP mxgate";   // text after the hostname in the 220 greeting
    // Our name in Authentication-Results (RFC 8601 §2.5); incoming fields claiming
    // it are removed. Empty = hostname. Give every node of a fleet the same one.
    std::string authserv_id;
    unsigned workers = 0;                  // threads, each with its own event loop; 0 = one per core
    std::string user;                      // drop privileges to this user after binding; empty = stay
    std::string group;                     // group for `user`; empty = the user's primary group
    bool allow_root = false;               // run on as root (uid 0 after the drop step) with a warning; else refuse

    bool operator==(const Server&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Server, (), (hostname, banner, authserv_id, workers, user, group, allow_root))

struct Limits {                                     // yaml: limits:
    std::size_t max_command_line_length = 2048;     // RFC 5321 §4.5.3.1.4 minimum is 512
    std::size_t max_text_line_length = 1000;        // RFC 5321 §4.5.3.1.6, incl. CRLF; 0 = off
    std::size_t max_recipients = 1000;              // per message (Postfix smtpd_recipient_limit)
    // 452 4.5.3 recipients (over max_recipients, a second LMTP recipient, another route) per
    // message that do not count as errors; beyond it each does (smtpd_recipient_overshoot_limit).
    std::size_t recipient_overshoot_limit = 1000;
    ByteSize max_message_size{50ull * 1024 * 1024}; // advertised in SIZE, enforced while streaming
    unsigned max_errors = 20;                       // protocol errors before 421 (smtpd_hard_error_limit)
    unsigned max_junk_commands = 100;               // NOOP/RSET/VRFY/HELP/repeated EHLO... (smtpd_junk_command_limit)
    unsigned max_connections = 5000;                // open client sessions, whole process
    unsigned max_connections_per_ip = 50;           // open sessions per client network, at these prefixes:
    unsigned connection_limit_ipv4_prefix = 32;     // per address (Postfix anvil counts per address)
    unsigned connection_limit_ipv6_prefix = 64;     // one IPv6 host usually owns a whole /64
    unsigned max_transactions_per_session = 1000;   // MAIL commands per session

    bool operator==(const Limits&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Limits, (),
                      (max_command_line_length, max_text_line_length, max_recipients, recipient_overshoot_limit,
                       max_message_size, max_errors, max_junk_commands, max_connections, max_connections_per_ip,
                       connection_limit_ipv4_prefix, connection_limit_ipv6_prefix, max_transactions_per_session))

struct Timeouts {                       // yaml: timeouts:  (deadlines, not idle timers)
    Duration command = 5min;            // to receive one complete command line (RFC 5321 §4.5.3.2.7)
    Duration data = 10min;              // to receive a whole message after 354 / all BDAT chunks (§4.5.3.2.6)
    Duration tls_handshake = 30s;       // STARTTLS or implicit TLS handshake
    Duration shutdown = 30s;            // SIGTERM: how long open transactions may finish
    Duration backend_connect = 30s;     // TCP connect + greeting + EHLO/LHLO (+ STARTTLS)
    Duration backend_reply = 5min;      // each reply to MAIL/RCPT/DATA (§4.5.3.2.2-4)
    Duration backend_data_done = 10min; // reply after the final dot (§4.5.3.2.6)
    Duration backend_idle = 60s;        // a pooled idle backend connection older than this is closed

    bool operator==(const Timeouts&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Timeouts, (),
                      (command, data, tls_handshake, shutdown, backend_connect, backend_reply, backend_data_done,
                       backend_idle))

enum class BackendKind { smtp, lmtp, maildir };         // YAML: smtp | lmtp | maildir
BOOST_DESCRIBE_ENUM(BackendKind, smtp, lmtp, maildir)
enum class BackendTls { none, opportunistic, required }; // YAML: none | opportunistic | required
BOOST_DESCRIBE_ENUM(BackendTls, none, opportunistic, required)
enum class ClientIdentity { auto_, xclient, xforward, none }; // YAML: auto | xclient | xforward | none

// Described without `name` (the map key) and `kind` (the key `type`, read first:
// which of the other keys apply depends on it, sections.hpp).
struct Backend {                           // yaml: backends: { <name>: {...} }
    std::string name;                      // the map key
    BackendKind kind = BackendKind::smtp;  // key: type
    std::vector<Endpoint> servers;         // smtp/lmtp: tried in order (failover)
    std::string path;                      // maildir: root directory; mailbox = <path>/<domain>/<local>/
    // maildir: the recipients that have a mailbox, lower case: "alice" (any domain routed
    // here) or "alice@example.org"; others get 550 5.1.1 at RCPT (Postfix local_recipient_maps).
    std::vector<std::string> mailboxes;    // [] = any local part
    bool create_mailboxes = true;          // maildir: create a missing mailbox folder; false = existing ones only
    unsigned max_new_mailboxes_per_message = 10; // maildir: further new folders in one message get 452 4.5.3
    BackendTls tls = BackendTls::none;     // STARTTLS to the backend
    bool tls_verify = false;               // verify the backend certificate (needs ca_file or system store)
    std::string ca_file;                   // PEM CA bundle; empty = system default
    std::string tls_server_name;           // SNI and name to verify; empty = the server host
    ClientIdentity client_identity = ClientIdentity::auto_; // pass client IP/HELO: XCLIENT or XFORWARD
    std::string helo_name;                 // our EHLO/LHLO name; empty = server.hostname
    unsigned max_idle_connections = 16;    // per worker thread: pooled connections kept for reuse
    unsigned max_connections = 100;        // open at once, whole process (Postfix default_process_limit)
    // Local parts with routing syntax (a%b@us, b!a@us, "a@b"@us) from untrusted clients;
    // off, as Postfix allow_untrusted_routing = no: a backend with the percent hack or
    // bang paths would relay them on.
    bool allow_untrusted_routing = false;
    // lmtp: how long mxgate remembers a transaction whose recipients were answered
    // differently (which of them have the message), so the client's retries deliver
    // to the rest only; cover the client's queue lifetime (Postfix maximal_queue_lifetime 5d).
    Duration mixed_outcome_memory = std::chrono::hours(120);

    bool operator==(const Backend&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Backend, (),
                      (allow_untrusted_routing, servers, path, mailboxes, create_mailboxes,
                       max_new_mailboxes_per_message, tls, tls_verify, ca_file, tls_server_name, client_identity,
                       helo_name, max_idle_connections, max_connections, mixed_outcome_memory))

struct Logging {                 // yaml: logging:
    std::string level = "info";  // trace | debug | info | warn | error
    std::string format = "text"; // text (logfmt key=value) | json

    bool operator==(const Logging&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Logging, (), (level, format))

// Where a message waits for the end-of-data verdict when a content filter reads
// it (issue 11): in memory up to memory_limit, beyond that in an unlinked file
// (O_TMPFILE) in directory. Unused when no content filter is enabled.
struct Spool {                                 // yaml: spool:
    std::string directory = "/var/tmp";        // must exist and allow O_TMPFILE (checked at load)
    ByteSize memory_limit{256 * 1024};         // per message in flight

    bool operator==(const Spool&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Spool, (), (directory, memory_limit))

enum class QuarantineStore { none, maildir, backend };  // YAML: none | maildir | backend
BOOST_DESCRIBE_ENUM(QuarantineStore, none, maildir, backend)

// Where a message goes that policy quarantines (DMARC p=quarantine, issue 11):
// mxgate's own Maildir-like folder, worked with `mxgate quarantine ...`, or a
// backend that takes it as a normal transaction. none: no quarantine; such a
// message is delivered as usual and logged (quarantine_unconfigured).
struct Quarantine {                               // yaml: quarantine:
    QuarantineStore store = QuarantineStore::none;
    std::string directory;                        // maildir: created 0700 on first use; its parent must exist
    std::string backend;                          // backend: a name in `backends:`
    Duration retention = std::chrono::hours(24 * 30);  // "30d": `quarantine purge` deletes older items

    bool operator==(const Quarantine&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Quarantine, (), (store, directory, backend, retention))

// The operators' policy file (issue 12, docs/policy.md), compiled by the loader:
// a policy that does not compile makes the whole config invalid, at start and on
// reload alike. The watcher (proxy/policy_watch.hpp) reloads when it changes.
struct Policy {                       // yaml: policy:
    std::string file;                 // relative to this config file's folder; "" = no policy file
    Duration watch_interval = 2s;     // how often the file and its list files are checked; 0 = only SIGHUP
    // Not keys: built from `file` by the loader (null without one), and the files
    // it read as they were just after reading them, which the watcher compares with.
    std::shared_ptr<const policy::rules::CompiledPolicy> compiled;
    std::vector<core::FileStamp> stamps;

    // The settings only: the same file compiled twice is the same section.
    bool operator==(const Policy& other) const {
        return file == other.file && watch_interval == other.watch_interval;
    }
};
BOOST_DESCRIBE_STRUCT(Policy, (), (file, watch_interval))

// The Prometheus endpoint (docs/metrics.md): GET /metrics over HTTP/1.1. Off
// unless `listen` is set. Whoever reaches it reads the traffic counters (rule
// names, domains of DNS lists): a non-loopback address is allowed, but then a
// firewall or a management network must keep it private.
struct Metrics {                       // yaml: metrics:
    Endpoint listen;                   // "127.0.0.1:9325"; "" = off (the default); port 0 = ephemeral
    bool enabled() const { return !listen.host.empty(); }

    bool operator==(const Metrics&) const = default;  // reload: what changed
};
BOOST_DESCRIBE_STRUCT(Metrics, (), (listen))

struct Config {
    std::string source;                        // file path, for messages
    Server server;
    std::vector<Listener> listeners;           // at least one
    Tls tls;
    Limits limits;
    Timeouts timeouts;
    std::vector<Network> trusted_networks;     // may relay to any domain
    // May send XCLIENT to replace the client's identity (Postfix smtpd_authorized_xclient_hosts):
    // only front-ends you control. Decided by the connection's own address. Default: nobody.
    std::vector<Network> xclient_networks;
    std::map<std::string, std::string> domains; // served domain (lower case) -> backend name; "*" = any other (relay)
    std::map<std::string, Backend> backends;
    Logging logging;
    Spool spool;
    Quarantine quarantine;
    Policy policy;
    Metrics metrics;
    filters::dns::DnsConfig dns;               // the one resolver every filter shares
    filters::state::StateConfig state;         // greylisting and rate-limit state: SQLite or Redis
    filters::FilterSettings filters;           // which filters run, with their settings

    bool operator==(const Config&) const = default;  // reload: what changed
};

}  // namespace mxgate::config
