#include "proxy/metrics/metrics_server.hpp"

#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "proxy/log.hpp"

namespace mxgate::metrics {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto as_tuple = asio::as_tuple(asio::use_awaitable);
// After a failed accept (no descriptor free): a retry at once would fail again, and spin.
constexpr std::chrono::milliseconds accept_error_pause{100};

Response text_response(http::status status, unsigned version, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8") {
    Response response(status, version);
    response.set(http::field::content_type, content_type);
    response.keep_alive(false);
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

// The answer to a request that could not be read (a parser error: too big, or
// not HTTP); nullopt when there is nobody to answer (closed, reset, timed out).
std::optional<Response> refusal(const beast::error_code& ec) {
    const bool parse_error = ec.category() == make_error_code(http::error::bad_target).category() &&
                             ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (!parse_error) return std::nullopt;
    if (ec == http::error::body_limit) return text_response(http::status::payload_too_large, 11, "Body too large\n");
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return text_response(http::status::request_header_fields_too_large, 11, "Header too large\n");
    return text_response(http::status::bad_request, 11, "Bad request\n");
}

asio::awaitable<void> serve_connection(tcp::socket socket, Render render) {
    beast::tcp_stream stream(std::move(socket));
    stream.expires_after(read_timeout);  // the whole exchange, the answer included
    beast::flat_buffer buffer(max_request_bytes);
    http::request_parser<http::string_body> parser;
    parser.header_limit(max_request_bytes);
    parser.body_limit(max_request_bytes);
    [[maybe_unused]] auto [read_error, bytes_read] = co_await http::async_read(stream, buffer, parser, as_tuple);
    std::optional<Response> answer = read_error ? refusal(read_error) : respond(parser.get(), render);
    if (!answer) co_return;
    Response& response = *answer;
    co_await http::async_write(stream, response, as_tuple);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

Response respond(const Request& request, const Render& render) {
    const unsigned version = request.version();
    if (request.target() != "/metrics") return text_response(http::status::not_found, version, "Not found\n");
    if (request.method() != http::verb::get) {
        Response response = text_response(http::status::method_not_allowed, version, "Method not allowed\n");
        response.set(http::field::allow, "GET");
        return response;
    }
    return text_response(http::status::ok, version, render(), "text/plain; version=0.0.4; charset=utf-8");
}

asio::awaitable<void> serve_metrics(tcp::acceptor& acceptor, Render render) {
    auto open = std::make_shared<std::size_t>(0);
    asio::steady_timer pause(acceptor.get_executor());
    for (;;) {
        auto [error, socket] = co_await acceptor.async_accept(as_tuple);
        if (error == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (error) {  // the peer gave up before we took it, or no descriptor was free
            pause.expires_after(accept_error_pause);
            co_await pause.async_wait(as_tuple);
            continue;
        }
        if (*open >= max_open_connections) {
            log::warn(log::Line("metrics_busy").add("open", *open));
            continue;  // the socket closes here
        }
        ++*open;
        asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), render),
                       [open](std::exception_ptr) { --*open; });
    }
}

}  // namespace mxgate::metrics
