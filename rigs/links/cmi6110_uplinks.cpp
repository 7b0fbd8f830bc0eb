// cmi6110+uplinks:FILE — a CMi6110's captured uplinks: the uplinks file (JSON lines, format in
// reference/include/metercert/devices/cmi6110/module.hpp and rigs/README.md): first the §7.5
// configuration the module had, then one line per uplink with its transmit (or receive) time UTC,
// encoding and payload. `metercert simulate cmi6110 --uplinks-out FILE` writes one; a lab writes
// one from its MQTT broker or LwM2M server. Capability: cmi6110.uplinks. A bad file is a DutError
// naming the file, the line and the key.
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "metercert/rigs/cmi6110.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

using namespace devices::cmi6110;

UplinksFile read(const DutUrl& u) {
    Params p{u};
    p.check_all_used();
    std::ifstream in(u.target, std::ios::binary);
    if (!in) fail(u, fmt::format("cannot read the uplinks file '{}'", u.target));
    std::ostringstream text;
    text << in.rdbuf();
    try {
        return parse_uplinks(text.str());
    } catch (const UplinksError& e) {
        fail(u, fmt::format("{}: {}", u.target, e.what()));
    }
}

class UplinksLink : public DutLink, public Cmi6110Uplinks {
public:
    UplinksLink(const DutUrl& u, const LinkOptions& o) : DutLink(u.text, o.tap), file_(read(u)) {
        set_description(fmt::format("{} captured CMi6110 uplink(s) of meter {} ({} {}), {}", file_.uplinks.size(), file_.config.meter_id,
                                    encoding_name(file_.config.encoding), format_name(file_.config.format), u.target));
        set_capabilities({std::string(cap::cmi6110_uplinks)});
    }
    Cmi6110Uplinks* cmi6110_uplinks() override { return this; }
    const ModuleConfig& uplinks_config() const override { return file_.config; }
    const std::vector<Uplink>& uplinks() const override { return file_.uplinks; }
    void close() override {}

private:
    UplinksFile file_;
};

const bool registered = register_link({
    .name = "cmi6110+uplinks",
    .form = "cmi6110+uplinks:FILE",
    .summary = "a CMi6110's captured uplinks: JSON lines, the module's §7.5 configuration first, then each uplink's "
               "time UTC, encoding and payload (simulate cmi6110 --uplinks-out writes one)",
    .params = {},
    .offers = {std::string(cap::cmi6110_uplinks)},
    .check = [](const DutUrl& u) {
        (void)read(u);
        return std::vector<std::string>{std::string(cap::cmi6110_uplinks)};
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> { return std::make_unique<UplinksLink>(u, o); },
});

}  // namespace
}  // namespace metercert::rigs::links
