#include "serve.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "metercert/obis/readout.hpp"
#include "metercert/rigs/dut_link.hpp"
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
    if (colon == std::string::npos) usage_error(fmt::format("--listen '{}': no port (tcp://HOST:PORT; port 0 = any free port)", url));
    const std::string host = hp.substr(0, colon);
    const std::string port_text = hp.substr(colon + 1);
    // a decimal number 0…65535: no sign, no spaces, no hex, no wrap-around (99999 is not 34463)
    unsigned long port = 0;
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        port_text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) port = std::stoul(port_text);
    if (!digits || port > 65535)
        usage_error(fmt::format("--listen '{}': port '{}' is not a number in 0…65535 (0 = any free port)", url, port_text));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.empty() ? "127.0.0.1" : host.c_str(), &sa.sin_addr) != 1)
        usage_error(fmt::format("--listen '{}': '{}' is not an IPv4 address", url, host));
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) usage_error(fmt::format("--listen '{}': socket: {}", url, std::strerror(errno)));
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

std::string read_input_file(const std::string& path, const std::string& option, std::size_t limit) {
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(st))
        usage_error(fmt::format("{} {}: {}", option, path, ec ? ec.message() : std::strerror(ENOENT)));
    if (std::filesystem::is_directory(st)) usage_error(fmt::format("{} {}: is a directory, not a file", option, path));
    std::ifstream in(path, std::ios::binary);
    if (!in) usage_error(fmt::format("{} {}: cannot read: {}", option, path, std::strerror(errno)));
    std::string data;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
        data.append(buf, static_cast<std::size_t>(in.gcount()));
        if (data.size() > limit) usage_error(fmt::format("{} {}: larger than {} bytes", option, path, limit));
    }
    if (in.bad()) usage_error(fmt::format("{} {}: cannot read: {}", option, path, std::strerror(errno)));
    return data;
}

std::string load_readout(const std::string& path, const std::string& option) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > obis::kMaxReadoutBytes)  // the parser's own limit, said before reading it all
        usage_error(fmt::format("{} {}: too_long: {} bytes; a readout has at most {} (IEC 62056-21 text of a few kB)",
                                option, path, size, obis::kMaxReadoutBytes));
    const std::string raw = read_input_file(path, option, obis::kMaxReadoutBytes + 1);
    try {
        return obis::normalize_readout(std::string_view(raw));
    } catch (const obis::ReadoutError& e) {
        usage_error(fmt::format("{} {}: {}", option, path, e.what()));
    }
}

double partial_frame_silence_ms(unsigned baud, bool tcp) noexcept {
    if (tcp) return 500.0;
    const double bits33 = 33.0 * 1000.0 / static_cast<double>(baud == 0 ? 2400 : baud);
    return bits33 > 20.0 ? bits33 : 20.0;
}

}  // namespace metercert::cli
