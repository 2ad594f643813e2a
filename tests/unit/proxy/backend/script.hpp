// Scripted steps for the sans-I/O Conversation (Boost.MySQL algo_test style):
// "expect this write, give this reply, complete the TLS handshake". run()
// plays a script; check_every_failure() replays it once per step with a
// failure injected there and asserts the operation ends with mxgate's own
// 451 4.3.0 and a broken connection, never with a 2xx.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/backend/conversation.hpp"

namespace mxgate::backend::test {

struct Event {
    enum class Kind { write, read, tls };
    Kind kind;
    std::string data;      // write: the exact bytes expected; read: the bytes the backend sends
    bool verified = true;  // tls: certificate verified
};

inline Event expect_write(std::string data) { return Event{Event::Kind::write, std::move(data)}; }
inline Event give(std::string data) { return Event{Event::Kind::read, std::move(data)}; }
inline Event tls_done(bool verified = true) { return Event{Event::Kind::tls, {}, verified}; }

using Script = std::vector<Event>;

// Plays `script` from `step`; `bytewise` feeds every read one octet at a time.
// Returns the step after the script (done, if the script was complete).
inline ConversationStep play(Conversation& c, ConversationStep step, const Script& script, bool bytewise = false) {
    for (std::size_t i = 0; i < script.size(); ++i) {
        const Event& event = script[i];
        switch (event.kind) {
        case Event::Kind::write:
            EXPECT_EQ(step.kind, ConversationStep::Kind::write) << "event " << i << " expected write " << event.data;
            if (step.kind != ConversationStep::Kind::write) return step;
            EXPECT_EQ(std::string(step.data), event.data) << "event " << i;
            step = c.resume_written();
            break;
        case Event::Kind::read:
            EXPECT_EQ(step.kind, ConversationStep::Kind::read) << "event " << i << " expected read";
            if (step.kind != ConversationStep::Kind::read) return step;
            if (bytewise) {
                for (std::size_t k = 0; k < event.data.size(); ++k) {
                    if (k > 0) {
                        EXPECT_EQ(step.kind, ConversationStep::Kind::read) << "event " << i << " byte " << k;
                        if (step.kind != ConversationStep::Kind::read) return step;
                    }
                    step = c.resume_read(std::string_view(event.data).substr(k, 1));
                }
            } else {
                step = c.resume_read(event.data);
            }
            break;
        case Event::Kind::tls:
            EXPECT_EQ(step.kind, ConversationStep::Kind::start_tls) << "event " << i;
            if (step.kind != ConversationStep::Kind::start_tls) return step;
            step = c.resume_tls(event.verified);
            break;
        }
    }
    return step;
}

inline void run(Conversation& c, ConversationStep step, const Script& script, bool bytewise = false) {
    step = play(c, step, script, bytewise);
    EXPECT_EQ(step.kind, ConversationStep::Kind::done);
}

// What to inject at a step.
enum class Injection { io_error, eof, timeout, malformed, unexpected_class, tls_error, unverified };

inline std::vector<Injection> injections_for(const Event& event) {
    switch (event.kind) {
    case Event::Kind::write: return {Injection::io_error, Injection::timeout};
    case Event::Kind::read:
        return {Injection::eof, Injection::timeout, Injection::io_error, Injection::malformed,
                Injection::unexpected_class};
    case Event::Kind::tls: return {Injection::tls_error, Injection::timeout};
    }
    return {};
}

inline const char* name(Injection injection) {
    switch (injection) {
    case Injection::io_error: return "io_error";
    case Injection::eof: return "eof";
    case Injection::timeout: return "timeout";
    case Injection::malformed: return "malformed";
    case Injection::unexpected_class: return "unexpected_class";
    case Injection::tls_error: return "tls_error";
    case Injection::unverified: return "unverified";
    }
    return "?";
}

inline ConversationStep inject(Conversation& c, const Event& event, Injection injection) {
    switch (injection) {
    case Injection::io_error: return c.resume_failure(Failure::io_error, "injected");
    case Injection::eof: return c.resume_failure(Failure::eof, "injected");
    case Injection::timeout: return c.resume_failure(Failure::timeout, "injected");
    case Injection::tls_error: return c.resume_failure(Failure::tls_error, "injected");
    case Injection::unverified: return c.resume_tls(false);
    case Injection::malformed: return c.resume_read("2x0 what\r\n");
    case Injection::unexpected_class:
        // 354 is wrong everywhere but after DATA, where 250 is wrong.
        return c.resume_read(event.data.rfind("354", 0) == 0 ? "250 2.0.0 unexpected\r\n"
                                                             : "354 unexpected\r\n");
    }
    return ConversationStep{};
}

struct Scenario {
    std::function<Conversation()> setup;            // a conversation ready for the operation
    std::function<ConversationStep(Conversation&)> start;       // starts the operation under test
    Script script;                                  // its happy path
    bool connect = false;                           // the operation is start_connect
};

inline void expect_failed(const Conversation& c, bool connect, const std::string& where) {
    EXPECT_EQ(c.health(), Health::broken) << where;
    EXPECT_EQ(c.reply().code, 451) << where;
    EXPECT_EQ(c.reply().enhanced, "4.3.0") << where;
    EXPECT_FALSE(c.reply().positive()) << where;
    if (connect) {
        EXPECT_FALSE(c.connected()) << where;
    }
}

// The happy path once (plain and byte by byte), then a failure at every step.
inline void check_every_failure(const Scenario& scenario) {
    for (bool bytewise : {false, true}) {
        Conversation c = scenario.setup();
        run(c, scenario.start(c), scenario.script, bytewise);
        EXPECT_NE(c.health(), Health::broken) << "happy path, bytewise=" << bytewise;
    }
    for (std::size_t i = 0; i < scenario.script.size(); ++i) {
        for (Injection injection : injections_for(scenario.script[i])) {
            const std::string where = "step " + std::to_string(i) + " " + name(injection);
            Conversation c = scenario.setup();
            ConversationStep step = scenario.start(c);
            Script prefix(scenario.script.begin(), scenario.script.begin() + static_cast<std::ptrdiff_t>(i));
            step = play(c, step, prefix);
            using Kind = ConversationStep::Kind;
            const Event::Kind expected = scenario.script[i].kind;
            const bool ready = (expected == Event::Kind::write && step.kind == Kind::write) ||
                               (expected == Event::Kind::read && step.kind == Kind::read) ||
                               (expected == Event::Kind::tls && step.kind == Kind::start_tls);
            ASSERT_TRUE(ready) << where;
            step = inject(c, scenario.script[i], injection);
            EXPECT_EQ(step.kind, ConversationStep::Kind::done) << where;
            expect_failed(c, scenario.connect, where);
        }
    }
}

}  // namespace mxgate::backend::test
