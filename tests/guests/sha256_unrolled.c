/* SHA-256 with the 64 rounds of the compression function fully unrolled: the hot function
 * is one long straight-line basic block, which crashed unicorn's mipsel translator
 * (tests/test_emulator.py runs it in a child process). Prints the digest of "abc" repeated. */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define G0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define G1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))
#define CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define W(i) (w[(i) & 15] += G1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] + G0(w[((i) - 15) & 15]))
#define ROUND(a, b, c, d, e, f, g, h, i, wi)                      \
    do {                                                          \
        uint32_t t1 = h + S1(e) + CH(e, f, g) + K[i] + (wi);      \
        uint32_t t2 = S0(a) + MAJ(a, b, c);                       \
        d += t1;                                                  \
        h = t1 + t2;                                              \
    } while (0)
#define R8(i, X)                                                  \
    ROUND(a, b, c, d, e, f, g, h, i + 0, X(i + 0));               \
    ROUND(h, a, b, c, d, e, f, g, i + 1, X(i + 1));               \
    ROUND(g, h, a, b, c, d, e, f, i + 2, X(i + 2));               \
    ROUND(f, g, h, a, b, c, d, e, i + 3, X(i + 3));               \
    ROUND(e, f, g, h, a, b, c, d, i + 4, X(i + 4));               \
    ROUND(d, e, f, g, h, a, b, c, i + 5, X(i + 5));               \
    ROUND(c, d, e, f, g, h, a, b, i + 6, X(i + 6));               \
    ROUND(b, c, d, e, f, g, h, a, i + 7, X(i + 7))
#define WLOAD(i) w[i]

static void compress(uint32_t state[8], const uint8_t block[64])
{
    uint32_t w[16], a, b, c, d, e, f, g, h;
    int i;
    for (i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16
             | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    a = state[0], b = state[1], c = state[2], d = state[3];
    e = state[4], f = state[5], g = state[6], h = state[7];
    R8(0, WLOAD);
    R8(8, WLOAD);
    R8(16, W);
    R8(24, W);
    R8(32, W);
    R8(40, W);
    R8(48, W);
    R8(56, W);
    state[0] += a, state[1] += b, state[2] += c, state[3] += d;
    state[4] += e, state[5] += f, state[6] += g, state[7] += h;
}

int main(int argc, char **argv)
{
    uint32_t state[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t block[64];
    int rounds = argc > 1 ? atoi(argv[1]) : 1000, i;
    memset(block, 0, sizeof block);
    block[0] = 'a', block[1] = 'b', block[2] = 'c', block[3] = 0x80, block[63] = 24;
    for (i = 0; i < rounds; i++)
        compress(state, block);
    for (i = 0; i < 8; i++)
        printf("%08x", (unsigned)state[i]);
    printf("\n");
    return 0;
}
