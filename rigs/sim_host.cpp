#include "metercert/rigs/sim_host.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "metercert/rigs/pcap.hpp"

namespace metercert::rigs {

namespace {

bool write_all(int fd, std::span<const std::uint8_t> b) {
    std::size_t off = 0;
    while (off < b.size()) {
        const ssize_t n = ::write(fd, b.data() + off, b.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<std::size_t>(n);
    }
    return true;
}

// tcp://HOST:PORT or udp://HOST:PORT → a bound socket of `type`, its address shown in `shown`.
int bind_url(const std::string& url, std::string_view scheme, int type, std::string& shown, std::uint16_t& bound) {
    const std::string prefix = std::string(scheme) + "://";
    if (url.rfind(prefix, 0) != 0) throw HostError("bad_url", fmt::format("expected {}HOST:PORT", prefix));
    const std::string hp = url.substr(prefix.size());
    const auto colon = hp.rfind(':');
    if (colon == std::string::npos)
        throw HostError("bad_url", fmt::format("no port ({}HOST:PORT; port 0 = any free port)", prefix));
    const std::string host = hp.substr(0, colon);
    const std::string port_text = hp.substr(colon + 1);
    // a decimal number 0…65535: no sign, no spaces, no hex, no wrap-around (99999 is not 34463)
    unsigned long port = 0;
    const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                        port_text.find_first_not_of("0123456789") == std::string::npos;
    if (digits) port = std::stoul(port_text);
    if (!digits || port > 65535)
        throw HostError("bad_port", fmt::format("port '{}' is not a number in 0…65535 (0 = any free port)", port_text));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.empty() ? "127.0.0.1" : host.c_str(), &sa.sin_addr) != 1)
        throw HostError("bad_address", fmt::format("'{}' is not an IPv4 address", host));
    const int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) throw HostError("socket_failed", fmt::format("socket: {}", std::strerror(errno)));
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || (type == SOCK_STREAM && listen(fd, 4) != 0)) {
        const int e = errno;
        ::close(fd);
        throw HostError("bind_failed", std::strerror(e));
    }
    socklen_t len = sizeof sa;
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof buf);
    bound = ntohs(sa.sin_port);
    shown = fmt::format("{}{}:{}", prefix, buf, bound);
    return fd;
}

// The stop signals write a byte here (the running host's self-pipe), so poll() wakes at once.
std::atomic<int> g_wake_fd{-1};

void on_stop_signal(int) {
    const int fd = g_wake_fd.load();
    if (fd >= 0) {
        const char c = 's';
        (void)!::write(fd, &c, 1);
    }
}

}  // namespace

// ------------------------------------------------------------------------------------ TCP
TcpListener::~TcpListener() {
    if (client_ >= 0) ::close(client_);
    ::close(fd_);
}

bool TcpListener::send(std::span<const std::uint8_t> bytes) {
    if (client_ < 0) return false;
    if (write_all(client_, bytes)) return true;
    close_client();
    return false;
}

void TcpListener::close_client() {
    if (client_ < 0) return;
    ::close(client_);
    client_ = -1;
    if (h_.on_close) h_.on_close();
}

void TcpListener::accept_one() {
    const int fd = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const bool busy = client_ >= 0;
    const bool admitted = h_.admit ? h_.admit(busy) : !busy;
    if (busy || !admitted) {
        ::close(fd);  // one client at a time
        return;
    }
    client_ = fd;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (h_.on_open) h_.on_open(fd);
}

void TcpListener::read_client() {
    std::uint8_t buf[4096];
    const ssize_t got = ::read(client_, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (got <= 0) {
        close_client();  // the client went away: wait for the next
        return;
    }
    if (h_.on_bytes) h_.on_bytes({buf, static_cast<std::size_t>(got)});
}

// ------------------------------------------------------------------------------------ UDP
UdpEndpoint::~UdpEndpoint() { ::close(fd_); }

bool UdpEndpoint::send_to(const UdpPeer& to, std::span<const std::uint8_t> datagram) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(to.port);
    if (inet_pton(AF_INET, to.host.c_str(), &sa.sin_addr) != 1) return false;
    const ssize_t n = ::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    return n == static_cast<ssize_t>(datagram.size());
}

void UdpEndpoint::read_one() {
    std::vector<std::uint8_t> buf(65536);
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    const ssize_t got = ::recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&sa), &len);
    if (got < 0) return;  // EAGAIN, EINTR, or an ICMP error of an earlier send: nothing to deliver
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
    if (h_.on_datagram) h_.on_datagram({buf.data(), static_cast<std::size_t>(got)}, UdpPeer{host, ntohs(sa.sin_port)});
}

