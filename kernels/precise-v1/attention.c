/* precise-v1 device kernel for AIE2 (Peano): one 64-row Q tile against streamed 64-key K/V tiles. */
/*
 * Device interface (design.py; kernels/device_layout.cpp packs it on the host):
 *   q_rtp: the Q tile, 64 rows x 64 int8 (rows past S are zero), then the runtime parameters
 *          as little-endian int32 words (4128 bytes);
 *   kv:    one key tile then its value tile, each 64 x 64 int8 (8192 bytes);
 *   k:     a key tile alone (4096 bytes), pass 1;
 *   out:   the output tile, 64 x 64 int8.
 * Per Q tile the core calls begin, max_pass for every key tile, acc_pass for every key tile,
 * then finish.
 */
/*
 * Arithmetic (docs/kernels.md, "precise-v1"): exact int32 scores; pass 1 finds each row's maximum
 * over every key tile; pass 2 turns d = score - max into e = 2^(d * c * log2 e) in Q(exp_bits) with
 * a 257-entry 2^x table and linear interpolation, and accumulates l = sum e and acc = sum e * V
 * unnormalized; finish divides once per output element and requantizes with a fixed-point
 * multiplier. Only 32-bit integer operations: no float, no 64-bit types, no 64-bit division.
 * State (row_max, acc, row_sum) lives in buffers the design places in core memory; frames hold
 * scalars only, so the stack need stays far below the reserved 1 KiB.
 */
#include <stdint.h>

#define PV1_TILE 64
#define PV1_DIM 64

/* Runtime parameters, in the order they follow the Q tile. */
enum { RTP_EXP_MULT, RTP_EXP_SHIFT, RTP_SCORE_FLOOR, RTP_EXP_BITS, RTP_OUT_MULT, RTP_OUT_SHIFT, RTP_WORDS };
#define PV1_RTP_OFFSET (PV1_TILE * PV1_DIM)

