// The coroutine driver and the pool over real loopback sockets, against a tiny
// in-process SMTP server: failover, timeouts, connection reuse, RSET after an
// abort and closing mid-DATA. (Real peers such as smtp-sink belong to
// tests/integration.)
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "proxy/backend/backend.hpp"
#include "tests/unit/closed_port.hpp"

namespace mxgate::backend {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Answers like a permissive MTA and records every line as "<connection> <line>".
class FakeServer {
public:
    explicit FakeServer(asio::io_context& io) : io_(io), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    ~FakeServer() { stop(); }
    void stop() {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        drop_connections();
    }
    void drop_connections() {
        boost::system::error_code ignored;
        for (auto& s : sockets_) s->close(ignored);
    }

    std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
    int connections() const { return connections_; }
    const std::vector<std::string>& log() const { return log_; }
    bool saw(const std::string& line) const { return std::find(log_.begin(), log_.end(), line) != log_.end(); }

    std::string ehlo = "250-fake\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n";
    bool silent_on_mail = false;         // never answer MAIL (timeouts)
    bool close_on_second_mail = false;   // drop a reused connection at its next MAIL
    bool lmtp_dot_replies = false;       // after the dot: LMTP's reply per recipient ("full" ones 552)

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            boost::system::error_code ec;
            auto socket = std::make_shared<tcp::socket>(io_);
            co_await acceptor_.async_accept(*socket, asio::redirect_error(asio::use_awaitable, ec));
            if (ec) co_return;
            sockets_.push_back(socket);
            asio::co_spawn(io_, serve(socket, ++connections_), asio::detached);
        }
    }

    asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket, int id) {
        const std::string tag = std::to_string(id) + " ";
        auto send = [&](std::string_view text) -> asio::awaitable<void> {
            co_await asio::async_write(*socket, asio::buffer(text.data(), text.size()), asio::use_awaitable);
        };
        try {
            co_await send("220 fake ESMTP\r\n");
            std::string buffer;
            bool in_data = false;
            int mails = 0;
            const bool lmtp = lmtp_dot_replies;
            std::vector<std::string> recipients;  // accepted in this transaction
            for (;;) {
                const std::size_t n =
                    co_await asio::async_read_until(*socket, asio::dynamic_buffer(buffer), "\r\n", asio::use_awaitable);
                const std::string line = buffer.substr(0, n - 2);
                buffer.erase(0, n);
                if (in_data) {
                    log_.push_back(tag + (line == "." ? "." : "data " + line));
                    if (line == ".") {
                        in_data = false;
                        std::string replies = "250 2.0.0 Ok: queued\r\n";
                        if (lmtp) {  // RFC 2033 §4.2: one per accepted recipient, refused ones by name
                            replies.clear();
                            for (const auto& r : recipients)
                                replies += r.find("full") != std::string::npos ? "552 5.2.2 " + r + " full\r\n"
                                                                               : "250 2.0.0 " + r + " saved\r\n";
                            recipients.clear();
                        }
                        co_await send(replies);
                    }
                    continue;
                }
                log_.push_back(tag + line);
                const std::string verb = line.substr(0, 4);
                if (verb == "EHLO" || verb == "LHLO") {
                    co_await send(ehlo);
                } else if (verb == "MAIL") {
                    ++mails;
                    if (silent_on_mail) continue;
                    if (close_on_second_mail && mails == 2) {
                        socket->close();
                        co_return;
                    }
                    co_await send("250 2.1.0 Ok\r\n");
                } else if (verb == "RCPT") {
                    const bool reject = line.find("reject") != std::string::npos;
                    if (!reject) recipients.push_back(line.substr(8));
                    co_await send(reject ? "550 5.1.1 unknown user\r\n" : "250 2.1.5 Ok\r\n");
                } else if (verb == "DATA") {
                    in_data = true;
                    co_await send("354 End data with <CR><LF>.<CR><LF>\r\n");
                } else if (verb == "RSET") {
                    co_await send("250 2.0.0 Ok\r\n");
                } else if (verb == "QUIT") {
                    co_await send("221 2.0.0 Bye\r\n");
                    co_return;
                } else {
                    co_await send("502 5.5.2 unknown\r\n");
                }
            }
        } catch (const std::exception&) {
            log_.push_back(tag + "EOF");
        }
    }

    asio::io_context& io_;
    tcp::acceptor acceptor_;
    std::vector<std::shared_ptr<tcp::socket>> sockets_;
    std::vector<std::string> log_;
    int connections_ = 0;
};


class SmtpTransactionTest : public ::testing::Test {
protected:
    config::Backend& make_backend(std::vector<std::uint16_t> ports, config::BackendKind kind = config::BackendKind::smtp) {
        config_ = std::make_shared<config::Config>();
        config_->server.hostname = "mx.test";
        config_->timeouts.backend_connect = 2s;
        config_->timeouts.backend_reply = 2s;
        config_->timeouts.backend_data_done = 2s;
        config::Backend backend;
        backend.name = "b";
        backend.kind = kind;
        for (auto port : ports) backend.servers.push_back(config::Endpoint{"127.0.0.1", port});
        return config_->backends[backend.name] = backend;
    }

