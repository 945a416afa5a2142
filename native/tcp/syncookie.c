/* SYN cookies as Linux makes them (net/ipv4/syncookies.c): ISN =
 * hash(4-tuple) + client ISN + (minute << 24) + ((hash(4-tuple, minute) +
 * MSS index) & 0xffffff), valid for two minutes, with Linux's MSS table. The
 * hash is SipHash-2-4 of the 4-tuple, the minute and a 0/1 selector, under a
 * key drawn when the dataplane starts (dp.c), so cookies cannot be
 * precomputed. Pure arithmetic: the native tests build it alone. */
#include "tcpx.h"

#define COOKIEBITS 24
#define COOKIEMASK ((UINT32_C(1) << COOKIEBITS) - 1)
#define MAX_COOKIE_AGE 2          /* minutes */

static const uint16_t msstab[] = { 536, 1300, 1440, 1460 };
#define N_MSS (sizeof(msstab) / sizeof(msstab[0]))
static uint64_t sp_k0 = 0x736f6d6570736575ull, sp_k1 = 0x646f72616e646f6dull;

void fl_syncookie_set_secret(uint64_t k0, uint64_t k1)
{
	sp_k0 = k0;
	sp_k1 = k1;
}

unsigned fl_syncookie_mssind(uint16_t mss)
{
	unsigned i = N_MSS - 1;
	while (i && mss < msstab[i])
		i--;
	return i;
}

uint16_t fl_syncookie_mss(unsigned mssind)
{
	return msstab[mssind < N_MSS ? mssind : 0];
}
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                                   \
	do {                                                                                                       \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                                          \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                                             \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                                             \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                                          \
	} while (0)

/* SipHash-2-4 of two 64-bit words (a 16-byte message). */
static uint64_t siphash16(uint64_t m0, uint64_t m1)
{
	uint64_t v0 = sp_k0 ^ 0x736f6d6570736575ull, v1 = sp_k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = sp_k0 ^ 0x6c7967656e657261ull, v3 = sp_k1 ^ 0x7465646279746573ull;
	const uint64_t m[3] = { m0, m1, (uint64_t)16 << 56 };
	for (int i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t cookie_hash(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t count, uint32_t c)
{
	uint64_t m0 = (uint64_t)saddr | (uint64_t)daddr << 32;
	uint64_t m1 = (uint64_t)sport | (uint64_t)dport << 16 | (uint64_t)(count * 2u + c) << 32;
	return (uint32_t)siphash16(m0, m1);
}

uint32_t fl_syncookie_make(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t isn,
			   uint32_t mssind, uint32_t minute)
{
	return cookie_hash(saddr, daddr, sport, dport, 0, 0) + isn + (minute << COOKIEBITS) +
	       ((cookie_hash(saddr, daddr, sport, dport, minute, 1) + mssind) & COOKIEMASK);
}

int fl_syncookie_check(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport, uint32_t isn,
		       uint32_t cookie, uint32_t minute)
{
	cookie -= cookie_hash(saddr, daddr, sport, dport, 0, 0) + isn;
	uint32_t diff = (minute - (cookie >> COOKIEBITS)) & (UINT32_C(0xffffffff) >> COOKIEBITS);
	if (diff >= MAX_COOKIE_AGE)
		return -1;
	uint32_t data = (cookie - cookie_hash(saddr, daddr, sport, dport, minute - diff, 1)) & COOKIEMASK;
	return data < N_MSS ? (int)data : -1;
}