/* Assembled from bytes: the words sit in an int8 buffer, and this keeps the C free of aliasing. */
static int32_t rtp_word(const int8_t* q_rtp, int w) {
  const uint8_t* b = (const uint8_t*)q_rtp + PV1_RTP_OFFSET + 4 * w;
  return (int32_t)((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
}

/* round(2^30 * 2^(i/256)), i = 0..256: 2^x on [0, 1] in Q30. */
static const uint32_t exp2_q30[257] = {
    1073741824u, 1076653033u, 1079572136u, 1082499153u, 1085434106u, 1088377016u,
    1091327906u, 1094286796u, 1097253708u, 1100228665u, 1103211687u, 1106202798u,
    1109202018u, 1112209370u, 1115224875u, 1118248556u, 1121280436u, 1124320536u,
    1127368878u, 1130425485u, 1133490379u, 1136563583u, 1139645120u, 1142735011u,
    1145833280u, 1148939949u, 1152055042u, 1155178580u, 1158310587u, 1161451085u,
    1164600099u, 1167757650u, 1170923762u, 1174098458u, 1177281762u, 1180473697u,
    1183674286u, 1186883552u, 1190101520u, 1193328213u, 1196563654u, 1199807867u,
    1203060876u, 1206322705u, 1209593378u, 1212872918u, 1216161350u, 1219458698u,
    1222764986u, 1226080238u, 1229404479u, 1232737732u, 1236080024u, 1239431376u,
    1242791816u, 1246161366u, 1249540052u, 1252927899u, 1256324931u, 1259731174u,
    1263146652u, 1266571390u, 1270005413u, 1273448747u, 1276901417u, 1280363448u,
    1283834865u, 1287315695u, 1290805962u, 1294305692u, 1297814910u, 1301333643u,
    1304861917u, 1308399756u, 1311947188u, 1315504238u, 1319070932u, 1322647296u,
    1326233356u, 1329829140u, 1333434672u, 1337049980u, 1340675091u, 1344310030u,
    1347954824u, 1351609500u, 1355274085u, 1358948606u, 1362633090u, 1366327563u,
    1370032052u, 1373746586u, 1377471191u, 1381205894u, 1384950723u, 1388705706u,
    1392470869u, 1396246240u, 1400031848u, 1403827719u, 1407633882u, 1411450365u,
    1415277195u, 1419114401u, 1422962010u, 1426820052u, 1430688553u, 1434567544u,
    1438457051u, 1442357104u, 1446267730u, 1450188960u, 1454120821u, 1458063343u,
    1462016553u, 1465980482u, 1469955159u, 1473940611u, 1477936870u, 1481943963u,
    1485961921u, 1489990772u, 1494030547u, 1498081275u, 1502142985u, 1506215708u,
    1510299473u, 1514394310u, 1518500250u, 1522617322u, 1526745556u, 1530884983u,
    1535035634u, 1539197537u, 1543370725u, 1547555228u, 1551751076u, 1555958300u,
    1560176931u, 1564406999u, 1568648537u, 1572901575u, 1577166143u, 1581442275u,
    1585730000u, 1590029350u, 1594340357u, 1598663052u, 1602997467u, 1607343634u,
    1611701585u, 1616071351u, 1620452965u, 1624846459u, 1629251865u, 1633669214u,
    1638098541u, 1642539877u, 1646993254u, 1651458706u, 1655936265u, 1660425963u,
    1664927835u, 1669441912u, 1673968228u, 1678506817u, 1683057710u, 1687620943u,
    1692196547u, 1696784557u, 1701385007u, 1705997930u, 1710623359u, 1715261330u,
    1719911875u, 1724575029u, 1729250827u, 1733939301u, 1738640488u, 1743354420u,
    1748081133u, 1752820662u, 1757573041u, 1762338305u, 1767116489u, 1771907628u,
    1776711757u, 1781528911u, 1786359126u, 1791202437u, 1796058879u, 1800928489u,
    1805811301u, 1810707353u, 1815616678u, 1820539314u, 1825475297u, 1830424663u,
    1835387448u, 1840363688u, 1845353420u, 1850356681u, 1855373507u, 1860403934u,
    1865448001u, 1870505744u, 1875577199u, 1880662405u, 1885761398u, 1890874216u,
    1896000896u, 1901141476u, 1906295993u, 1911464486u, 1916646992u, 1921843549u,
    1927054196u, 1932278970u, 1937517909u, 1942771053u, 1948038440u, 1953320108u,
    1958616096u, 1963926443u, 1969251188u, 1974590370u, 1979944027u, 1985312200u,
    1990694927u, 1996092249u, 2001504204u, 2006930832u, 2012372174u, 2017828268u,
    2023299156u, 2028784876u, 2034285470u, 2039800978u, 2045331439u, 2050876895u,
    2056437387u, 2062012954u, 2067603638u, 2073209480u, 2078830522u, 2084466803u,
    2090118366u, 2095785251u, 2101467502u, 2107165158u, 2112878262u, 2118606857u,
    2124350982u, 2130110682u, 2135885998u, 2141676973u, 2147483648u};

static int32_t dot64(const int8_t* a, const int8_t* b) {
  int32_t s = 0;
  for (int d = 0; d < PV1_DIM; ++d) s += (int32_t)a[d] * (int32_t)b[d];
  return s;
}

/* e = 2^u in Q(exp_bits), u = (max(d, -floor) * mult) >> shift in Q16; d <= 0. */
uint32_t precise_v1_exp_weight(int32_t d, const int8_t* q_rtp) {
  int32_t floor_d = rtp_word(q_rtp, RTP_SCORE_FLOOR);
  if (d < -floor_d) d = -floor_d;
  int32_t u = (d * rtp_word(q_rtp, RTP_EXP_MULT)) >> rtp_word(q_rtp, RTP_EXP_SHIFT);
  int32_t whole = u >> 16;
  uint32_t frac16 = (uint32_t)u & 0xFFFFu;
  uint32_t i = frac16 >> 8, r = frac16 & 0xFFu;
  uint32_t lo = exp2_q30[i];
  uint32_t val = lo + (((exp2_q30[i + 1] - lo) * r) >> 8);
  int32_t shift = 30 - rtp_word(q_rtp, RTP_EXP_BITS) - whole;
  if (shift >= 32) return 0;
  return (val + (1u << (shift - 1))) >> shift;
}

void precise_v1_begin(int32_t* row_max, int32_t* acc, uint32_t* row_sum) {
  for (int i = 0; i < PV1_TILE; ++i) {
    row_max[i] = INT32_MIN;
    row_sum[i] = 0;
  }
  for (int i = 0; i < PV1_TILE * PV1_DIM; ++i) acc[i] = 0;
}

/* Pass 1: fold one key tile (n_keys valid rows) into every row's maximum. */
void precise_v1_max_pass(const int8_t* q_rtp, const int8_t* k_tile, int32_t n_keys, int32_t* row_max) {
  for (int i = 0; i < PV1_TILE; ++i) {
    int32_t m = row_max[i];
    for (int j = 0; j < n_keys; ++j) {
      int32_t s = dot64(q_rtp + i * PV1_DIM, k_tile + j * PV1_DIM);
      if (s > m) m = s;
    }
    row_max[i] = m;
  }
}

/* Pass 2: weights of one key tile against the final maxima, accumulated with their V rows. */
void precise_v1_acc_pass(const int8_t* q_rtp, const int8_t* kv, int32_t n_keys, const int32_t* row_max, int32_t* acc,
                         uint32_t* row_sum) {
  const int8_t* k_tile = kv;
  const int8_t* v_tile = kv + PV1_TILE * PV1_DIM;
  for (int i = 0; i < PV1_TILE; ++i) {
    int32_t* a = acc + i * PV1_DIM;
    uint32_t l = row_sum[i];
    for (int j = 0; j < n_keys; ++j) {
      uint32_t e = precise_v1_exp_weight(dot64(q_rtp + i * PV1_DIM, k_tile + j * PV1_DIM) - row_max[i], q_rtp);
      const int8_t* v = v_tile + j * PV1_DIM;
      l += e;
      for (int c = 0; c < PV1_DIM; ++c) a[c] += (int32_t)e * (int32_t)v[c];
    }
    row_sum[i] = l;
  }
}

/* out = round(|acc| / l * out_mult / 2^out_shift) with acc's sign (half away from zero), clamped. */
void precise_v1_finish(const int8_t* q_rtp, const int32_t* acc, const uint32_t* row_sum, int8_t* out_tile) {
  uint32_t out_mult = (uint32_t)rtp_word(q_rtp, RTP_OUT_MULT);
  int32_t out_shift = rtp_word(q_rtp, RTP_OUT_SHIFT);
  for (int i = 0; i < PV1_TILE; ++i) {
    uint32_t l = row_sum[i];
    int32_t z = 0;
    while ((l >> z) >= 65536u) ++z;
    uint32_t ln = l >> z;
    for (int c = 0; c < PV1_DIM; ++c) {
      int32_t a = acc[i * PV1_DIM + c];
      uint32_t mag = a < 0 ? 0u - (uint32_t)a : (uint32_t)a;
      if (z > 0) mag = (mag + (1u << (z - 1))) >> z;
      /* Integer part and a floored Q15 fraction: the only rounding is the final one. */
      uint32_t q = mag / ln;
      uint32_t f15 = ((mag - q * ln) << 15) / ln;
      uint32_t scaled = q * out_mult + ((f15 * out_mult) >> 15);
      uint32_t o = (scaled + (1u << (out_shift - 1))) >> out_shift;
      int32_t v;
      if (a < 0)
        v = o > 128u ? -128 : -(int32_t)o;
      else
        v = o > 127u ? 127 : (int32_t)o;
      out_tile[i * PV1_DIM + c] = (int8_t)v;
    }
  }
}