    std::unique_ptr<Transaction> open() {
        Envelope envelope;
        envelope.sender = core::Address{"alice", "example.org"};
        ClientInfo client;
        client.address = asio::ip::make_address("192.0.2.7");
        return pool_.open(config_, config_->backends.at("b"), nullptr, client, envelope);
    }

    template <class Body>
    void run(Body body) {
        bool finished = false;
        asio::co_spawn(io_, body(), [&](std::exception_ptr e) {
            finished = true;
            io_.stop();
            if (e) std::rethrow_exception(e);
        });
        io_.restart();
        io_.run_for(20s);
        ASSERT_TRUE(finished);
    }

    asio::awaitable<void> pause(std::chrono::milliseconds d) {
        asio::steady_timer t(io_, d);
        co_await t.async_wait(asio::use_awaitable);
    }

    // A whole transaction; returns the final reply.
    // Arguments are plain pointers: GCC 12 mishandles non-trivial temporaries in co_await expressions.
    asio::awaitable<core::Reply> deliver(const char* rcpt = "bob") {
        auto tx = open();
        const Recipient recipient{core::Address{rcpt, "example.net"}, {}};
        core::Reply r = co_await tx->add_recipient(recipient);
        if (r.code != 250) co_return r;
        r = co_await tx->begin_data();
        if (r.code != 354) co_return r;
        if (!co_await tx->write("Subject: t\r\n\r\nbody\r\n")) co_return failure;
        r = co_await tx->end_data();
        co_return r;
    }

    core::Reply failure = core::make_reply(0, "", "write failed");
    asio::io_context io_;
    std::shared_ptr<config::Config> config_;
    BackendPool pool_{io_};
    const mxgate::test::ClosedPort refused_, also_refused_;  // "no server here", held for the test
};

TEST_F(SmtpTransactionTest, DeliversAndReusesTheConnection) {
    FakeServer server(io_);
    make_backend({server.port()});
    run([&]() -> asio::awaitable<void> {
        core::Reply r = co_await deliver();
        EXPECT_EQ(r.code, 250);
        EXPECT_EQ(r.enhanced, "2.0.0");
        r = co_await deliver("carol");
        EXPECT_EQ(r.code, 250);
    });
    EXPECT_EQ(server.connections(), 1);
    EXPECT_TRUE(server.saw("1 EHLO mx.test"));
    EXPECT_TRUE(server.saw("1 MAIL FROM:<alice@example.org>"));
    EXPECT_TRUE(server.saw("1 RCPT TO:<carol@example.net>"));
    EXPECT_TRUE(server.saw("1 data body"));
    EXPECT_FALSE(server.saw("1 RSET"));
}

TEST_F(SmtpTransactionTest, LmtpGivesEachRecipientsReplyInOrder) {
    FakeServer server(io_);
    server.lmtp_dot_replies = true;
    make_backend({server.port()}, config::BackendKind::lmtp);
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        for (const char* rcpt : {"bob", "reject", "full", "carol"}) {
            const Recipient recipient{core::Address{rcpt, "example.net"}, {}};
            co_await tx->add_recipient(recipient);
        }
        core::Reply ready = co_await tx->begin_data();
        EXPECT_EQ(ready.code, 354);
        co_await tx->write("Subject: t\r\n\r\nbody\r\n");
        std::vector<core::Reply> replies = co_await tx->end_data_per_recipient();
        EXPECT_EQ(replies.size(), 3u) << "one per accepted recipient";
        if (replies.size() != 3u) co_return;  // ASSERT_* cannot return from a coroutine
        EXPECT_EQ(replies[0].wire(), "250 2.0.0 <bob@example.net> saved\r\n");
        EXPECT_EQ(replies[1].wire(), "552 5.2.2 <full@example.net> full\r\n");
        EXPECT_EQ(replies[2].code, 250);
        // SMTP: the one reply stands for all.
        server.lmtp_dot_replies = false;
        make_backend({server.port()});
        auto smtp = open();
        const Recipient bob{core::Address{"bob", "example.net"}, {}};
        co_await smtp->add_recipient(bob);
        co_await smtp->begin_data();
        co_await smtp->write("x\r\n");
        std::vector<core::Reply> one = co_await smtp->end_data_per_recipient();
        EXPECT_EQ(one.size(), 1u);
    });
}

TEST_F(SmtpTransactionTest, FailsOverToTheNextServer) {
    FakeServer server(io_);
    make_backend({refused_.port(), server.port()});
    run([&]() -> asio::awaitable<void> { {
     const core::Reply reply = co_await deliver();
     EXPECT_EQ(reply.code, 250);
 } });
    EXPECT_EQ(server.connections(), 1);
}

TEST_F(SmtpTransactionTest, NoServerIs451) {
    make_backend({refused_.port(), also_refused_.port()});
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        const Recipient recipient{core::Address{"bob", "example.net"}, {}};
        core::Reply r = co_await tx->add_recipient(recipient);
        EXPECT_EQ(r.code, 451);
        EXPECT_EQ(r.enhanced, "4.3.0");
        {
            const core::Reply reply = co_await tx->begin_data();
            EXPECT_EQ(reply.code, 451);
        }
        EXPECT_FALSE(co_await tx->write("x\r\n"));
        {
            const core::Reply reply = co_await tx->end_data();
            EXPECT_EQ(reply.code, 451);
        }
    });
}

