// Test helpers of the LwM2M tests (not part of the library). tshark_fields(): a CoAP 2.05 response carrying
// `payload` with a Content-Format option, written as a one-packet pcap (LINKTYPE_IPV4 228,
// synthesised IPv4 + UDP from port 5683 so that tshark dissects CoAP), read back by tshark
// (Wireshark's own LwM2M-TLV dissector, packet-lwm2mtlv.c) with `-T fields`. Returns one string
// per field ("" when absent; repeated occurrences joined by ','), or nullopt when tshark is not
// installed.
#pragma once

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace metercert::lwm2m::testing {

inline std::optional<std::vector<std::string>> tshark_fields(const std::vector<std::uint8_t>& payload, std::uint16_t content_format,
                                                             const std::vector<std::string>& fields) {
    if (std::system("command -v tshark >/dev/null 2>&1") != 0) return std::nullopt;
    std::vector<std::uint8_t> coap = {0x60, 0x45, 0x00, 0x01};  // ACK, 2.05 Content, message ID 1, no token
    if (content_format > 0xFF) coap.insert(coap.end(), {0xC2, static_cast<std::uint8_t>(content_format >> 8), static_cast<std::uint8_t>(content_format)});
    else coap.insert(coap.end(), {0xC1, static_cast<std::uint8_t>(content_format)});  // option 12 Content-Format
    coap.push_back(0xFF);
    coap.insert(coap.end(), payload.begin(), payload.end());
    auto be16 = [](std::vector<std::uint8_t>& v, unsigned x) { v.push_back(static_cast<std::uint8_t>(x >> 8)); v.push_back(static_cast<std::uint8_t>(x)); };
    std::vector<std::uint8_t> ip = {0x45, 0x00};
    be16(ip, static_cast<unsigned>(28 + coap.size()));
    ip.insert(ip.end(), {0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1});
    be16(ip, 5683);
    be16(ip, 40000);
    be16(ip, static_cast<unsigned>(8 + coap.size()));
    be16(ip, 0);
    ip.insert(ip.end(), coap.begin(), coap.end());
    auto le32 = [](std::ofstream& f, std::uint32_t x) { for (int k = 0; k < 4; ++k) f.put(static_cast<char>(x >> (8 * k))); };
    const std::string path = ::testing::TempDir() + "lwm2m_tshark_" + std::to_string(reinterpret_cast<std::uintptr_t>(&payload)) + ".pcap";
    {
        std::ofstream f(path, std::ios::binary);
        le32(f, 0xA1B2C3D4);
        f.put(2), f.put(0), f.put(4), f.put(0);
        le32(f, 0), le32(f, 0), le32(f, 65535), le32(f, 228);
        le32(f, 0), le32(f, 0), le32(f, static_cast<std::uint32_t>(ip.size())), le32(f, static_cast<std::uint32_t>(ip.size()));
        f.write(reinterpret_cast<const char*>(ip.data()), static_cast<std::streamsize>(ip.size()));
    }
    std::string cmd = "tshark -r '" + path + "' -T fields -E separator=/t -E aggregator=,";
    for (const auto& f : fields) cmd += " -e " + f;
    cmd += " 2>/dev/null";
    std::string out;
    if (FILE* p = popen(cmd.c_str(), "r")) {
        char buf[4096];
        std::size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        pclose(p);
    }
    std::remove(path.c_str());
    if (!out.empty() && out.back() == '\n') out.pop_back();
    std::vector<std::string> cols(1);
    for (char c : out) {
        if (c == '\t') cols.emplace_back();
        else cols.back() += c;
    }
    cols.resize(fields.size());
    return cols;
}

// Runs `script` with Debian's /usr/bin/python3 (which sees python3-cbor2), the script's argv[1]
// being `arg`; its stdout without the last newline, or nullopt when the script fails (cbor2 absent)
inline std::optional<std::string> python(const std::string& script, const std::string& arg) {
    const std::string path = ::testing::TempDir() + "lwm2m_py_" + std::to_string(reinterpret_cast<std::uintptr_t>(&script)) + ".py";
    { std::ofstream(path) << script; }
    std::string out;
    int rc = -1;
    if (FILE* p = popen(("/usr/bin/python3 '" + path + "' '" + arg + "' 2>/dev/null").c_str(), "r")) {
        char buf[4096];
        std::size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        rc = pclose(p);
    }
    std::remove(path.c_str());
    if (rc != 0) return std::nullopt;
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace metercert::lwm2m::testing
