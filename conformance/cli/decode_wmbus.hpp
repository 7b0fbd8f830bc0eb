// `metercert decode --wmbus` (decode_wmbus.cpp).
#pragma once

#include <string>
#include <vector>

namespace metercert::cli {

struct WmbusOptions {
    bool json = false;
    std::string crc = "auto";  // auto, A, B, none
    std::string key;           // 32 hex digits, or empty
    std::string key_file;      // CMe3100 key file, or empty
    bool line_keys = false;    // each line is "HEX KEY" (KEY: 32 hex digits, or - for none): `vectors --wmbus`
};

int run_decode_wmbus(const std::vector<std::string>& args, const WmbusOptions& o);

}  // namespace metercert::cli
