#include "serve.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "metercert/obis/readout.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/pcap.hpp"

namespace metercert::cli {

[[noreturn]] void usage_error(const std::string& msg) {
    std::cerr << "error: " << msg << "\n";
    std::exit(2);
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
    } catch (const rigs::HostError& e) {
        usage_error(e.what());
    }
}

rigs::TcpListener& listen_or_usage_error(rigs::SimHost& host, const std::string& url, rigs::TcpHandlers handlers) {
    try {
        return host.listen_tcp(url, std::move(handlers));
    } catch (const rigs::HostError& e) {
        usage_error(fmt::format("--listen '{}': {}", url, e.what()));
    }
}

rigs::PtyEndpoint& pty_or_usage_error(rigs::SimHost& host, const std::string& path, rigs::PtyHandlers handlers) {
    try {
        return host.open_pty(path, std::move(handlers));
    } catch (const rigs::HostError& e) {
        usage_error(fmt::format("--pty {}: {}", path, e.what()));
    }
}

void capture_or_usage_error(rigs::SimHost& host, const std::string& pcap_path, rigs::LinkKind kind) {
    if (!pcap_path.empty()) or_usage_error([&] { host.open_capture(pcap_path, kind); });
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

FramedInput::FramedInput(rigs::SimHost& host, std::function<double()> silence_ms,
                         std::function<void(const mbus::StreamEvent&)> dropped)
    : host_(host),
      silence_ms_(std::move(silence_ms)),
      dropped_(std::move(dropped)),
      silence_(host.timer([this] {
          if (reader_.buffered() > 0) drop_partial();  // the master stopped inside a frame
      })) {}

std::vector<mbus::StreamEvent> FramedInput::feed(std::span<const std::uint8_t> bytes) {
    const rigs::SimTime last_byte = host_.now();
    auto events = reader_.feed(bytes);
    if (reader_.buffered() > 0)
        silence_.arm_at(last_byte + static_cast<rigs::SimTime>(std::ceil(silence_ms_())));
    else
        silence_.disarm();
    return events;
}

void FramedInput::drop_partial() {
    for (const auto& ev : reader_.finish())
        if (dropped_) dropped_(ev);
    reader_.reset();
    silence_.disarm();
}

std::string fault_help(const std::string& what, std::span<const devices::FaultSpec> faults) {
    std::string help = what + ": none";
    for (const auto& f : faults) help += fmt::format(",\n{}: {} ({})", f.name, f.summary, f.clause);
    return help;
}

}  // namespace metercert::cli
