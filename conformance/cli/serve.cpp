#include "serve.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "metercert/rigs/dut.hpp"
#include "metercert/rigs/pcap.hpp"

namespace metercert::cli {

std::atomic<bool> g_stop{false};

namespace {
void on_signal(int) { g_stop = true; }
}  // namespace

void install_stop_signals() {
    std::signal(SIGPIPE, SIG_IGN);
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "error: " << msg << "\n";
    std::exit(2);
}

int open_listener(const std::string& url, std::string& shown) {
    if (url.rfind("tcp://", 0) != 0) usage_error(fmt::format("--listen '{}': expected tcp://HOST:PORT", url));
    const std::string hp = url.substr(6);
    const auto colon = hp.rfind(':');
    if (colon == std::string::npos) usage_error(fmt::format("--listen '{}': no port", url));
    const std::string host = hp.substr(0, colon);
    const int port = std::atoi(hp.c_str() + colon + 1);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.empty() ? "127.0.0.1" : host.c_str(), &sa.sin_addr) != 1)
        usage_error(fmt::format("--listen '{}': '{}' is not an IPv4 address", url, host));
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(fd, 4) != 0)
        usage_error(fmt::format("--listen '{}': {}", url, std::strerror(errno)));
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof buf);
    shown = fmt::format("tcp://{}:{}", buf, ntohs(sa.sin_port));
    return fd;
}

bool write_all(int fd, const std::vector<std::uint8_t>& b) {
    std::size_t off = 0;
    while (off < b.size()) {
        const ssize_t n = ::write(fd, b.data() + off, b.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

void or_usage_error(const std::function<void()>& f) {
    try {
        f();
    } catch (const rigs::DutError& e) {
        usage_error(e.what());
    } catch (const rigs::PcapError& e) {
        usage_error(e.what());
    } catch (const master::PortError& e) {
        usage_error(fmt::format("{}: {}", e.name(), e.what()));
    }
}

}  // namespace metercert::cli
