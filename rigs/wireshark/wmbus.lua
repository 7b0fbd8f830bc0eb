-- Wireshark / tshark dissector for metercert's wireless M-Bus captures (LINKTYPE_USER1 = 148).
--
-- Packet = 8-byte pseudo-header (rigs/include/metercert/rigs/pcap.hpp) + one telegram:
--   version(1) direction(1: 0 to the DUT, 1 from the DUT) channel(1) flags(1) baud(4, BE; 0)
-- then an EN 13757-4 telegram from its L-field, either as sent (frame format A: a CRC after the
-- first 10 bytes, then after every 16; `simulate cmi1020w --pcap`) or as a receiver stick passes
-- it on (CRCs removed, L + 1 bytes; the wmbus+im871a:// / wmbus+amb8465:// links). Shown: L, C
-- (with its name), M (the manufacturer's three letters), A (identification number, version,
-- device type), CI, then the rest as data bytes per block with each CRC and whether it is valid
-- (CRC-16 polynomial 0x3D65, EN 13757-4). Nothing is decrypted.
--
-- Use: tshark -X lua_script:rigs/wireshark/wmbus.lua -r capture.pcap -V
--      (or copy it to ~/.local/lib/wireshark/plugins/)

local p = Proto("wmbus", "Wireless M-Bus (EN 13757-4, metercert)")

-- Wireshark 4.0 embeds Lua 5.2: no bitwise operators, but bit32.
local band, bxor, lshift, rshift = bit32.band, bit32.bxor, bit32.lshift, bit32.rshift

local dirs = { [0] = "to the DUT", [1] = "from the DUT" }
local f = {
  version = ProtoField.uint8("wmbus.ph.version", "Pseudo-header version"),
  direction = ProtoField.uint8("wmbus.ph.direction", "Direction", base.DEC, dirs),
  channel = ProtoField.uint8("wmbus.ph.channel", "Channel"),
  flags = ProtoField.uint8("wmbus.ph.flags", "Flags", base.HEX),
  baud = ProtoField.uint32("wmbus.ph.baud", "Baud rate"),
  format = ProtoField.string("wmbus.format", "Frame format"),
  l = ProtoField.uint8("wmbus.l", "L-field"),
  c = ProtoField.uint8("wmbus.c", "C-field", base.HEX),
  c_name = ProtoField.string("wmbus.c.name", "Function"),
  m = ProtoField.uint16("wmbus.m", "M-field", base.HEX),
  man = ProtoField.string("wmbus.manufacturer", "Manufacturer"),
  id = ProtoField.string("wmbus.id", "Identification number"),
  version_f = ProtoField.uint8("wmbus.version", "Version"),
  device_type = ProtoField.uint8("wmbus.device_type", "Device type", base.HEX),
  ci = ProtoField.uint8("wmbus.ci", "CI-field", base.HEX),
  data = ProtoField.bytes("wmbus.data", "Data"),
  crc = ProtoField.uint16("wmbus.crc", "CRC", base.HEX),
  crc_ok = ProtoField.bool("wmbus.crc.ok", "CRC valid"),
}
local list = {}
for _, v in pairs(f) do list[#list + 1] = v end
p.fields = list

-- EN 13757-4 Table 10 / EN 13757-2 C-field names (the codec's c_field_name)
local c_names = {
  [0x44] = "SND_NR", [0x46] = "SND_IR", [0x47] = "ACC_NR", [0x48] = "ACC_DMD", [0x53] = "SND_UD", [0x73] = "SND_UD",
  [0x43] = "SND_UD2", [0x63] = "SND_UD2", [0x5A] = "REQ_UD1", [0x7A] = "REQ_UD1", [0x5B] = "REQ_UD2",
  [0x7B] = "REQ_UD2", [0x40] = "SND_NKE", [0x08] = "RSP_UD", [0x18] = "RSP_UD", [0x28] = "RSP_UD",
  [0x38] = "RSP_UD", [0x00] = "ACK", [0x10] = "ACK", [0x20] = "ACK", [0x30] = "ACK", [0x06] = "CNF_IR",
}

local function manufacturer(code)
  local a = band(rshift(code, 10), 0x1F) + 64
  local b = band(rshift(code, 5), 0x1F) + 64
  local c = band(code, 0x1F) + 64
  return string.char(a, b, c)
end

local function bcd_id(tvb, off)
  local s = ""
  for i = 3, 0, -1 do s = s .. string.format("%02X", tvb(off + i, 1):uint()) end
  return s
end

local function crc16(tvb, off, n)
  local c = 0
  for i = off, off + n - 1 do
    c = bxor(c, lshift(tvb(i, 1):uint(), 8))
    for _ = 1, 8 do
      if band(c, 0x8000) ~= 0 then c = band(bxor(lshift(c, 1), 0x3D65), 0xFFFF)
      else c = band(lshift(c, 1), 0xFFFF) end
    end
  end
  return bxor(c, 0xFFFF)
end

-- wire length of a format A telegram with L-field l
local function a_length(l)
  return l + 1 + 2 * (1 + math.floor((l - 9 + 15) / 16))
end

function p.dissector(tvb, pinfo, tree)
  if tvb:len() < 8 then return 0 end
  pinfo.cols.protocol = "wM-Bus"
  local t = tree:add(p, tvb(), "Wireless M-Bus")
  local ph = t:add(p, tvb(0, 8), "metercert pseudo-header")
  ph:add(f.version, tvb(0, 1))
  ph:add(f.direction, tvb(1, 1))
  ph:add(f.channel, tvb(2, 1))
  ph:add(f.flags, tvb(3, 1))
  ph:add(f.baud, tvb(4, 4))
  local n = tvb:len() - 8
  if n < 11 then
    pinfo.cols.info = "too short (" .. n .. " bytes)"
    return tvb:len()
  end
  local b = tvb(8):tvb()
  local l = b(0, 1):uint()
  local with_crc
  if n == l + 1 then with_crc = false
  elseif l >= 9 and n == a_length(l) then with_crc = true
  else
    t:add(f.l, b(0, 1))
    pinfo.cols.info = string.format("L=%d does not fit %d bytes", l, n)
    return tvb:len()
  end
  t:add(f.format, b(0, 1), with_crc and "A (with CRCs)" or "CRCs removed by the receiver")
  t:add(f.l, b(0, 1))
  local c = b(1, 1):uint()
  t:add(f.c, b(1, 1))
  t:add(f.c_name, b(1, 1), c_names[c] or "unknown")
  local mcode = b(2, 2):le_uint()
  t:add_le(f.m, b(2, 2))
  t:add(f.man, b(2, 2), manufacturer(mcode))
  t:add(f.id, b(4, 4), bcd_id(b, 4))
  t:add(f.version_f, b(8, 1))
  t:add(f.device_type, b(9, 1))
  local info = string.format("%s %s %s v%d type %02X", c_names[c] or string.format("C=%02X", c), manufacturer(mcode),
                             bcd_id(b, 4), b(8, 1):uint(), b(9, 1):uint())
  local bad = 0
  local off, ci_off
  if with_crc then
    -- block 1: L … device type, its CRC; then 16-byte blocks, each with its CRC
    local crc = crc16(b, 0, 10)
    t:add(f.crc, b(10, 2))
    t:add(f.crc_ok, b(10, 2), crc == b(10, 2):uint())
    if crc ~= b(10, 2):uint() then bad = bad + 1 end
    off = 12
    ci_off = 12
    while off < n do
      local k = math.min(16, n - off - 2)
      local data_off = off
      if off == ci_off then
        t:add(f.ci, b(off, 1))
        info = info .. string.format(" CI=%02X", b(off, 1):uint())
        data_off = off + 1
      end
      if off + k > data_off then t:add(f.data, b(data_off, off + k - data_off)) end
      local want = crc16(b, off, k)
      t:add(f.crc, b(off + k, 2))
      t:add(f.crc_ok, b(off + k, 2), want == b(off + k, 2):uint())
      if want ~= b(off + k, 2):uint() then bad = bad + 1 end
      off = off + k + 2
    end
  else
    t:add(f.ci, b(10, 1))
    info = info .. string.format(" CI=%02X", b(10, 1):uint())
    if n > 11 then t:add(f.data, b(11, n - 11)) end
  end
  if bad > 0 then info = info .. string.format(" [%d bad CRC]", bad) end
  pinfo.cols.info = info
  return tvb:len()
end

local encap = DissectorTable.get("wtap_encap")
local user1 = (wtap_encaps and wtap_encaps.USER1) or wtap.USER1
encap:add(user1, p)
