// dump_config: the effective configuration as YAML, every key with its value and
// unit ("30s", "50MiB"), paths absolute. parse_config() reads it back to an equal
// Config, which the unit tests check. Free text is double-quoted so that values
// like "null" or "yes" stay strings.
#include <yaml-cpp/yaml.h>

#include "filters/dns/dns_settings.hpp"
#include "filters/state/state_settings.hpp"
#include "proxy/config/decode.hpp"
#include "proxy/config/decode_support.hpp"
#include "proxy/core/settings/writer.hpp"

namespace mxgate::config {

namespace {

const char* name_of(ListenerTls v) {
    switch (v) {
        case ListenerTls::none: return "none";
        case ListenerTls::starttls: return "starttls";
        case ListenerTls::implicit: return "implicit";
    }
    return "none";
}

const char* name_of(BackendKind v) {
    switch (v) {
        case BackendKind::smtp: return "smtp";
        case BackendKind::lmtp: return "lmtp";
        case BackendKind::maildir: return "maildir";
    }
    return "smtp";
}

const char* name_of(BackendTls v) {
    switch (v) {
        case BackendTls::none: return "none";
        case BackendTls::opportunistic: return "opportunistic";
        case BackendTls::required: return "required";
    }
    return "none";
}

const char* name_of(ClientIdentity v) {
    switch (v) {
        case ClientIdentity::auto_: return "auto";
        case ClientIdentity::xclient: return "xclient";
        case ClientIdentity::xforward: return "xforward";
        case ClientIdentity::none: return "none";
    }
    return "auto";
}

using settings::Writer;

}  // namespace

std::string dump_config(const Config& c) {
    YAML::Emitter out;
    Writer w(out);
    if (!c.source.empty()) out << YAML::Comment("effective configuration from " + c.source);
    out << YAML::BeginMap;

    w.begin("server");
    w.text("hostname", c.server.hostname);
    w.text("banner", c.server.banner);
    w.text("authserv_id", c.server.authserv_id);
    w.number("workers", c.server.workers);
    w.text("user", c.server.user);
    w.text("group", c.server.group);
    w.flag("allow_root", c.server.allow_root);
    w.end();

    out << YAML::Key << "listeners" << YAML::Value << YAML::BeginSeq;
    for (const auto& listener : c.listeners) {
        out << YAML::Flow << YAML::BeginMap;
        w.text("address", listener.address.str());
        w.plain("tls", name_of(listener.tls));
        w.flag("proxy_protocol", listener.proxy_protocol);
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;

    w.begin("tls");
    w.text("certificate", c.tls.certificate);
    w.text("private_key", c.tls.private_key);
    w.plain("min_version", c.tls.min_version);
    w.text("ciphers", c.tls.ciphers);
    w.end();

    const Limits& l = c.limits;
    w.begin("limits");
    w.number("max_command_line_length", l.max_command_line_length);
    w.number("max_text_line_length", l.max_text_line_length);
    w.number("max_recipients", l.max_recipients);
    w.number("recipient_overshoot_limit", l.recipient_overshoot_limit);
    w.size("max_message_size", l.max_message_size);
    w.number("max_errors", l.max_errors);
    w.number("max_junk_commands", l.max_junk_commands);
    w.number("max_connections", l.max_connections);
    w.number("max_connections_per_ip", l.max_connections_per_ip);
    w.number("connection_limit_ipv4_prefix", l.connection_limit_ipv4_prefix);
    w.number("connection_limit_ipv6_prefix", l.connection_limit_ipv6_prefix);
    w.number("max_transactions_per_session", l.max_transactions_per_session);
    w.end();

    const Timeouts& t = c.timeouts;
    w.begin("timeouts");
    w.duration("command", t.command);
    w.duration("data", t.data);
    w.duration("tls_handshake", t.tls_handshake);
    w.duration("shutdown", t.shutdown);
    w.duration("backend_connect", t.backend_connect);
    w.duration("backend_reply", t.backend_reply);
    w.duration("backend_data_done", t.backend_data_done);
    w.duration("backend_idle", t.backend_idle);
    w.end();

    for (const auto& [key, networks] : {std::pair{"trusted_networks", &c.trusted_networks},
                                        std::pair{"xclient_networks", &c.xclient_networks}}) {
        out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& network : *networks)
            out << YAML::DoubleQuoted << network.address.to_string() + "/" + std::to_string(network.prefix_length);
        out << YAML::EndSeq;
    }

    w.begin("domains");
    for (const auto& [domain, backend] : c.domains)
        out << YAML::Key << YAML::DoubleQuoted << domain << YAML::Value << backend;
    w.end();

    w.begin("backends");
    for (const auto& [name, b] : c.backends) {
        w.begin(name.c_str());
        w.plain("type", name_of(b.kind));
        w.flag("allow_untrusted_routing", b.allow_untrusted_routing);
        if (b.kind == BackendKind::maildir) {
            w.text("path", b.path);
            w.texts("mailboxes", b.mailboxes);
            w.flag("create_mailboxes", b.create_mailboxes);
            w.number("max_new_mailboxes_per_message", b.max_new_mailboxes_per_message);
            w.end();
            continue;
        }
        out << YAML::Key << "servers" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const auto& server : b.servers) out << YAML::DoubleQuoted << server.str();
        out << YAML::EndSeq;
        w.plain("tls", name_of(b.tls));
        w.flag("tls_verify", b.tls_verify);
        w.text("ca_file", b.ca_file);
        w.text("tls_server_name", b.tls_server_name);
        w.plain("client_identity", name_of(b.client_identity));
        w.text("helo_name", b.helo_name);
        w.number("max_idle_connections", b.max_idle_connections);
        w.number("max_connections", b.max_connections);
        w.end();
    }
    w.end();

    w.begin("logging");
    w.plain("level", c.logging.level);
    w.plain("format", c.logging.format);
    w.end();

    filters::dns::dump_dns_settings(w, c.dns);
    filters::state::dump_state_settings(w, c.state);
    filters::dump_filter_settings(w, c.filters);

    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace mxgate::config
