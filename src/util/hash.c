/* FNV-1a 64-bit hashing. */
#include "util/util.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

uint64_t util_hash64_more(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint64_t util_hash64(const void *p, size_t n)
{
	return util_hash64_more(FNV_OFFSET, p, n);
}

void util_hash_hex(uint64_t h, char out[17])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		out[i] = hex[h & 0xF];
		h >>= 4;
	}
	out[16] = '\0';
}