TEST_F(SmtpTransactionTest, ReplyTimeoutIs451) {
    FakeServer server(io_);
    server.silent_on_mail = true;
    make_backend({server.port()});
    // The other backend timeouts cannot fire within run()'s hang guard: a 451 at all is the reply timeout's.
    config_->timeouts.backend_connect = 24h;
    config_->timeouts.backend_data_done = 24h;
    config_->timeouts.backend_reply = 200ms;
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        const Recipient recipient{core::Address{"bob", "example.net"}, {}};
        core::Reply r = co_await tx->add_recipient(recipient);
        EXPECT_EQ(r.code, 451);
        EXPECT_EQ(r.enhanced, "4.3.0");
    });
}

TEST_F(SmtpTransactionTest, AbortAfterRcptSendsRsetAndPools) {
    FakeServer server(io_);
    make_backend({server.port()});
    run([&]() -> asio::awaitable<void> {
        {
            auto tx = open();
            {
                const Recipient recipient{core::Address{"bob", "example.net"}, {}};
                const core::Reply reply = co_await tx->add_recipient(recipient);
                EXPECT_EQ(reply.code, 250);
            }
        }  // dropped: RSET runs detached
        co_await pause(100ms);
        {
            const core::Reply reply = co_await deliver();
            EXPECT_EQ(reply.code, 250);
        }
    });
    EXPECT_TRUE(server.saw("1 RSET"));
    EXPECT_EQ(server.connections(), 1);
}

TEST_F(SmtpTransactionTest, RefusedRecipientsThenData) {
    FakeServer server(io_);
    make_backend({server.port()});
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        const Recipient recipient{core::Address{"reject", "example.net"}, {}};
        core::Reply r = co_await tx->add_recipient(recipient);
        EXPECT_EQ(r.code, 550);
        EXPECT_EQ(r.enhanced, "5.1.1");
        r = co_await tx->begin_data();
        EXPECT_EQ(r.code, 554);
    });
    EXPECT_FALSE(server.saw("1 DATA"));
}

TEST_F(SmtpTransactionTest, AbortMidDataClosesWithoutTheDot) {
    FakeServer server(io_);
    make_backend({server.port()});
    run([&]() -> asio::awaitable<void> {
        {
            auto tx = open();
            {
                const Recipient recipient{core::Address{"bob", "example.net"}, {}};
                const core::Reply reply = co_await tx->add_recipient(recipient);
                EXPECT_EQ(reply.code, 250);
            }
            {
                const core::Reply reply = co_await tx->begin_data();
                EXPECT_EQ(reply.code, 354);
            }
            EXPECT_TRUE(co_await tx->write("partial\r\n"));
        }
        co_await pause(100ms);
        {
            const core::Reply reply = co_await deliver();
            EXPECT_EQ(reply.code, 250);  // on a new connection
        }
    });
    EXPECT_TRUE(server.saw("1 EOF"));
    EXPECT_FALSE(server.saw("1 ."));
    EXPECT_EQ(server.connections(), 2);
}

TEST_F(SmtpTransactionTest, RetriesOnceWhenAPooledConnectionDies) {
    FakeServer server(io_);
    server.close_on_second_mail = true;
    make_backend({server.port()});
    run([&]() -> asio::awaitable<void> {
        {
            const core::Reply reply = co_await deliver();
            EXPECT_EQ(reply.code, 250);
        }
        {
            const core::Reply reply = co_await deliver();
            EXPECT_EQ(reply.code, 250);  // connection 1 drops at MAIL: fresh one
        }
    });
    EXPECT_EQ(server.connections(), 2);
}

TEST_F(SmtpTransactionTest, IdleConnectionClosedByServerIsNotReused) {
    FakeServer server(io_);
    make_backend({server.port()});
    run([&]() -> asio::awaitable<void> {
        {
            const core::Reply reply = co_await deliver();
            EXPECT_EQ(reply.code, 250);
        }
        server.drop_connections();  // the backend closes connection 1 while it sits in the pool
        co_await pause(50ms);
        {
            const core::Reply reply = co_await deliver();
            EXPECT_EQ(reply.code, 250);
        }
    });
    EXPECT_EQ(server.connections(), 2);
}

TEST_F(SmtpTransactionTest, LmtpGreetsWithLhlo) {
    FakeServer server(io_);
    make_backend({server.port()}, config::BackendKind::lmtp);
    run([&]() -> asio::awaitable<void> {
        auto tx = open();
        EXPECT_EQ(tx->describe(), "b 127.0.0.1:" + std::to_string(server.port()));
        co_return;
    });
    run([&]() -> asio::awaitable<void> { {
     const core::Reply reply = co_await deliver();
     EXPECT_EQ(reply.code, 250);
 } });
    EXPECT_TRUE(server.saw("1 LHLO mx.test"));
}

}  // namespace
}  // namespace mxgate::backend
