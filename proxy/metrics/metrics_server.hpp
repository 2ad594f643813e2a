// The metrics endpoint (config `metrics:`, docs/metrics.md): HTTP/1.1 with
// Boost.Beast, GET /metrics answered with the Prometheus text format, any other
// path 404, any other method 405; one request per connection (Connection: close).
// It runs on the daemon's control io_context (main.cpp), not on a worker: a
// scrape never competes with SMTP sessions for a worker thread, and the control
// thread is idle between reloads and signals. Every counter it reads is an
// atomic, so it needs no lock with the workers. A hostile client gets at most
// max_request_bytes read and read_timeout of time, and at most
// max_open_connections are served at once; beyond that a connection is closed
// at once, so scrapes can never pile up.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace mxgate::metrics {

// A GET is a request line and a few header fields; a scraper's fit in 1 KiB.
constexpr std::size_t max_request_bytes = 8 * 1024;
// Whole request read and response written; a local scraper needs milliseconds.
constexpr std::chrono::seconds read_timeout{5};
// Prometheus scrapes one at a time; a few more for a curl beside it.
constexpr std::size_t max_open_connections = 16;

using Render = std::function<std::string()>;  // the exposition text, rendered at each GET

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// The answer to one request (pure: no I/O); `render` is called for GET /metrics only.
Response respond(const Request& request, const Render& render);

// Accepts on `acceptor` until it is closed, each connection served by its own coroutine.
boost::asio::awaitable<void> serve_metrics(boost::asio::ip::tcp::acceptor& acceptor, Render render);

}  // namespace mxgate::metrics
