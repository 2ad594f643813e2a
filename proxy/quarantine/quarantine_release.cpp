#include "proxy/quarantine/quarantine_release.hpp"

#include <fstream>
#include <map>

#include "proxy/backend/backend.hpp"
#include "proxy/session/router.hpp"
#include "proxy/smtp/data_reader.hpp"
#include "proxy/tls/context.hpp"

namespace mxgate::quarantine {

namespace asio = boost::asio;

namespace {

constexpr std::size_t read_size = 64 * 1024;

backend::Envelope envelope_of(const Item& item) {
    backend::Envelope envelope{address_of(item.sender), {}};
    if (item.sender.empty()) envelope.sender = {};
    for (const auto& param : item.mail_params) {
        const auto equals = param.find('=');
        envelope.params.emplace_back(param.substr(0, equals),
                                     equals == std::string::npos ? std::string() : param.substr(equals + 1));
    }
    return envelope;
}

backend::ClientInfo client_of(const Item& item) {
    backend::ClientInfo client;
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(item.client, ec);
    if (!ec) client.address = address;
    client.session_id = "release-" + item.id;
    client.helo = item.helo;
    return client;
}

// The stored message (unstuffed CRLF) to `transaction`, dot-stuffed again.
asio::awaitable<bool> send_message(backend::Transaction& transaction, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) co_return false;
    smtp::ChunkStuffer stuffer({});
    std::string chunk(read_size, '\0');
    std::string stuffed;
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) break;
        stuffed.clear();
        stuffer.stuff(std::string_view(chunk.data(), got), stuffed);
        const bool written = co_await transaction.write(stuffed);
        if (!written) co_return false;
    }
    if (in.bad()) co_return false;
    stuffed.clear();
    stuffer.finish(stuffed);
    const bool written = co_await transaction.write(stuffed);
    co_return written;
}

}  // namespace

asio::awaitable<ReleaseResult> release_item(asio::io_context& io, std::shared_ptr<const config::Config> config,
                                            const QuarantineStore& store, Item& item) {
    ReleaseResult result;
    backend::BackendPool pool(io);
    const session::Router router(*config);
    const std::string message = store.message_path(item.id, ItemState::releasing);

    // The pending recipients, in transactions as the session would make them.
    struct Batch {
        const config::Backend* backend;
        std::vector<QuarantinedRecipient*> recipients;
    };
    std::vector<Batch> batches;
    std::map<const config::Backend*, std::size_t> open_batch;
    for (auto& recipient : item.recipients) {
        if (recipient.delivered) continue;
        const session::Route route = router.route(address_of(recipient.address), true);
        if (!route.backend) {
            result.failed.push_back(recipient.address + ": " + route.refusal.summary());
            continue;
        }
        auto found = open_batch.find(route.backend);
        if (found == open_batch.end() || batches[found->second].recipients.size() >= config->limits.max_recipients) {
            batches.push_back({route.backend, {}});
            found = open_batch.insert_or_assign(route.backend, batches.size() - 1).first;
        }
        batches[found->second].recipients.push_back(&recipient);
    }

    for (const auto& batch : batches) {
        const config::Backend& destination = *batch.backend;
        auto transaction = pool.open(config, destination, tls::make_backend_context(destination), client_of(item),
                                     envelope_of(item));
        std::vector<QuarantinedRecipient*> accepted;
        for (QuarantinedRecipient* recipient : batch.recipients) {
            const backend::Recipient rcpt{address_of(recipient->address), {}};  // named: the GCC 12 rule
            const core::Reply reply = co_await transaction->add_recipient(rcpt);
            if (reply.klass() == 2) accepted.push_back(recipient);
            else result.failed.push_back(recipient->address + ": " + reply.summary());
        }
        if (accepted.empty()) continue;
        // One reply for every recipient (SMTP, Maildir), or LMTP's own per recipient.
        core::Reply ready = co_await transaction->begin_data();
        std::vector<core::Reply> answers{std::move(ready)};
        if (answers.front().code == 354) {
            const bool sent = co_await send_message(*transaction, message);
            // Not all sent (file unreadable, backend gone): no final dot, so no backend takes half a message.
            answers = {core::make_reply(451, "4.3.0", "the message could not be sent whole")};
            if (sent) {
                auto ended = co_await transaction->end_data_per_recipient();
                answers = std::move(ended);
            }
        }
        bool any_delivered = false;
        for (std::size_t i = 0; i < accepted.size(); ++i) {
            const core::Reply& answer = answers.size() == accepted.size() ? answers[i] : answers.front();
            if (answer.klass() != 2) {
                result.failed.push_back(accepted[i]->address + ": " + answer.summary());
                continue;
            }
            accepted[i]->delivered = true;
            any_delivered = true;
            result.delivered.push_back(accepted[i]->address + ": " + answer.summary() + " (" +
                                       transaction->describe() + ")");
        }
        if (any_delivered) result.store_error = store.update(item);
        if (!result.store_error.empty()) break;  // stop before a retry could send anything twice
    }
    pool.clear();
    co_return result;
}

}  // namespace mxgate::quarantine
