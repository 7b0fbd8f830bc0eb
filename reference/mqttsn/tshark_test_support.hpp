// Test support (unit tests only): a pcap of MQTT-SN datagrams as raw IPv4 + UDP (LINKTYPE_IPV4
// 228, synthesised headers) and Wireshark's MQTT-SN dissector (tshark -T json) reading it back —
// a third party's reading of the octets, compared with what the test meant.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "metercert/mqttsn/packet.hpp"

namespace metercert::mqttsn::testing {

// One datagram; `uplink`: client 127.0.0.1:50000 → gateway 127.0.0.1:1883, else the reverse.
// `second`: its capture time in whole seconds.
struct CapturedDatagram {
    Bytes bytes;
    bool uplink = true;
    std::uint32_t second = 0;
};

inline void write_pcap(const std::filesystem::path& path, const std::vector<CapturedDatagram>& datagrams) {
    std::ofstream f(path, std::ios::binary);
    auto le32 = [&](std::uint32_t v) {
        for (int i = 0; i < 4; ++i) f.put(static_cast<char>((v >> (8 * i)) & 0xFF));
    };
    auto le16 = [&](std::uint16_t v) {
        f.put(static_cast<char>(v & 0xFF));
        f.put(static_cast<char>(v >> 8));
    };
    le32(0xA1B2C3D4);  // pcap, µs
    le16(2);
    le16(4);
    le32(0);
    le32(0);
    le32(65535 + 28);
    le32(228);  // LINKTYPE_IPV4
    for (const auto& d : datagrams) {
        const std::size_t udp_len = 8 + d.bytes.size();
        const std::size_t ip_len = 20 + udp_len;
        Bytes p = {0x45, 0, static_cast<std::uint8_t>(ip_len >> 8), static_cast<std::uint8_t>(ip_len), 0, 0, 0, 0, 64, 17, 0, 0,
                   127, 0, 0, 1, 127, 0, 0, 1};
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i < 20; i += 2) sum += static_cast<std::uint32_t>((p[i] << 8) | p[i + 1]);
        while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
        p[10] = static_cast<std::uint8_t>(~sum >> 8);
        p[11] = static_cast<std::uint8_t>(~sum);
        const std::uint16_t sport = d.uplink ? 50000 : 1883;
        const std::uint16_t dport = d.uplink ? 1883 : 50000;
        const Bytes udp = {static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport), static_cast<std::uint8_t>(dport >> 8),
                           static_cast<std::uint8_t>(dport),       static_cast<std::uint8_t>(udp_len >> 8),
                           static_cast<std::uint8_t>(udp_len),     0, 0};
        p.insert(p.end(), udp.begin(), udp.end());
        p.insert(p.end(), d.bytes.begin(), d.bytes.end());
        le32(d.second);
        le32(0);
        le32(static_cast<std::uint32_t>(p.size()));
        le32(static_cast<std::uint32_t>(p.size()));
        f.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size()));
    }
}

// What a shell command prints on stdout (empty when it cannot be started)
inline std::string command_output(const std::string& cmd) {
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        char buf[4096];
        std::size_t got;
        while ((got = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
        ::pclose(p);
    }
    return out;
}

// tshark's "mqttsn.msg" object of every frame, in order; nullopt when tshark is not installed
inline std::optional<nlohmann::json> tshark_mqttsn(const std::vector<CapturedDatagram>& datagrams) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) return std::nullopt;
    static int n = 0;
    const auto dir = std::filesystem::temp_directory_path() /
                     ("mqttsn_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::create_directories(dir);
    const auto cap = dir / "m.pcap";
    write_pcap(cap, datagrams);
    const std::string cmd = "tshark -r '" + cap.string() + "' -d udp.port==1883,mqttsn -T json 2>/dev/null";
    const std::string out = command_output(cmd);
    std::filesystem::remove_all(dir);
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& fr : nlohmann::json::parse(out)) layers.push_back(fr["_source"]["layers"]["mqttsn"]["mqttsn.msg"]);
    return layers;
}

// tshark's Info column of every frame (its name of the message, "[Malformed Packet]" removed)
inline std::optional<std::vector<std::string>> tshark_info(const std::vector<Bytes>& uplinks) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) return std::nullopt;
    const auto dir = std::filesystem::temp_directory_path() / ("mqttsn_info_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::vector<CapturedDatagram> d;
    for (const auto& b : uplinks) d.push_back({b, true, 0});
    write_pcap(dir / "m.pcap", d);
    const std::string cmd = "tshark -r '" + (dir / "m.pcap").string() + "' -d udp.port==1883,mqttsn -T fields -e _ws.col.Info 2>/dev/null";
    const std::string out = command_output(cmd);
    std::filesystem::remove_all(dir);
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < out.size()) {
        auto end = out.find('\n', start);
        if (end == std::string::npos) end = out.size();
        std::string line = out.substr(start, end - start);
        if (const auto m = line.find("[Malformed Packet]"); m != std::string::npos) line.erase(m);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
        lines.push_back(line);
        start = end + 1;
    }
    return lines;
}

inline std::optional<nlohmann::json> tshark_mqttsn(const std::vector<Bytes>& uplinks) {
    std::vector<CapturedDatagram> d;
    for (const auto& b : uplinks) d.push_back({b, true, 0});
    return tshark_mqttsn(d);
}

inline std::string field(const nlohmann::json& j, const char* key) { return j.contains(key) ? j[key].get<std::string>() : "<absent>"; }

}  // namespace metercert::mqttsn::testing
