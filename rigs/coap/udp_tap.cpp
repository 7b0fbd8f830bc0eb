#include "metercert/rigs/coap/udp_tap.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/pcap.hpp"

namespace metercert::rigs::coap {

const char* flow_name(Flow f) noexcept { return f == Flow::to_upstream ? "to_upstream" : "to_peer"; }

namespace {

sockaddr_in ipv4(const std::string& host, std::uint16_t port, const char* what) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1)
        throw CoapError(CoapError::Kind::bad_address, fmt::format("udp tap: {} '{}' is not an IPv4 address", what, host));
    return a;
}

struct Fd {
    int fd = -1;
    explicit Fd(int f = -1) : fd(f) {}
    Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
    Fd& operator=(Fd&& o) noexcept {
        std::swap(fd, o.fd);
        return *this;
    }
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::uint64_t key_of(const sockaddr_in& a) { return (static_cast<std::uint64_t>(ntohl(a.sin_addr.s_addr)) << 16) | ntohs(a.sin_port); }

Address address_of(const sockaddr_in& a) {
    char buf[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
    return Address{buf, ntohs(a.sin_port)};
}

}  // namespace

struct UdpTap::Impl {
    Fd listen;
    sockaddr_in public_addr{}, upstream{};
    struct Peer {
        sockaddr_in addr{};
        Fd fd;
        TimePoint last{};  // the last datagram either way
    };
    Millis peer_idle{0};
    std::map<std::uint64_t, Peer> peers;
    std::unique_ptr<PcapUdpWriter> pcap;
    Millis lifetime{};
    mutable std::mutex m;  // log, faults
    std::vector<TapDatagram> log;
    std::size_t log_limit = 0;
    std::uint64_t seen = 0;
    struct FaultState {
        TapFault fault;
        unsigned seen = 0;
    };
    std::vector<FaultState> faults;
    struct Later {
        TimePoint due;
        int fd;
        std::optional<sockaddr_in> to;
        Bytes bytes;
    };
    std::vector<Later> later;
};

UdpTap::UdpTap(const Options& o) : impl_(std::make_unique<Impl>()) {
    impl_->lifetime = o.lifetime;
    impl_->peer_idle = o.peer_idle;
    impl_->log_limit = o.log_limit;
    impl_->public_addr = ipv4(o.address, o.port, "public address");
    impl_->upstream = ipv4(o.upstream_address, o.upstream_port, "upstream address");
    if (o.upstream_port == 0) throw CoapError(CoapError::Kind::bad_address, "udp tap: the upstream port is 0");
    impl_->listen = Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (impl_->listen.fd < 0 || ::bind(impl_->listen.fd, reinterpret_cast<sockaddr*>(&impl_->public_addr), sizeof impl_->public_addr) != 0)
        throw CoapError(CoapError::Kind::bind_failed, fmt::format("udp tap: cannot bind {}:{}", o.address, o.port));
    socklen_t len = sizeof impl_->public_addr;
    ::getsockname(impl_->listen.fd, reinterpret_cast<sockaddr*>(&impl_->public_addr), &len);
    port_ = ntohs(impl_->public_addr.sin_port);
    if (!o.pcap_path.empty()) impl_->pcap = std::make_unique<PcapUdpWriter>(o.pcap_path);
    running_ = true;
    thread_ = std::thread([this] { loop(); });
}

UdpTap::~UdpTap() { stop(); }

void UdpTap::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void UdpTap::add_fault(TapFault f) {
    std::lock_guard lock(impl_->m);
    impl_->faults.push_back({std::move(f), 0});
}

std::vector<TapDatagram> UdpTap::log() const {
    std::lock_guard lock(impl_->m);
    return impl_->log;
}

std::uint64_t UdpTap::seen() const {
    std::lock_guard lock(impl_->m);
    return impl_->seen;
}

void UdpTap::loop() {
    Impl& im = *impl_;
    const TimePoint end = monotonic_now() + std::chrono::duration_cast<Duration>(im.lifetime);
    std::vector<std::uint8_t> buf(65536);
    const Ipv4Port pub{ntohl(im.public_addr.sin_addr.s_addr), ntohs(im.public_addr.sin_port)};

    // Records a datagram and decides its fate: nullopt = drop, else the delay.
    auto arrive = [&](Flow flow, const sockaddr_in& peer, Bytes bytes) -> std::optional<Millis> {
        TapDatagram d;
        d.at = monotonic_now();
        d.wall_us = wall_clock_us();
        d.flow = flow;
        d.peer = address_of(peer);
        std::optional<Millis> fate = Millis(0);
        {
            std::lock_guard lock(im.m);
            for (auto& fs : im.faults) {
                if (fs.fault.flow != flow || (fs.fault.match && !fs.fault.match(bytes))) continue;
                ++fs.seen;
                if (fs.seen >= fs.fault.first && fs.seen < fs.fault.first + fs.fault.count) {
                    if (fs.fault.action == TapFault::Action::drop) {
                        fate = std::nullopt;
                    } else {
                        fate = fs.fault.delay;
                    }
                    break;
                }
            }
            d.dropped = !fate;
            d.delayed = fate.value_or(Millis(0));
            d.bytes = bytes;
            im.log.push_back(d);
            ++im.seen;
            if (im.log_limit && im.log.size() >= 2 * im.log_limit)  // amortised: one move per datagram
                im.log.erase(im.log.begin(), im.log.end() - static_cast<std::ptrdiff_t>(im.log_limit));
        }
        if (im.pcap) {
            const Ipv4Port p{ntohl(peer.sin_addr.s_addr), ntohs(peer.sin_port)};
            if (flow == Flow::to_upstream)
                im.pcap->write(d.wall_us, p, pub, d.bytes);
            else
                im.pcap->write(d.wall_us, pub, p, d.bytes);
        }
        return fate;
    };

    while (!stop_ && monotonic_now() < end) {
        // due delayed datagrams
        const TimePoint now = monotonic_now();
        for (auto it = im.later.begin(); it != im.later.end();) {
            if (it->due <= now) {
                if (it->to)
                    ::sendto(it->fd, it->bytes.data(), it->bytes.size(), 0, reinterpret_cast<const sockaddr*>(&*it->to), sizeof *it->to);
                else
                    ::send(it->fd, it->bytes.data(), it->bytes.size(), 0);
                it = im.later.erase(it);
            } else {
                ++it;
            }
        }
        if (im.peer_idle.count() > 0) {  // Options::peer_idle: close the sockets of peers gone quiet
            const auto idle = std::chrono::duration_cast<Duration>(im.peer_idle);
            std::erase_if(im.peers, [&](const auto& kv) {
                return now - kv.second.last > idle &&
                       std::none_of(im.later.begin(), im.later.end(), [&](const Impl::Later& l) { return l.fd == kv.second.fd.fd; });
            });
        }
        std::vector<pollfd> fds{{im.listen.fd, POLLIN, 0}};
        std::vector<std::uint64_t> keys{0};
        for (auto& [k, p] : im.peers) {
            fds.push_back({p.fd.fd, POLLIN, 0});
            keys.push_back(k);
        }
        int timeout = 20;
        for (const auto& l : im.later)
            timeout = std::min<int>(timeout, static_cast<int>(std::max<std::int64_t>(
                                                 0, std::chrono::duration_cast<Millis>(l.due - monotonic_now()).count())));
        if (::poll(fds.data(), fds.size(), timeout) <= 0) continue;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!(fds[i].revents & POLLIN)) continue;
            if (i == 0) {
                sockaddr_in from{};
                socklen_t fl = sizeof from;
                const ssize_t n = ::recvfrom(im.listen.fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &fl);
                if (n < 0 || from.sin_family != AF_INET) continue;
                auto [it, fresh] = im.peers.try_emplace(key_of(from));
                it->second.last = monotonic_now();
                if (fresh) {
                    it->second.addr = from;
                    it->second.fd = Fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
                    if (it->second.fd.fd < 0 ||
                        ::connect(it->second.fd.fd, reinterpret_cast<const sockaddr*>(&im.upstream), sizeof im.upstream) != 0) {
                        im.peers.erase(it);
                        continue;
                    }
                }
                Bytes bytes(buf.begin(), buf.begin() + n);
                const auto fate = arrive(Flow::to_upstream, from, bytes);
                if (!fate) continue;
                if (fate->count() > 0)
                    im.later.push_back({monotonic_now() + std::chrono::duration_cast<Duration>(*fate), it->second.fd.fd, std::nullopt, bytes});
                else
                    ::send(it->second.fd.fd, bytes.data(), bytes.size(), 0);
            } else {
                auto it = im.peers.find(keys[i]);
                if (it == im.peers.end()) continue;
                const ssize_t n = ::recv(it->second.fd.fd, buf.data(), buf.size(), 0);
                if (n < 0) continue;  // e.g. ECONNREFUSED: the upstream is not there (yet)
                it->second.last = monotonic_now();
                Bytes bytes(buf.begin(), buf.begin() + n);
                const auto fate = arrive(Flow::to_peer, it->second.addr, bytes);
                if (!fate) continue;
                if (fate->count() > 0)
                    im.later.push_back({monotonic_now() + std::chrono::duration_cast<Duration>(*fate), im.listen.fd, it->second.addr, bytes});
                else
                    ::sendto(im.listen.fd, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&it->second.addr),
                             sizeof it->second.addr);
            }
        }
    }
    running_ = false;
}

}  // namespace metercert::rigs::coap
