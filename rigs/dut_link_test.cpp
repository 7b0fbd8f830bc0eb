// DUT links: every scheme states its capabilities (and only a real UART or the simulated bus offers
// mbus.line), offers the interface of each and refuses the others by name; the registry lists
// every scheme and simulated device; URL errors name the part; sim:cmi1020?readout=FILE is checked
// when the link is opened or checked; the redaction stage of the link kind sits in front of the
// caller's tap; a simulator process is ready when it says where it listens, and stopped.
#include <filesystem>
#include <fstream>
#include <string>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "metercert/master/master.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/rigs/cmi6110.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/fd_port.hpp"
#include "metercert/rigs/lwm2m_link.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"

using namespace metercert;
using namespace metercert::rigs;
using Caps = std::vector<std::string>;

namespace {
std::string message_of(const std::string& url) {
    try {
        open_link(url);
        return "opened";
    } catch (const DutError& e) {
        return e.what();
    }
}
std::string write(const std::string& name, const std::string& bytes) {
    const auto p = std::filesystem::temp_directory_path() / ("metercert-dut-link-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
}
}  // namespace

// ------------------------------------------------------------------------------- capabilities

TEST(DutLink, EachSchemeStatesItsCapabilities) {
    EXPECT_EQ(check_link("sim:cmi1020").capabilities, (Caps{"mbus.line", "mbus.request", "sim.cmi1020"}));
    EXPECT_EQ(check_link("tcp://10.0.0.7:10001").capabilities, (Caps{"mbus.request"}));
    EXPECT_EQ(check_link("tcp-listen://0.0.0.0:0").capabilities, (Caps{"mbus.request"}));
    EXPECT_EQ(check_link("serial:///dev/ttyUSB7?baud=9600").capabilities, (Caps{"mbus.line", "mbus.request"}));
    EXPECT_EQ(check_link("sim:cme3000").capabilities, (Caps{"mbus.request", "sim.cme3000"}));
    EXPECT_EQ(check_link("sim:cme3100?fault=no_selection_retry").capabilities, (Caps{"mbus.request", "sim.cme3100"}));
}

TEST(DutLink, APseudoTerminalHasNoLine) {
    const int m = posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(m, 0);
    ASSERT_EQ(grantpt(m), 0);
    ASSERT_EQ(unlockpt(m), 0);
    const std::string name = ptsname(m);
    const std::string link = (std::filesystem::temp_directory_path() / ("metercert-pty-" + std::to_string(::getpid()))).string();
    std::filesystem::remove(link);
    ASSERT_EQ(symlink(name.c_str(), link.c_str()), 0);
    EXPECT_EQ(check_link("serial://" + name).capabilities, (Caps{"mbus.request"}));
    EXPECT_EQ(check_link("serial://" + link).capabilities, (Caps{"mbus.request"}));  // however it is named
    auto l = open_link("serial://" + link);
    EXPECT_EQ(l->capabilities(), (Caps{"mbus.request"}));
    EXPECT_NE(l->mbus_request(), nullptr);
    EXPECT_EQ(l->mbus_line(), nullptr);
    l->close();
    std::filesystem::remove(link);
    ::close(m);
}

TEST(DutLink, TheSimulatedBusOffersEveryInterfaceItStates) {
    auto l = open_link("sim:cmi1020?count=2&baud=9600&address=1");
    EXPECT_EQ(l->capabilities(), (Caps{"mbus.line", "mbus.request", "sim.cmi1020"}));
    EXPECT_TRUE(l->has("sim.cmi1020") && !l->has("sim.cme3000"));
    EXPECT_EQ(l->description(), "2 simulated CMi1020 slave(s) at 9600 baud");
    EXPECT_EQ(l->require_mbus_line("test").line_baud(), 9600u);
    auto& sim = l->require_sim_cmi1020("test");
    EXPECT_EQ(sim.size(), 2u);
    EXPECT_THROW(sim.meter(2), std::out_of_range);
    // the meters answer with the real E350 readout by default (one place gives it)
    EXPECT_EQ(sim.meter(0).readout_bytes().find("C.1.0(13647123)") != std::string::npos, true);
    EXPECT_NE(default_e350_readout().find("1.8.0(061561.289*kWh)"), std::string_view::npos);
    master::Master m(l->require_mbus_request("test"));
    EXPECT_TRUE(m.snd_nke(2));
    EXPECT_EQ(l->simulator(), nullptr);
    EXPECT_EQ(l->release_ms(), 0);
}

TEST(DutLink, AMissingInterfaceIsNamedWithItsCapability) {
    try {
        open_link("tcp://127.0.0.1:1");
        FAIL() << "connected to port 1";
    } catch (const master::PortError& e) {
        EXPECT_EQ(e.name(), "connect_failed");
    }
    // a link without sim.cmi1020: a serial pty offers mbus.request only
    const int m = posix_openpt(O_RDWR | O_NOCTTY);
    ASSERT_GE(m, 0);
    grantpt(m);
    unlockpt(m);
    auto pty = open_link(std::string("serial://") + ptsname(m));
    try {
        pty->require_sim_cmi1020("power_cycle");
        FAIL();
    } catch (const MissingCapability& e) {
        EXPECT_EQ(e.capability, "sim.cmi1020");
        EXPECT_NE(std::string(e.what()).find("power_cycle: the DUT link serial://"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("has no sim.cmi1020 (metercert's built-in CMi1020 simulator"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(pty->require_mbus_line("switch_baud"), MissingCapability);
    pty->close();
    ::close(m);
}

TEST(DutLink, TheRegistryKnowsEverySchemeAndDevice) {
    std::vector<std::string> names;
    for (const LinkScheme* s : link_schemes()) {
        names.push_back(s->name);
        EXPECT_FALSE(s->form.empty() || s->summary.empty() || s->offers.empty()) << s->name;
        for (const auto& c : s->offers) EXPECT_NE(find_capability(c), nullptr) << s->name << " offers " << c;
    }
    EXPECT_EQ(names, (Caps{"cmi6110+uplinks", "lwm2m", "serial", "sim:cme3000", "sim:cme3100", "sim:cmi1020", "sim:cmi1020w", "sim:cmi6110", "tcp",
                           "tcp-listen", "wmbus+amb8465", "wmbus+hex", "wmbus+im871a"}));
    EXPECT_EQ(scheme_names(), "cmi6110+uplinks, lwm2m, serial, sim, tcp, tcp-listen, wmbus+amb8465, wmbus+hex, wmbus+im871a");
    EXPECT_EQ(simulated_device_names(), "cme3000, cme3100, cmi1020, cmi1020w, cmi6110");
    const std::string help = link_schemes_help();
    for (const char* form : {"sim:cmi1020", "sim:cme3000", "sim:cme3100", "tcp://HOST:PORT", "tcp-listen://HOST:PORT", "serial:///dev/ttyUSB0",
                             "sim:cmi1020w", "wmbus+hex:FILE", "wmbus+im871a:///dev/ttyUSB0", "wmbus+amb8465:///dev/ttyUSB0"})
        EXPECT_NE(help.find(form), std::string::npos) << form;
    EXPECT_NE(help.find("fault="), std::string::npos);
}

// lwm2m:// and sim:cmi6110?network=1 (coap.server): the settings the suite's servers listen on,
// the key decoded from hex, and never its value in a message or the link's URL.
TEST(DutLink, Lwm2mListenSettings) {
    auto l = open_link("lwm2m://0.0.0.0:5684?endpoint=urn:imei:350000000000001&psk_id=cmi&psk=0a1B2c&bootstrap=1");
    EXPECT_EQ(l->capabilities(), (Caps{"coap.server"}));
    const Lwm2mListen& n = l->require_lwm2m_listen("test");
    EXPECT_EQ(n.host, "0.0.0.0");
    EXPECT_EQ(n.port, 5684);
    EXPECT_EQ(n.endpoint, "urn:imei:350000000000001");
    EXPECT_EQ(n.psk_id, std::optional<std::string>("cmi"));
    EXPECT_EQ(n.psk, (std::vector<std::uint8_t>{0x0A, 0x1B, 0x2C}));
    EXPECT_TRUE(n.bootstrap);
    EXPECT_FALSE(n.reference_client);
    EXPECT_EQ(l->url(), "lwm2m://0.0.0.0:5684?endpoint=urn:imei:350000000000001&psk_id=cmi&psk=<redacted>&bootstrap=1");
    EXPECT_EQ(l->description().find("0a1B2c"), std::string::npos);
    auto nosec = open_link("lwm2m://127.0.0.1:0?endpoint=x");
    EXPECT_FALSE(nosec->require_lwm2m_listen("t").psk_id);
    EXPECT_FALSE(nosec->require_lwm2m_listen("t").bootstrap);
    for (const char* bad : {"lwm2m://127.0.0.1:5683", "lwm2m://127.0.0.1:5683?endpoint=a&psk_id=i",
                            "lwm2m://127.0.0.1:5683?endpoint=a&psk_id=i&psk=abc", "lwm2m://127.0.0.1:5683?endpoint=a&psk_id=i&psk=secretzz",
                            "lwm2m://127.0.0.1:5683?endpoint=a&bootstrap=2", "lwm2m://127.0.0.1:5683?endpoint=a&other=1"}) {
        const std::string m = message_of(bad);
        EXPECT_NE(m, "opened") << bad;
        EXPECT_EQ(m.find("secretzz"), std::string::npos) << m;
    }
    EXPECT_NE(message_of("lwm2m://127.0.0.1:5683?endpoint=a&psk_id=i&psk=secretzz").find("character 1"), std::string::npos);

    EXPECT_EQ(check_link("sim:cmi6110").capabilities, (Caps{"cmi6110.uplinks", "sim.cmi6110"}));
    EXPECT_EQ(check_link("sim:cmi6110?network=1").capabilities, (Caps{"cmi6110.uplinks", "coap.server", "sim.cmi6110"}));
    auto sim = open_link("sim:cmi6110?network=1&psk_id=dm&psk=00ff&fault=wrong_psk_identity&lifetime_s=6");
    const Lwm2mListen& s = sim->require_lwm2m_listen("t");
    EXPECT_TRUE(s.reference_client);
    EXPECT_EQ(s.endpoint, "cmi6110-sim");
    EXPECT_EQ(s.host, "127.0.0.1");
    EXPECT_EQ(s.port, 0);
    EXPECT_EQ(s.client_fault, "wrong_psk_identity");
    EXPECT_EQ(s.client_lifetime_s, 6u);
    EXPECT_EQ(s.psk, (std::vector<std::uint8_t>{0x00, 0xFF}));
    EXPECT_NE(message_of("sim:cmi6110?network=1&fault=bogus").find("registration_without_elvaco_objects"), std::string::npos);
    EXPECT_NE(message_of("sim:cmi6110?fault=wrong_content_format").find("needs network=1"), std::string::npos);
    EXPECT_EQ(open_link("sim:cmi6110?network=1")->require_lwm2m_listen("t").client_fault, "none");
    EXPECT_EQ(open_link("sim:cmi6110?network=1")->require_lwm2m_listen("t").client_lifetime_s, 8u);
    EXPECT_NE(message_of("sim:cmi6110?endpoint=x").find("needs network=1"), std::string::npos);
    EXPECT_THROW(open_link("sim:cmi6110")->require_lwm2m_listen("t"), MissingCapability);
    // bootstrap=1: the reference client starts at the suite's Bootstrap-Server (simulate --bootstrap)
    EXPECT_FALSE(open_link("sim:cmi6110?network=1")->require_lwm2m_listen("t").bootstrap);
    const auto bs = open_link("sim:cmi6110?network=1&bootstrap=1&psk_id=dm&psk=00ff&fault=no_bootstrap_fallback");
    EXPECT_TRUE(bs->require_lwm2m_listen("t").bootstrap);
    EXPECT_EQ(bs->require_lwm2m_listen("t").client_fault, "no_bootstrap_fallback");
    EXPECT_NE(message_of("sim:cmi6110?bootstrap=1").find("needs network=1"), std::string::npos);
    EXPECT_NE(message_of("sim:cmi6110?network=1&bootstrap=2").find("bootstrap"), std::string::npos);
}

TEST(DutLink, UrlErrorsNameThePart) {
    EXPECT_EQ(message_of("bogus://x"),
              "DUT URL 'bogus://x': unknown scheme 'bogus' (cmi6110+uplinks, lwm2m, serial, sim, tcp, tcp-listen, wmbus+amb8465, wmbus+hex, wmbus+im871a)");
    EXPECT_EQ(message_of("sim:cme9999"),
              "DUT URL 'sim:cme9999': unknown simulated device 'cme9999' (available: cme3000, cme3100, cmi1020, cmi1020w, cmi6110)");
    EXPECT_EQ(message_of("tcp:10.0.0.1:1"), "DUT URL 'tcp:10.0.0.1:1': expected tcp://");
    EXPECT_EQ(message_of("sim:cmi1020?count=x"), "DUT URL 'sim:cmi1020?count=x': count=x is not a number in 1…250");
    EXPECT_EQ(message_of("sim:cmi1020?colour=red"), "DUT URL 'sim:cmi1020?colour=red': unknown parameter 'colour'");
    EXPECT_EQ(message_of("sim:cmi1020?fault=bogus").rfind("DUT URL 'sim:cmi1020?fault=bogus': fault=bogus is unknown (none, ", 0), 0u);
    EXPECT_EQ(message_of("sim:cme3100?fault=bogus"),
              "DUT URL 'sim:cme3100?fault=bogus': fault=bogus is unknown (none, no_selection_retry, wireless_any_key, wireless_install_unlisted, wireless_not_served)");
    EXPECT_EQ(message_of("sim:cme3000?fault=bogus"), "DUT URL 'sim:cme3000?fault=bogus': fault=bogus is unknown (none, idle_timeout_3s, no_idle_disconnect, "
              "dropped_accept_as_completed, serial_octets_not_counted)");
    EXPECT_EQ(message_of("noscheme"),
              "DUT URL 'noscheme': no scheme (expected cmi6110+uplinks:, lwm2m://, serial://, sim:, tcp://, tcp-listen://, wmbus+amb8465://, wmbus+hex:, wmbus+im871a://)");
    EXPECT_THROW(check_link("tcp://host"), DutError);
}

TEST(DutLink, SimulatorCommandsComeFromTheUrlAndTheCallersOptions) {
    SimulatorCommand c = simulator_command("sim:cme3000?count=3&disconnect_timeout=0", {"--stats", "s.json"});
    EXPECT_EQ(c.device, "cme3000");
    EXPECT_EQ(c.options, (Caps{"--bus", "sim:cmi1020?count=3", "--disconnect-timeout", "0", "--stats", "s.json"}));
    c = simulator_command("sim:cme3100?fault=no_selection_retry");
    EXPECT_EQ(c.options, (Caps{"--bus", "sim:cmi1020?count=1", "--search", "--fault", "no_selection_retry"}));
    // a caller's own bus and installation replace the URL's defaults; the fault stays the URL's
    c = simulator_command("sim:cme3100?fault=no_selection_retry", {"--bus", "sim:cmi1020?count=7", "--meter-list", "m.csv"});
    EXPECT_EQ(c.options, (Caps{"--fault", "no_selection_retry", "--bus", "sim:cmi1020?count=7", "--meter-list", "m.csv"}));
    EXPECT_THROW(simulator_command("sim:cme3100?count=2", {"--bus", "sim:cmi1020"}), DutError);
    EXPECT_THROW(simulator_command("sim:cmi1020"), DutError);  // in process, not a simulator process
    EXPECT_THROW(simulator_command("tcp://127.0.0.1:10001"), DutError);
}

// ------------------------------------------------------------------- sim:cmi6110, cmi6110+uplinks:

TEST(DutCmi6110, SimRunsTheModuleAndOffersItsUplinksAndItself) {
    auto link = open_link("sim:cmi6110?days=3&utc_offset=60&network_down=2019-11-28T00:00Z..2019-11-29T12:00Z");
    EXPECT_EQ(link->capabilities(), (Caps{"cmi6110.uplinks", "sim.cmi6110"}));
    auto& up = link->require_cmi6110_uplinks("test");
    EXPECT_EQ(up.uplinks_config().schedule.utc_offset, std::chrono::minutes{60});
    // the first daily transmission fails; the second sends the first day's readouts too: two packs of
    // 24 (§7.4.2.3: 1440 / 60) at once
    ASSERT_EQ(up.uplinks().size(), 2u);
    EXPECT_EQ(up.uplinks()[0].readouts.size(), 24u);
    EXPECT_EQ(up.uplinks()[1].readouts.size(), 24u);
    EXPECT_EQ(up.uplinks()[0].time, up.uplinks()[1].time);
    auto& sim = link->require_sim_cmi6110("test");
    const Cmi6110Run r = sim.rerun({{"network_down", ""}, {"encoding", "json"}});
    EXPECT_EQ(r.result.missed_transmissions, 0u);
    EXPECT_EQ(r.config.encoding, devices::cmi6110::MessageEncoding::json);
    EXPECT_THROW((void)sim.rerun({{"fault", "max_age_ignored"}}), DutError);
    EXPECT_THROW((void)sim.rerun({{"transmit_delay", "241"}}), DutError);
}

TEST(DutCmi6110, UrlAndFileErrorsNameTheParameterOrTheLine) {
    EXPECT_EQ(message_of("sim:cmi6110?utc_offset=-721"), "DUT URL 'sim:cmi6110?utc_offset=-721': utc_offset=-721 is not a number in -720…720 (§7.5)");
    EXPECT_EQ(message_of("sim:cmi6110?meter_errors=F4"),
              "DUT URL 'sim:cmi6110?meter_errors=F4': meter_errors: 'F4' is not a UH50 error of Table 3 (F0 … F7V2)");
    EXPECT_EQ(message_of("sim:cmi6110?fault=bogus").rfind("DUT URL 'sim:cmi6110?fault=bogus': fault=bogus is unknown (none, base_time_label_minus1, ", 0), 0u);
    EXPECT_EQ(message_of("sim:cmi6110?start=2019-11-28"), "DUT URL 'sim:cmi6110?start=2019-11-28': start=2019-11-28 is not YYYY-MM-DDTHH:MMZ (UTC)");
    const auto dir = std::filesystem::temp_directory_path() / "metercert_dut_cmi6110";
    std::filesystem::create_directories(dir);
    const auto file = (dir / "uplinks.jsonl").string();
    auto write = [&](const std::string& text) { std::ofstream(file, std::ios::trunc) << text; };
    write("{\"config\": {\"transmit_delay\": 300}}\n");
    EXPECT_EQ(message_of("cmi6110+uplinks:" + file),
              "DUT URL 'cmi6110+uplinks:" + file + "': " + file + ": line 1, key \"transmit_delay\": 300 is outside 1..240 (§7.5)");
    write("{\"config\": {}}\n\n{\"time\": \"2019-11-28T03:00:00Z\", \"encoding\": \"senml\", \"payload\": \"8G\"}\n");
    EXPECT_EQ(message_of("cmi6110+uplinks:" + file),
              "DUT URL 'cmi6110+uplinks:" + file + "': " + file + ": line 3, key \"payload\": not hex at character 1");
    write("{\"config\": {}}\n{\"time\": \"2019-11-28T03:00:00Z\", \"encoding\": \"senml\", \"payload\": \"80\"}\n{\"time\": 5}\n");
    EXPECT_EQ(message_of("cmi6110+uplinks:" + file),
              "DUT URL 'cmi6110+uplinks:" + file + "': " + file + ": line 3, key \"time\": expected a string");
    write("{\"config\": {}}\n{\"time\": \"2019-11-28T03:00:00Z\", \"encoding\": \"senml\", \"payload\": \"80\"}\n");
    EXPECT_EQ(check_link("cmi6110+uplinks:" + file).capabilities, (Caps{"cmi6110.uplinks"}));
    EXPECT_EQ(message_of("cmi6110+uplinks:/nonexistent/u.jsonl"),
              "DUT URL 'cmi6110+uplinks:/nonexistent/u.jsonl': cannot read the uplinks file '/nonexistent/u.jsonl'");
    std::filesystem::remove_all(dir);
}

// ---------------------------------------------------------------------------- sim:cmi1020 readout=

TEST(DutReadout, MissingFileDirectoryAndEmptyValue) {
    EXPECT_EQ(message_of("sim:cmi1020?readout=/nonexistent/x.readout"),
              "DUT URL 'sim:cmi1020?readout=/nonexistent/x.readout': readout=/nonexistent/x.readout: cannot be read (no such file)");
    const std::string dir = std::filesystem::temp_directory_path().string();
    EXPECT_EQ(message_of("sim:cmi1020?readout=" + dir),
              "DUT URL 'sim:cmi1020?readout=" + dir + "': readout=" + dir + ": is a directory, not a readout file");
    EXPECT_EQ(message_of("sim:cmi1020?readout="), "DUT URL 'sim:cmi1020?readout=': readout= needs a file");
}

TEST(DutReadout, UnparseableFileNamesLineAndColumn) {
    const std::string f = write("nul", std::string("1.8.0(1*kWh)\n2.8.0(\0)\n", 22));
    EXPECT_EQ(message_of("sim:cmi1020?readout=" + f),
              "DUT URL 'sim:cmi1020?readout=" + f + "': readout=" + f +
                  ": line 2, column 7: not_text: byte 0x00 (NUL) in a data line: a readout holds 7-bit printable "
                  "characters, CR LF line ends, STX and ETX");
    EXPECT_THROW(check_link("sim:cmi1020?readout=" + f), DutError);  // checked without opening too
    std::filesystem::remove(f);
}

TEST(DutReadout, BareDataBlockIsAccepted) {
    const std::string f = write("bare", "1.8.0(000123.456*kWh)\n");
    auto l = open_link("sim:cmi1020?readout=" + f);
    ASSERT_NE(l->sim_cmi1020(), nullptr);
    std::filesystem::remove(f);
}

// ------------------------------------------------------------------------------------ redaction

TEST(DutLink, TheCallersTapSeesNoSecret) {
    MemoryTap tap;
    LinkOptions o;
    o.tap = &tap;
    auto l = open_link("sim:cmi1020", o);
    master::Master m(l->require_mbus_request("test"));
    // §6.7.9 set P1 password 97531864: 68 0D 0D 68 53 00 51 0F 01 <8 digits> CS 16
    const std::vector<std::uint8_t> data{0x0F, 0x01, '9', '7', '5', '3', '1', '8', '6', '4'};
    (void)m.exchange(mbus::build_long(0x53, 0, 0x51, data));
    ASSERT_FALSE(tap.records.empty());
    const auto& sent = tap.records.front();
    EXPECT_EQ(sent.link, LinkKind::mbus);
    EXPECT_EQ(sent.direction, Direction::to_dut);
    EXPECT_TRUE(sent.flags & kTapRedacted);
    EXPECT_EQ(std::vector<std::uint8_t>(sent.bytes.begin() + 9, sent.bytes.end() - 1), std::vector<std::uint8_t>(9, 0x2A));
    EXPECT_EQ(tap.records.back().direction, Direction::from_dut);
}

// ---------------------------------------------------------------------------- simulator process

namespace {
// A stand-in for `metercert simulate DEVICE --listen tcp://127.0.0.1:0 …`: says a few lines on
// stderr, then its readiness line on stdout (where it "listens"), then waits for SIGTERM (or exits
// at once, for the failure case).
std::string fake_simulator(const std::string& name, const std::string& body) {
    const std::string path = write(name, "#!/bin/sh\n" + body);
    ::chmod(path.c_str(), 0755);
    return path;
}
}  // namespace

TEST(SimulatorProcess, ReadyWhenItSaysWhereItListensAndStopped) {
    // the TERM trap first: the test may stop it as soon as the readiness line is out
    const std::string exe = fake_simulator("ok", "trap 'echo stopping >&2; exit 0' TERM\n"
                                                 "echo \"args: $*\" >&2\necho 'metercert simulate: CMe3100 Virtual M-Bus on "
                                                 "tcp://127.0.0.1:40123; next readout never' >&2\n"
                                                 "echo '{\"event\":\"ready\",\"device\":\"cme3100\",\"listen\":[{\"kind\":\"tcp\","
                                                 "\"url\":\"tcp://127.0.0.1:40123\"}],\"identity\":{\"model\":\"CMe3100\"}}'\n"
                                                 "echo 'more output, not read' \n"
                                                 "while :; do sleep 0.05; done\n");
    {
        SimulatorProcess p(exe, {"cme3100", {"--search", "--fault", "no_selection_retry"}});
        EXPECT_EQ(p.url(), "tcp://127.0.0.1:40123");
        EXPECT_NE(p.ready_json().find("\"model\":\"CMe3100\""), std::string::npos);
        EXPECT_GT(p.pid(), 0);
        EXPECT_TRUE(p.running());
        const auto said = p.messages();
        ASSERT_GE(said.size(), 2u);
        EXPECT_EQ(said[0], "args: simulate cme3100 --listen tcp://127.0.0.1:0 --search --fault no_selection_retry");
        EXPECT_EQ(p.stop(), 0);
        EXPECT_FALSE(p.running());
        EXPECT_EQ(p.messages().back(), "stopping");  // read to the end
        EXPECT_EQ(::kill(p.pid(), 0), -1);          // gone and reaped
    }
    std::filesystem::remove(exe);
}

TEST(SimulatorProcess, OneThatExitsFirstSaysWhy) {
    const std::string exe = fake_simulator("fails", "echo 'error: --fault bogus: unknown (none, no_selection_retry)' >&2\nexit 2\n");
    try {
        SimulatorProcess p(exe, {"cme3100", {}});
        FAIL() << "started";
    } catch (const SimulatorError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "simulate cme3100 exited (status 2) before it was ready: error: --fault bogus: unknown (none, no_selection_retry)");
    }
    EXPECT_THROW(SimulatorProcess("/nonexistent/metercert", {"cme3000", {}}), SimulatorError);
    std::filesystem::remove(exe);
}

TEST(SimulatorProcess, ReadyAddressIsReadFromTheReadinessLineOnly) {
    EXPECT_EQ(ready_address(R"({"event":"ready","schema":"metercert_ready_v1","device":"cmi1020",)"
                            R"("listen":[{"kind":"tcp","url":"tcp://127.0.0.1:10001"}],"identity":{}})"),
              "tcp://127.0.0.1:10001");
    EXPECT_EQ(ready_address(R"({"event":"ready","device":"cme3000","listen":[{"kind":"pty","path":"/tmp/x"},)"
                            R"({"kind":"tcp","url":"tcp://127.0.0.1:5"}]})"),
              "tcp://127.0.0.1:5");
    // the human line on stderr is not read any more; a line naming no TCP address is not ready
    EXPECT_FALSE(ready_address("metercert simulate: 1 CMi1020 slave(s) [70000001] listening on tcp://127.0.0.1:10001"));
    EXPECT_FALSE(ready_address(R"({"event":"ready","device":"cmi1020","listen":[{"kind":"pty","path":"/tmp/x"}]})"));
    EXPECT_FALSE(ready_address(R"({"event":"stopped","device":"cmi1020","listen":[]})"));
    EXPECT_FALSE(ready_address(R"({"event":"ready","listen":)"));
}

TEST(SimulatorProcess, AFirstStdoutLineThatIsNotReadinessIsAnError) {
    const std::string exe = fake_simulator("chatty", "echo 'listening on tcp://127.0.0.1:5'\nexec sleep 5\n");
    try {
        SimulatorProcess p(exe, {"cme3000", {}});
        FAIL() << "started";
    } catch (const SimulatorError& e) {
        EXPECT_NE(std::string(e.what()).find("simulate cme3000 did not announce a TCP address"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("listening on tcp://127.0.0.1:5"), std::string::npos) << e.what();
    }
    std::filesystem::remove(exe);
}
