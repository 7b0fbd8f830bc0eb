#include "metercert/wmbus/key.hpp"

#include "crypto.hpp"

namespace metercert::wmbus {

Key::~Key() { crypto::wipe(bytes.data(), bytes.size()); }

std::optional<Key> Key::from_hex(std::string_view hex) {
    Key k;
    std::size_t n = 0;
    int hi = -1;
    for (char ch : hex) {
        if (ch == ' ' || ch == '\t') continue;
        int v;
        if (ch >= '0' && ch <= '9') v = ch - '0';
        else if (ch >= 'a' && ch <= 'f') v = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') v = ch - 'A' + 10;
        else return std::nullopt;
        if (hi < 0) {
            hi = v;
            continue;
        }
        if (n == 16) return std::nullopt;
        k.bytes[n++] = static_cast<std::uint8_t>(hi << 4 | v);
        hi = -1;
    }
    if (n != 16 || hi >= 0) return std::nullopt;
    return k;
}

KeyLookup single_key(const Key& key) {
    return [key](const KeyQuery&, Key& out) {
        out = key;
        return true;
    };
}

}  // namespace metercert::wmbus