// ------------------------------------------------------------------------------------ pty
PtyEndpoint::~PtyEndpoint() {
    ::close(master_);
    ::close(keepalive_);
    std::error_code ec;
    std::filesystem::remove(path_, ec);
}

bool PtyEndpoint::send(std::span<const std::uint8_t> bytes) { return write_all(master_, bytes); }

void PtyEndpoint::read_some() {
    std::uint8_t buf[4096];
    const ssize_t got = ::read(master_, buf, sizeof buf);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (got <= 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a pty without a peer
        return;
    }
    if (h_.on_bytes) h_.on_bytes({buf, static_cast<std::size_t>(got)});
}

// ------------------------------------------------------------------------------------ host
SimHost::SimHost() {
    if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw HostError("socket_failed", fmt::format("pipe: {}", std::strerror(errno)));
}

SimHost::~SimHost() {
    int mine = wake_[1];
    if (g_wake_fd.compare_exchange_strong(mine, -1)) {  // this host took the stop signals: give them back
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
    }
    ::close(wake_[0]);
    ::close(wake_[1]);
}

TcpListener& SimHost::listen_tcp(const std::string& url, TcpHandlers handlers) {
    std::string shown;
    std::uint16_t port = 0;
    const int fd = bind_url(url, "tcp", SOCK_STREAM, shown, port);
    auto& l = tcp_.emplace_back(fd, shown, port, std::move(handlers));
    listen_.push_back({{"kind", "tcp"}, {"url", shown}});
    return l;
}

UdpEndpoint& SimHost::listen_udp(const std::string& url, UdpHandlers handlers) {
    std::string shown;
    std::uint16_t port = 0;
    const int fd = bind_url(url, "udp", SOCK_DGRAM, shown, port);
    auto& u = udp_.emplace_back(fd, shown, port, std::move(handlers));
    listen_.push_back({{"kind", "udp"}, {"url", shown}});
    return u;
}

PtyEndpoint& SimHost::open_pty(const std::string& path, PtyHandlers handlers) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
        const int e = errno;
        if (m >= 0) ::close(m);
        throw HostError("pty_failed", std::strerror(e));
    }
    const std::string name = ptsname(m);
    const int keep = ::open(name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (keep < 0) {
        const int e = errno;
        ::close(m);
        throw HostError("pty_failed", fmt::format("{}: {}", name, std::strerror(e)));
    }
    termios t{};
    tcgetattr(keep, &t);
    cfmakeraw(&t);  // 8N1, raw
    tcsetattr(keep, TCSANOW, &t);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (symlink(name.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::close(keep);
        ::close(m);
        throw HostError("pty_failed", std::strerror(e));
    }
    auto& p = pty_.emplace_back(m, keep, path, name, std::move(handlers));
    listen_.push_back({{"kind", "pty"}, {"path", path}, {"pts", name}});
    return p;
}

void SimHost::watch(int fd, std::function<void()> readable) { watches_.push_back({fd, std::move(readable)}); }

void SimHost::unwatch(int fd) {
    std::erase_if(watches_, [fd](const Watch& w) { return w.fd == fd; });
}

Timer& SimHost::timer(std::function<void()> fire) { return timers_.emplace_back(clock_, std::move(fire)); }

Timer& SimHost::every(std::uint64_t period_ms, std::function<void()> fire) {
    Timer& t = timer({});
    t.fire_ = [this, &t, period_ms, fire = std::move(fire)] {
        t.arm_at(clock_.now() + period_ms);
        fire();
    };
    t.arm_in(period_ms);
    return t;
}

void SimHost::after_each_wake(std::function<void()> f) { after_wake_.push_back(std::move(f)); }

void SimHost::open_capture(const std::string& pcap_path, LinkKind kind) {
    pcap_ = std::make_unique<PcapWriter>(pcap_path, kind);
    redact_ = std::make_unique<RedactingTap>(pcap_.get());
}

void SimHost::tap(Direction d, std::uint8_t channel, std::span<const std::uint8_t> bytes, std::uint8_t flags,
                  std::uint32_t baud, LinkKind kind) {
    if (!pcap_ || bytes.empty()) return;
    // every record passes the redaction stage before the writer sees it (DESIGN "Secrets")
    redact_->record({kind, d, channel, flags, baud, wall_clock_us(), {bytes.begin(), bytes.end()}});
}

Tap* SimHost::capture_writer() noexcept { return pcap_.get(); }

void SimHost::stop_on_signals() {
    std::signal(SIGPIPE, SIG_IGN);
    g_wake_fd = wake_[1];
    struct sigaction sa{};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

std::string SimHost::ready_line(std::string_view device, const nlohmann::json& identity) const {
    // in this order, whatever the keys: event first, so a reader that looks at the line sees what it is
    nlohmann::ordered_json line;
    line["event"] = "ready";
    line["schema"] = "metercert_ready_v1";
    line["device"] = device;
    line["listen"] = nlohmann::ordered_json::parse(nlohmann::json(listen_).dump());
    line["identity"] = nlohmann::ordered_json::parse(identity.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SimHost::announce_ready(std::string_view device, const nlohmann::json& identity) const {
    std::cout << ready_line(device, identity) << "\n" << std::flush;
}

bool SimHost::run_once(std::uint64_t max_wait_ms) {
    if (stop_) return false;
    const SimTime now = clock_.now();
    std::uint64_t wait = max_wait_ms;
    for (const auto& t : timers_)
        if (t.deadline_) wait = std::min<std::uint64_t>(wait, *t.deadline_ > now ? *t.deadline_ - now : 0);
    std::vector<pollfd> fds{{wake_[0], POLLIN, 0}};
    std::vector<std::function<void()>> act{nullptr};
    auto add = [&](int fd, std::function<void()> f) {
        fds.push_back({fd, POLLIN, 0});
        act.push_back(std::move(f));
    };
    for (auto& l : tcp_) {
        if (l.client_ >= 0)  // first: a client's close frees the slot before an accept
            add(l.client_, [&l, c = l.client_] {
                if (l.client_ == c) l.read_client();
            });
        add(l.fd_, [&l] { l.accept_one(); });
    }
    for (auto& p : pty_) add(p.master_, [&p] { p.read_some(); });
    for (auto& u : udp_) add(u.fd_, [&u] { u.read_one(); });
    for (const auto& w : watches_)
        add(w.fd, [this, fd = w.fd] {  // still watched: an earlier handler may have unwatched it
            const auto it = std::find_if(watches_.begin(), watches_.end(), [fd](const Watch& x) { return x.fd == fd; });
            if (it != watches_.end()) {
                auto f = it->readable;
                f();
            }
        });
    const int rc = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<std::uint64_t>(wait, 60000)));
    if (rc < 0 && errno != EINTR) throw HostError("poll_failed", std::strerror(errno));
    if (rc > 0 && (fds[0].revents & POLLIN)) {
        char drain[16];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
        stop_ = true;  // a stop signal
        return false;
    }
    if (rc > 0)
        for (std::size_t i = 1; i < fds.size() && !stop_; ++i)
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) act[i]();
    const SimTime after = clock_.now();
    for (std::size_t i = 0; i < timers_.size() && !stop_; ++i) {  // a firing timer may add timers
        Timer& t = timers_[i];
        if (!t.deadline_ || *t.deadline_ > after) continue;
        t.deadline_.reset();
        if (t.fire_) t.fire_();
    }
    for (auto& f : after_wake_) f();
    return !stop_;
}

int SimHost::run() {
    while (run_once(1000)) {
    }
    return 0;
}

// ------------------------------------------------------------------------ the readiness line
std::optional<ReadyLine> parse_ready_line(std::string_view line) {
    const auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (!j.is_object() || j.value("event", nlohmann::json()) != "ready") return std::nullopt;
    const auto device = j.find("device");
    const auto listen = j.find("listen");
    if (device == j.end() || !device->is_string() || listen == j.end() || !listen->is_array()) return std::nullopt;
    ReadyLine r;
    r.device = device->get<std::string>();
    for (const auto& l : *listen) {
        if (!l.is_object() || !l.contains("kind") || !l["kind"].is_string()) return std::nullopt;
        ReadyListen e;
        e.kind = l["kind"].get<std::string>();
        if (l.contains("url") && l["url"].is_string()) e.url = l["url"].get<std::string>();
        if (l.contains("path") && l["path"].is_string()) e.path = l["path"].get<std::string>();
        r.listen.push_back(std::move(e));
    }
    if (const auto id = j.find("identity"); id != j.end()) r.identity = *id;
    return r;
}

}  // namespace metercert::rigs
